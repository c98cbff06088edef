"""Placements progress with the injected clock; task status follows; sandbox never charges."""

from __future__ import annotations

import datetime as dt

import requests

from sheetsync.emulator import Emulator, FakeClock
from sheetsync.emulator import progress
from sheetsync.emulator.progress import PlacementPlan, PlacementState, placement_state, plan_placement, task_status

from .conftest import START, TOKEN, store_payload

UTC = dt.timezone.utc


def show(base: str, task_id: str) -> dict:
    response = requests.get(base + "task/show", params={"api_token": TOKEN, "id": task_id})
    assert response.status_code == 200
    return response.json()["message"]


def test_live_task_goes_from_queued_to_publishing_to_final(base: str, clock: FakeClock, emu: Emulator) -> None:
    task_id = requests.post(base + "task/store", json=store_payload()).json()["task_id"]
    placements = emu.task_rows(TOKEN)[0]["placements"]
    schedule = sorted(p["schedule_at"] for p in placements)
    window_end = dt.datetime(2026, 12, 5, tzinfo=UTC)
    assert all(START <= at <= window_end for at in schedule)

    assert show(base, task_id)["status"] == "Queued Publishing"
    clock.set(schedule[0])
    task = show(base, task_id)
    assert task["status"] == "Publishing"
    started = [s for s in task["sites"] if s["status"] == "Publishing"]
    assert len(started) == 1 and started[0]["last_run_at"] == started[0]["schedule_at"]
    assert task["last_run_at"] == started[0]["schedule_at"] and task["completed_at"] is None

    clock.set(max(p["finish_at"] for p in placements))
    task = show(base, task_id)
    statuses = {s["status"] for s in task["sites"]}
    assert statuses <= {"Published", "Failed"}
    assert task["status"] == ("Published" if "Published" in statuses else "Failed")
    for site in task["sites"]:
        assert site["completed_at"] is not None
        assert (site["result_url"] is not None) == (site["status"] == "Published")
    assert task["completed_at"] == max(s["completed_at"] for s in task["sites"])
    assert task["updated_at"] == task["completed_at"]


def test_sandbox_finishes_within_minutes_and_never_charges(base: str, clock: FakeClock, emu: Emulator) -> None:
    for _ in range(5):
        assert requests.post(base + "task/store", json=store_payload(sandbox=True)).status_code == 201
    assert emu.credits(TOKEN) == 100
    assert all(r["charged"] == 0 for r in emu.task_rows(TOKEN))
    clock.advance(5 * 60)
    listed = requests.get(base + "tasks", params={"api_token": TOKEN}).json()["message"]
    assert {t["status"] for t in listed} <= {"Published", "Failed"}
    assert requests.get(base + "credits", params={"api_token": TOKEN}).json()["credits"] == 100


def test_sandbox_works_with_zero_credits(base: str, emu: Emulator) -> None:
    emu.add_account(TOKEN, 0)
    assert requests.post(base + "task/store", json=store_payload(sandbox=True)).status_code == 201
    assert emu.credits(TOKEN) == 0


def test_about_one_placement_in_ten_fails_and_the_draw_is_deterministic() -> None:
    plans = [
        plan_placement(7, f"task{i}", 388, START, START.date(), START.date() + dt.timedelta(days=3), False)
        for i in range(2000)
    ]
    failed = sum(p.outcome == progress.FAILED for p in plans) / len(plans)
    assert 0.07 < failed < 0.13
    again = plan_placement(7, "task5", 388, START, START.date(), START.date() + dt.timedelta(days=3), False)
    assert again == plans[5]
    other_seed = [plan_placement(8, f"task{i}", 388, START, START.date(), START.date(), False) for i in range(20)]
    assert [p.schedule_at for p in other_seed] != [p.schedule_at for p in plans[:20]]


