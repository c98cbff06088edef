"""Totals over the runs of one command: the cycles of `sync --watch`, the demo's runs.

Each workflow run reports only itself. Whoever watches a sheet until it is done needs what the
whole command did: credits spent, rows submitted, rows with failed placements, rows needing a
person, and the latest word on every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from .apply import RowOutcome
from .workflow import Report

__all__ = ["Totals", "combine", "totals"]


@dataclass(frozen=True)
class Totals:
    """What every run of one command added up to."""

    runs: int
    spent: int
    submitted: int
    failed: int  # rows whose placements failed, as last reported
    problems: int  # rows needing a person, as last reported
    api_requests: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "spent": self.spent,
            "submitted": self.submitted,
            "failed": self.failed,
            "problems": self.problems,
            "api_requests": self.api_requests,
        }


def _identity(outcome: RowOutcome) -> str:
    # The key follows a row that people move while a watch runs; a keyless row has its number.
    return outcome.key or f"row {outcome.row}"


def combine(reports: Sequence[Report]) -> Report:
    """One report for several runs: the latest outcome of every row, spending and requests summed.

    A pull never prices new rows, so its "new" does not replace what an earlier run said about
    the row (waiting for credits, say): that is still what the row needs.
    """
    if not reports:
        raise ValueError("combine needs at least one report")
    if len(reports) == 1:
        return reports[0]
    latest: dict[str, RowOutcome] = {}
    for report in reports:
        for outcome in report.rows:
            ident = _identity(outcome)
            if outcome.action == "new" and ident in latest:
                continue
            latest[ident] = outcome
    notes = [note for report in reports for note in report.notes]
    plan = next((r.plan for r in reports if r.plan is not None), None)
    return replace(
        reports[0],
        rows=sorted(latest.values(), key=lambda o: o.row),
        plan=plan,
        spent=sum(r.spent for r in reports),
        api_requests=sum(r.api_requests for r in reports),
        notes=notes,
        # A post-pull step's section (the link checks) is the latest run's, like each row.
        extras=dict(reports[-1].extras),
    )


def totals(reports: Sequence[Report]) -> Totals:
    """The totals of several runs (see `combine` for which outcome of a row counts)."""
    merged = combine(reports)
    return Totals(
        runs=len(reports),
        spent=merged.spent,
        submitted=sum(1 for r in reports for o in r.rows if o.action == "submitted"),
        failed=sum(1 for o in merged.rows if o.failed),
        problems=sum(1 for o in merged.rows if o.attention),
        api_requests=merged.api_requests,
    )
