"""Pure: what a placement's history plus one new check means, and when to check it next.

A loss is confirmed only by two misses in a row at least an hour apart (one bad answer is
never an alarm); being unreachable 3 times over at least 7 days counts as lost too. Checks
follow the schedule (on publishing, then +2, +7, +30 days, then every 30 days); an
unconfirmed miss is checked again after an hour, an unreachable page after a day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from .classify import LIVE, LOST, MISSES, PROBLEMS, UNREACHABLE, Check

CONFIRM_AFTER = dt.timedelta(hours=1)
UNREACHABLE_RETRY = dt.timedelta(days=1)
UNREACHABLE_CHECKS = 3
UNREACHABLE_SPAN = dt.timedelta(days=7)


@dataclass(frozen=True)
class Schedule:
    """Days after the first check at which to check again, then every `every` days."""

    offsets: tuple[float, ...] = (2, 7, 30)
    every: float = 30

    @classmethod
    def parse(cls, text: str) -> "Schedule":
        """'2,7,30' (then every 30 days), or '2,7,30/14' for every 14 days after the last."""
        head, _, tail = text.partition("/")
        try:
            offsets = tuple(float(x) for x in head.replace(";", ",").split(",") if x.strip())
            every = float(tail) if tail.strip() else 30.0
        except (ValueError, IndexError):
            raise ValueError(
                f"The check schedule {text!r} is not a list of days; write e.g. 2,7,30 "
                "(then every 30 days) or 2,7,30/14."
            ) from None
        if not offsets or every <= 0 or any(b <= a for a, b in zip((0, *offsets), offsets)):
            raise ValueError(
                f"The check schedule {text!r} needs increasing days above 0, e.g. 2,7,30."
            )
        return cls(offsets, every)

    def next_after(self, first: dt.datetime, at: dt.datetime) -> dt.datetime:
        """The first scheduled check after `at`, for a placement first checked at `first`."""
        for days in self.offsets:
            due = first + dt.timedelta(days=days)
            if due > at:
                return due
        last = first + dt.timedelta(days=self.offsets[-1])
        step = dt.timedelta(days=self.every)
        periods = int((at - last) / step) + 1
        return last + periods * step


@dataclass(frozen=True, slots=True)
class LinkState:
    """Everything remembered about one placement's link between runs."""

    result_url: str
    status: str  # what the sheet shows
    note: str
    checked_at: dt.datetime
    first_checked: dt.datetime
    next_due: dt.datetime
    last_raw: str = ""  # the last check's own status
    anchor_text: str = ""
    rel: str = ""
    live_since: dt.datetime | None = None
    lost_since: dt.datetime | None = None
    miss_since: dt.datetime | None = None  # first miss of the current run of misses
    misses: int = 0
    unreachable_since: dt.datetime | None = None
    unreachable: int = 0
    checks: int = 0


def advance(
    state: LinkState | None, url: str, check: Check, at: dt.datetime, schedule: Schedule
) -> tuple[LinkState, str]:
    """The state after `check` at `at`, and what happened: "lost", "recovered", "problem" or ""."""
    if state is None or state.result_url != url:
        state = LinkState(url, "", "", at, at, at)
    s = replace(state, checked_at=at, last_raw=check.status, checks=state.checks + 1)
    was_lost = state.status == LOST
    event = ""
    if check.status in MISSES:
        since = state.miss_since or at
        misses = state.misses + 1
        s = replace(s, miss_since=since, misses=misses, unreachable_since=None, unreachable=0,
                    anchor_text=check.anchor_text, rel=check.rel)  # fmt: skip
        if misses >= 2 and at - since >= CONFIRM_AFTER:
            s = replace(s, status=LOST, note=check.note, lost_since=state.lost_since or since, live_since=None)
            event = "" if was_lost else "lost"
        elif was_lost:
            s = replace(s, note=check.note)
        else:
            again = at + CONFIRM_AFTER
            s = replace(
                s, status=check.status,
                note=f"{check.note} Not a loss until a second check after {_hm(again)} finds the same.",
            )  # fmt: skip
    elif check.status == UNREACHABLE:
        since = state.unreachable_since or at
        count = state.unreachable + 1
        s = replace(s, unreachable_since=since, unreachable=count)
        if count >= UNREACHABLE_CHECKS and at - since >= UNREACHABLE_SPAN:
            s = replace(
                s, status=LOST, lost_since=state.lost_since or since, live_since=None,
                note=f"Lost (unreachable): {count} checks since {since:%Y-%m-%d} had no answer; last: "
                     f"{check.note.removeprefix('Unreachable: ')}",
            )  # fmt: skip
            event = "" if was_lost else "lost"
        elif was_lost:
            s = replace(s, note=f"Still lost; {check.note[0].lower()}{check.note[1:]}")
        else:
            s = replace(s, status=UNREACHABLE, note=f"{check.note} Temporary: checked again tomorrow.")
    else:
        # The page answered with the link on it (live, or live with a problem).
        s = replace(
            s, miss_since=None, misses=0, unreachable_since=None, unreachable=0,
            anchor_text=check.anchor_text, rel=check.rel, lost_since=None, status=check.status,
        )  # fmt: skip
        note = check.note
        if was_lost:
            back = f"Back on {at:%Y-%m-%d} (lost since {state.lost_since:%Y-%m-%d})" if state.lost_since else "Back again"
            note = f"{back}; {note}" if note else f"{back}."
            event = "recovered"
        if check.status == LIVE:
            keep = state.status == LIVE and state.live_since is not None
            s = replace(s, live_since=state.live_since if keep else at)
        else:
            s = replace(s, live_since=None)
            if check.status in PROBLEMS:
                event = event or "problem"
        s = replace(s, note=note)
    due = schedule.next_after(s.first_checked, at)
    if s.status in MISSES:
        due = min(due, at + CONFIRM_AFTER)
    elif s.status == UNREACHABLE:
        due = min(due, at + UNREACHABLE_RETRY)
    return replace(s, next_due=due), event


def _hm(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%MZ")