def test_schedule_stays_inside_the_window_and_publishing_takes_minutes() -> None:
    for i in range(300):
        plan = plan_placement(1, f"t{i}", 372, START, dt.date(2026, 12, 1), dt.date(2026, 12, 3), False)
        assert dt.datetime(2026, 12, 1, tzinfo=UTC) <= plan.schedule_at <= dt.datetime(2026, 12, 3, tzinfo=UTC)
        assert dt.timedelta(minutes=5) <= plan.finish_at - plan.schedule_at <= dt.timedelta(minutes=45)


def test_same_day_window_closes_at_the_end_of_that_day() -> None:
    start, end = progress.window(START, START.date(), START.date())
    assert (start, end) == (START, dt.datetime(2026, 11, 29, tzinfo=UTC))
    late = dt.datetime(2026, 11, 28, 23, 30, tzinfo=UTC)
    assert progress.window(late, late.date(), late.date())[1] == late + dt.timedelta(hours=1)


def test_placement_state_over_time() -> None:
    plan = PlacementPlan(START, START + dt.timedelta(minutes=10), progress.PUBLISHED)
    assert placement_state(plan, START - dt.timedelta(seconds=1)).status == progress.QUEUED
    assert placement_state(plan, START) == PlacementState(progress.PUBLISHING, START, None)
    assert placement_state(plan, plan.finish_at) == PlacementState(progress.PUBLISHED, START, plan.finish_at)
    cancelled = START + dt.timedelta(minutes=5)
    assert placement_state(plan, START, cancelled).status == progress.PUBLISHING
    assert placement_state(plan, plan.finish_at, cancelled) == PlacementState(progress.CANCELLED, START, cancelled)
    # A cancel after the placement finished changes nothing.
    assert placement_state(plan, plan.finish_at, plan.finish_at).status == progress.PUBLISHED


def test_task_status_rolls_up_its_placements() -> None:
    def states(*names: str) -> list[PlacementState]:
        return [PlacementState(n, None, None) for n in names]

    q, p, ok, f, c = progress.QUEUED, progress.PUBLISHING, progress.PUBLISHED, progress.FAILED, progress.CANCELLED
    assert task_status(states(q, q)) == q
    assert task_status(states(q, p)) == p
    assert task_status(states(q, ok)) == p
    assert task_status(states(ok, f)) == ok
    assert task_status(states(f, f)) == f
    assert task_status(states(c, f)) == f
    assert task_status(states(c, c)) == c


def test_cancelled_task_shows_cancelled(base: str, clock: FakeClock, emu: Emulator) -> None:
    task_id = requests.post(base + "task/store", json=store_payload()).json()["task_id"]
    assert emu.cancel_task(task_id)
    clock.advance(60)
    task = show(base, task_id)
    assert task["status"] == "Cancelled" and {s["status"] for s in task["sites"]} == {"Cancelled"}
    assert task["completed_at"] == "2026-11-28T09:00:00.000000Z"


def test_accelerated_time_moves_placements_faster(clock: FakeClock) -> None:
    emu = Emulator(clock=clock, speed=3600, rate_limit=0)
    emu.add_account(TOKEN, 10)
    with emu.serve() as server:
        requests.post(server.base_url + "task/store", json=store_payload(schedule_till="2026-11-29"))
        clock.advance(16)  # 16 h of emulated time: the whole window has passed
        listed = requests.get(server.base_url + "tasks", params={"api_token": TOKEN}).json()["message"]
    assert listed[0]["status"] in ("Published", "Failed")
    assert emu.now() == START + dt.timedelta(hours=16)


def test_concurrent_submissions_never_overspend(base: str, emu: Emulator) -> None:
    from concurrent.futures import ThreadPoolExecutor

    emu.add_account(TOKEN, 30)
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda _: requests.post(base + "task/store", json=store_payload()).status_code, range(20)))
    # Ten fit exactly; after them the balance is 0, which the API answers with 401.
    assert sorted(codes) == [201] * 10 + [401] * 10
    rows = emu.task_rows(TOKEN)
    assert emu.credits(TOKEN) == 0 and len({r["id"] for r in rows}) == 10
