"""Approval and budget, as planning inputs (`plan.Gate`, `plan.SpendLimit`). Pure.

Approval: a row costing more than `approve_above` waits until its `approved` cell is ticked.
The article's fingerprint is remembered when the tick is first seen; if the article changes
while the tick stays, the row needs approval again (untick, then tick). Budget: what is left of
an account's monthly budget caps the run like --max-credits does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..plan import SpendLimit, fingerprint
from ..sheet import ArticleRow


def needs_approval(cost: int) -> str:
    return f"Needs approval: {cost} credits - tick approved to send"


def approval_changed(cost: int) -> str:
    return (
        f"Needs approval again: the article changed after it was approved ({cost} credits) - "
        "untick approved, then tick it again to send"
    )


@dataclass
class ApprovalGate:
    """`plan.Gate` for one sheet; `approved`/`cleared` say what to remember afterwards."""

    approve_above: int | None
    known: dict[str, str]  # row key -> fingerprint of the article when its tick was first seen
    approved: dict[str, str] = field(default_factory=dict)
    cleared: set[str] = field(default_factory=set)

    def __call__(self, row: ArticleRow, key: str, cost: int) -> str:
        if self.approve_above is None or cost <= self.approve_above:
            return ""
        if not row.approved:
            if key in self.known:
                self.cleared.add(key)  # unticked: the next tick approves the article as it is then
            return needs_approval(cost)
        now = fingerprint(row)
        was = self.known.get(key)
        if was is None:
            self.approved[key] = now
            return ""
        return "" if was == now else approval_changed(cost)


def month_of(now: dt.datetime) -> str:
    return now.astimezone(dt.timezone.utc).strftime("%Y-%m")


def budget_limit(account: str, budget: int | None, spent: int, now: dt.datetime) -> SpendLimit | None:
    """What is left of `account`'s monthly budget this calendar month (UTC); None without one."""
    if budget is None:
        return None
    month = month_of(now)
    return SpendLimit(
        left=max(0, budget - spent),
        name=f"the monthly budget of account {account} ({budget} credits for {month})",
        advice="whoever runs the service can raise monthly_budget in its config; otherwise the row is sent next month",
    )
