"""What `sheetsync status` and the status page show, read from the state database."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .config import ServiceConfig
from .gates import month_of
from .state import State, parse_ts


def snapshot(config: ServiceConfig, state: State, now: dt.datetime) -> dict[str, Any]:
    """Every sheet (last run, next run, pending rows, problem) and account (credits, spent)."""
    month = month_of(now)
    next_cycle = parse_ts(state.get("next_cycle") or None)
    sheets = []
    for spec in config.sheets:
        st = state.sheet(spec.id)
        nxt = st.retry_at if st.retry_at and (next_cycle is None or st.retry_at > next_cycle) else next_cycle
        sheets.append({
            "sheet": spec.id, "label": spec.label, "account": spec.account,
            "last_run": st.last_run.isoformat() if st.last_run else None,
            "next_run": nxt.isoformat() if nxt else None,
            "pending": st.pending, "waiting": st.waiting,
            "unfinished": sum(1 for s, _ in st.tasks.values() if s not in ("Published", "Failed", "Cancelled")),
            "problem": st.problem, "failures": st.failures,
        })  # fmt: skip
    accounts = []
    for name, acc in config.accounts.items():
        credits, checked, problem = state.account(name)
        accounts.append({
            "account": name, "credits": credits, "checked_at": checked.isoformat() if checked else None,
            "problem": problem, "month": month, "monthly_budget": acc.monthly_budget,
            "spent": state.spent(name, month), "spent_by_client": state.spent_by_client(name, month),
        })  # fmt: skip
    finished = parse_ts(state.get("cycle_finished") or None)
    late = finished is None or (now - finished).total_seconds() > 3 * config.interval + 60
    return {
        "ok": not late,
        "last_cycle": finished.isoformat() if finished else None,
        "next_cycle": next_cycle.isoformat() if next_cycle else None,
        "failing_sheets": sum(1 for s in sheets if s["problem"]),
        "problems": [p for p in state.get("cycle_problems").split("\n") if p],
        "sheets": sheets,
        "accounts": accounts,
    }
