"""How placements move through time. Pure: every answer is computed from the clock on demand.

Each task x site gets a `schedule_at` inside the task's schedule window, a publishing
duration and an outcome, all drawn deterministically from the emulator's seed, so the same
seed and the same requests give the same history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

QUEUED = "Queued Publishing"
PUBLISHING = "Publishing"
PUBLISHED = "Published"
FAILED = "Failed"
CANCELLED = "Cancelled"
FINAL = (PUBLISHED, FAILED, CANCELLED)

# The task data model's other vocabulary, served when an emulator is asked to.
TASK_WORDS = {
    QUEUED: "queued",
    PUBLISHING: "running",
    PUBLISHED: "completed",
    FAILED: "failed",
    CANCELLED: "cancelled",
}
FAILURE_SHARE = 0.1


@dataclass(frozen=True)
class PlacementPlan:
    """What will happen to one placement, fixed when the task is created."""

    schedule_at: dt.datetime
    finish_at: dt.datetime
    outcome: str  # PUBLISHED or FAILED


@dataclass(frozen=True)
class PlacementState:
    status: str
    last_run_at: dt.datetime | None
    completed_at: dt.datetime | None


def unit(seed: int, *parts: object) -> float:
    """A deterministic number in [0, 1) from the seed and the given parts."""
    key = ":".join(str(p) for p in (seed, *parts)).encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") / 2**64


def window(
    created_at: dt.datetime, schedule_from: dt.date, schedule_till: dt.date
) -> tuple[dt.datetime, dt.datetime]:
    """The span placements are scheduled in: from creation (or the from day) until the till day.

    When the till day has already begun (till == from == today), the window closes at the end
    of the from day; it is never shorter than an hour.
    """
    start = max(created_at, _midnight(schedule_from))
    end = max(_midnight(schedule_till), _midnight(schedule_from) + dt.timedelta(days=1))
    return start, max(end, start + dt.timedelta(hours=1))


def plan_placement(
    seed: int,
    task_id: str,
    site_id: int,
    created_at: dt.datetime,
    schedule_from: dt.date,
    schedule_till: dt.date,
    sandbox: bool,
) -> PlacementPlan:
    """Draw one placement's schedule, publishing time and outcome."""
    if sandbox:
        # Sandbox tasks run through quickly so integrations can be tried in minutes.
        schedule_at = created_at + dt.timedelta(seconds=10 + 110 * unit(seed, task_id, site_id, "at"))
        duration = dt.timedelta(seconds=30 + 150 * unit(seed, task_id, site_id, "took"))
    else:
        start, end = window(created_at, schedule_from, schedule_till)
        span = (end - start).total_seconds()
        schedule_at = start + dt.timedelta(seconds=span * unit(seed, task_id, site_id, "at"))
        duration = dt.timedelta(minutes=5 + 40 * unit(seed, task_id, site_id, "took"))
    failed = unit(seed, task_id, site_id, "fails") < FAILURE_SHARE
    return PlacementPlan(
        schedule_at=_whole_seconds(schedule_at),
        finish_at=_whole_seconds(schedule_at + duration),
        outcome=FAILED if failed else PUBLISHED,
    )


def placement_state(
    plan: PlacementPlan, now: dt.datetime, cancelled_at: dt.datetime | None = None
) -> PlacementState:
    """Where a placement stands at `now`."""
    if cancelled_at is not None and cancelled_at < plan.finish_at and now >= cancelled_at:
        ran = plan.schedule_at if plan.schedule_at <= cancelled_at else None
        return PlacementState(CANCELLED, ran, cancelled_at)
    if now < plan.schedule_at:
        return PlacementState(QUEUED, None, None)
    if now < plan.finish_at:
        return PlacementState(PUBLISHING, plan.schedule_at, None)
    return PlacementState(plan.outcome, plan.schedule_at, plan.finish_at)


def task_status(states: list[PlacementState]) -> str:
    """A task's status from its placements, in the placement vocabulary."""
    statuses = [s.status for s in states]
    if not statuses or all(s == QUEUED for s in statuses):
        return QUEUED
    if not all(s in FINAL for s in statuses):
        return PUBLISHING
    if PUBLISHED in statuses:
        return PUBLISHED
    if FAILED in statuses:
        return FAILED
    return CANCELLED


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


def _whole_seconds(value: dt.datetime) -> dt.datetime:
    return value.replace(microsecond=0)
