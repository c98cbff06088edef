"""The post-pull step: check the placements that are due, remember, and fill the sheet's cells.

`Verifier` is a `hooks.PullStep`: `workflow.run(..., after_pull=Verifier(...))` runs it after
the statuses are refreshed, and its cells go out in the same write-back.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import models
from ..hooks import PulledTask, PullExtras
from .classify import (
    LIVE,
    LOST,
    MISSES,
    NOT_PUBLISHED,
    PROBLEMS,
    Check,
    RobotsTxt,
    classify,
)
from .fetch import Fetched, Fetcher, Policy
from .history import History
from .schedule import LinkState, Schedule, advance
from .urls import origin

Key = tuple[str, int]


@dataclass(slots=True)
class Outcome:
    """One placement's check in this run, for the report."""

    row: int
    key: str
    task_id: str
    site_id: int
    url: str
    status: str
    note: str
    event: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row, "key": self.key, "task_id": self.task_id, "site_id": self.site_id,
            "result_url": self.url, "link_status": self.status, "note": self.note, "event": self.event,
        }  # fmt: skip


@dataclass
class Verifier:
    """Checks due placements within `budget` seconds (None: no limit); `check_all`: every one."""

    history: History
    policy: Policy = Policy()
    schedule: Schedule = Schedule()
    budget: float | None = 20.0
    check_all: bool = False
    #: host -> address, for hosts a test or benchmark serves itself.
    overrides: Mapping[str, str] = field(default_factory=dict)
    #: Filled by each call: what was checked, for the report and tests.
    checked: list[Outcome] = field(default_factory=list)
    requests: int = 0

    def __call__(self, tasks: Sequence[PulledTask], now: dt.datetime) -> PullExtras:
        live = [t for t in tasks if t.mode != "sandbox"]
        placements = [(t, p) for t in live for p in t.placements]
        states = self.history.states((t.task_id, p.site_id) for t, p in placements)
        due: dict[Key, tuple[PulledTask, models.Placement]] = {}
        for t, p in placements:
            if p.status is not models.Status.PUBLISHED or not p.result_url:
                continue
            state = states.get((t.task_id, p.site_id))
            fresh = state is None or state.result_url != p.result_url
            if self.check_all or fresh or (state is not None and state.next_due <= now):
                due[(t.task_id, p.site_id)] = (t, p)
        self.checked = []
        not_checked = 0
        if due:
            not_checked = self._check(due, states, now)
        return self._extras(live, states, now, not_checked)

    def _check(
        self, due: dict[Key, tuple[PulledTask, models.Placement]], states: dict[Key, LinkState],
        now: dt.datetime,
    ) -> int:
        """Check `due` (updating `states`); return how many the budget left for later."""
        fetcher = Fetcher(self.policy, overrides=self.overrides)
        robots: dict[str, RobotsTxt | None] = {}

        def keep_robots(host: str, answer: Fetched) -> None:
            ok = answer.status == 200 and not answer.error and not answer.refused
            robots[host] = RobotsTxt.parse(answer.body.decode("utf-8", "replace")) if ok else None

        items = [(key, p.result_url or "") for key, (_, p) in due.items()]
        deadline = None if self.budget is None else time.monotonic() + self.budget

        async def go() -> None:
            async for key, fetched in fetcher.run(items, deadline=deadline, robots=keep_robots):
                task, placement = due[key]
                url = placement.result_url or ""
                check = classify(fetched, task.row.urls, robots.get(origin(url)) if fetched.url else None)
                state, event = advance(states.get(key), url, check, now, self.schedule)
                self.history.record(key[0], key[1], check, state)
                states[key] = state
                self.checked.append(
                    Outcome(task.row.row, task.row.key, key[0], key[1], url, state.status, state.note, event)
                )

        try:
            asyncio.run(go())
        finally:
            self.history.flush()
        self.requests = fetcher.requests
        return len(due) - len(self.checked)

    def _extras(
        self, tasks: Sequence[PulledTask], states: Mapping[Key, LinkState], now: dt.datetime,
        not_checked: int,
    ) -> PullExtras:
        extras = PullExtras()
        events = {(o.task_id, o.site_id): o for o in self.checked}
        for t in tasks:
            shown: list[LinkState | None] = []
            for p in t.placements:
                key = (t.task_id, p.site_id)
                state = states.get(key)
                if p.status in (models.Status.QUEUED, models.Status.PUBLISHING):
                    extras.placement_cells[key] = {"link_status": NOT_PUBLISHED}
                    shown.append(None)
                    continue
                if state is None or not p.result_url or state.result_url != p.result_url:
                    continue  # failed, cancelled, or not checked yet
                extras.placement_cells[key] = cells(state)
                shown.append(state)
                o = events.get(key)
                if o is not None and (o.event == "lost" or o.event == "problem"):
                    why = f"site {p.site_id}: {state.status}" + (f" ({state.note})" if state.note else "")
                    prior = extras.attention.get(t.row.key)
                    extras.attention[t.row.key] = f"{prior}; {why}" if prior else why
            extras.row_cells[t.row.key] = {"link_health": summary(shown, len(t.placements))}
        counts = Counter(o.status for o in self.checked)
        lost = sum(1 for o in self.checked if o.event == "lost")
        back = sum(1 for o in self.checked if o.event == "recovered")
        if self.checked or not_checked:
            parts = [f"{n} {s.lower()}" for s, n in sorted(counts.items())]
            text = f"Checked {len(self.checked)} placement(s): {', '.join(parts) or 'none'}"
            if lost:
                text += f"; {lost} newly lost"
            if back:
                text += f"; {back} back"
            if not_checked:
                text += f"; {not_checked} left for the next run (time budget)"
            extras.notes.append(text + ".")
        extras.report["verify"] = {
            "checked": len(self.checked),
            "requests": self.requests,
            "left_for_next_run": not_checked,
            "newly_lost": lost,
            "recovered": back,
            "placements": [o.to_dict() for o in self.checked],
        }
        return extras


def cells(state: LinkState) -> dict[str, str]:
    """The Placements columns for one placement's latest state."""
    return {
        "link_status": state.status,
        "checked_at": _minute(state.checked_at),
        "live_since": _minute(state.live_since),
        "lost_since": _minute(state.lost_since),
        "check_note": state.note,
        "anchor_text": state.anchor_text,
    }


def summary(states: Sequence[LinkState | None], total: int) -> str:
    """The articles column: '3/3 live', '2 live, 1 nofollow', '1 lost since 2026-12-04'."""
    checked = [s for s in states if s is not None]
    if not checked:
        return ""
    counts = Counter(s.status for s in checked)
    if set(counts) == {LIVE}:
        return f"{counts[LIVE]}/{total} live"
    parts: list[str] = []
    if counts[LIVE]:
        parts.append(f"{counts[LIVE]} live")
    for status in sorted(set(counts) - {LIVE, LOST}, key=_order):
        parts.append(f"{counts[status]} {status.lower()}")
    if counts[LOST]:
        since = min(s.lost_since for s in checked if s.status == LOST and s.lost_since)
        parts.append(f"{counts[LOST]} lost since {since:%Y-%m-%d}")
    return ", ".join(parts)


def _order(status: str) -> tuple[int, str]:
    return (0 if status in PROBLEMS else 1 if status in MISSES else 2, status)


def _minute(value: dt.datetime | None) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%MZ") if value else ""


__all__ = ["Check", "Outcome", "Verifier", "cells", "summary"]
