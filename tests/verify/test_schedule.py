"""The pure scheduler: confirmed losses, recoveries, unreachable streaks, when to check next."""

from __future__ import annotations

import datetime as dt

import pytest

from sheetsync.verify.classify import Check
from sheetsync.verify.schedule import Schedule, advance

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)
URL = "https://blog.example/p"
LIVE = Check("Live", "", "Acme", "")
MISS = Check("Link missing", "Link to https://acme.com missing.")
DOWN = Check("Unreachable", "Unreachable: the connection timed out.")
S = Schedule()


def run(*steps: tuple[float, Check]):
    """Apply checks at T0 + hours; return every (state, event)."""
    state, out = None, []
    for hours, check in steps:
        state, event = advance(state, URL, check, T0 + dt.timedelta(hours=hours), S)
        out.append((state, event))
    return out


def test_the_default_schedule_is_publish_then_2_7_30_days_then_every_30():
    due = [S.next_after(T0, T0)]
    for _ in range(5):
        due.append(S.next_after(T0, due[-1]))
    assert [(d - T0).days for d in due] == [2, 7, 30, 60, 90, 120]
    assert Schedule.parse("1,3/14").next_after(T0, T0 + dt.timedelta(days=3)) == T0 + dt.timedelta(days=17)
    with pytest.raises(ValueError, match="e.g. 2,7,30"):
        Schedule.parse("7,2")


def test_one_miss_is_not_a_loss_and_is_checked_again_after_an_hour():
    [(state, event)] = run((0, MISS))
    assert state.status == "Link missing" and event == "" and state.lost_since is None
    assert state.next_due == T0 + dt.timedelta(hours=1)


def test_two_misses_an_hour_apart_confirm_a_loss_from_the_first_miss():
    steps = run((0, LIVE), (48, MISS), (48.5, MISS), (49, MISS))
    assert [s.status for s, _ in steps] == ["Live", "Link missing", "Link missing", "Lost"]
    assert [e for _, e in steps] == ["", "", "", "lost"]
    assert steps[-1][0].lost_since == T0 + dt.timedelta(hours=48)
    assert steps[-1][0].note == MISS.note


def test_a_live_check_between_misses_starts_over():
    steps = run((0, MISS), (1, LIVE), (2, MISS))
    assert steps[-1][0].status == "Link missing"


def test_a_lost_link_that_comes_back_is_live_with_a_note():
    steps = run((0, LIVE), (48, MISS), (50, MISS), (24 * 9, LIVE))
    state, event = steps[-1]
    assert (state.status, event) == ("Live", "recovered")
    assert state.note == "Back on 2026-12-10 (lost since 2026-12-03)."
    assert state.lost_since is None and state.live_since == T0 + dt.timedelta(hours=24 * 9)


def test_live_since_stays_while_the_link_stays():
    steps = run((0, LIVE), (48, LIVE), (48 + 120, DOWN), (48 + 144, LIVE))
    assert steps[1][0].live_since == T0
    assert steps[-1][0].live_since != T0  # an unreachable spell shows; live again from then


def test_unreachable_is_never_a_loss_on_one_check_and_is_retried_the_next_day():
    [(state, event)] = run((0, DOWN))
    assert state.status == "Unreachable" and event == ""
    assert state.next_due == T0 + dt.timedelta(days=1)


def test_unreachable_three_times_over_seven_days_is_lost_unreachable():
    short = run((0, DOWN), (24, DOWN), (48, DOWN), (72, DOWN))
    assert all(s.status == "Unreachable" for s, _ in short)
    long = run((0, DOWN), (24 * 3, DOWN), (24 * 7, DOWN))
    state, event = long[-1]
    assert (state.status, event) == ("Lost", "lost")
    assert state.note.startswith("Lost (unreachable): 3 checks since 2026-12-01")
    assert state.lost_since == T0


def test_unreachable_does_not_break_a_run_of_misses():
    steps = run((0, MISS), (1, DOWN), (2, MISS))
    assert steps[-1][0].status == "Lost"


def test_a_new_result_url_starts_a_new_history():
    [(state, _)] = run((0, MISS))
    fresh, _ = advance(state, "https://blog.example/moved", MISS, T0 + dt.timedelta(hours=2), S)
    assert fresh.status == "Link missing" and fresh.misses == 1
