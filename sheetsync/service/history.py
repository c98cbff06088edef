"""The History tab: one line per run that did something, newest first, capped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from ..tables.base import Tab
from ..workflow import Report

TITLE = "History"
HEADER = ("time", "submitted", "spent", "refreshed", "failed", "lost links", "waiting", "problems")


def history_line(report: Report, at: dt.datetime) -> dict[str, Any] | None:
    """The run's line, or None when it did nothing worth a line (nothing sent, nothing moved)."""
    submitted = sum(1 for o in report.rows if o.action in ("submitted", "adopt") and o.task_id)
    refreshed = sum(1 for o in report.rows if o.action == "refreshed")
    failed = sum(1 for o in report.rows if o.failed)
    waiting = sum(1 for o in report.rows if o.action in ("wait", "hold"))
    problems = [o.message for o in report.rows if o.attention and o.action in ("invalid", "unknown", "missing")]
    problems += list(report.notes)
    lost = int((report.extras.get("verify") or {}).get("newly_lost") or 0)
    if not (submitted or refreshed or failed or lost):
        return None
    return {
        "time": at.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "submitted": submitted,
        "spent": report.spent,
        "refreshed": refreshed,
        "failed": failed,
        "lost links": lost,
        "waiting": waiting,
        "problems": "; ".join(problems)[:500],
    }


def problem_line(at: dt.datetime, problem: str) -> dict[str, Any]:
    return {"time": at.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "submitted": 0, "spent": 0,
            "refreshed": 0, "failed": 0, "lost links": 0, "waiting": 0, "problems": problem[:500]}  # fmt: skip


def history_tab(lines: Sequence[dict[str, Any]]) -> Tab:
    """The whole tab from the lines kept (newest first)."""
    return Tab(TITLE, HEADER, tuple(tuple(str(line.get(h, "")) for h in HEADER) for line in lines))
