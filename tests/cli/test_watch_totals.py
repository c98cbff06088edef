"""`sync --watch` reports what every cycle did, and still does after Ctrl-C."""

from __future__ import annotations

import pytest

from sheetsync.demo import DEMO_START
from sheetsync.emulator import Emulator, FakeClock
from sheetsync.errors import ExitCode

from .test_sheet_commands import INVALID_ROWS, VALID_ROWS


@pytest.fixture
def served():
    """Each test on the demo sheet's own day: a watch moves the clock on by days."""
    clock = FakeClock(start=DEMO_START)
    emulator = Emulator(db=":memory:", clock=clock, rate_limit=0, seed=1)
    with emulator.serve(host="127.0.0.1", port=0) as server:
        yield emulator, clock, server.base_url


def test_watch_totals_add_up_over_every_cycle(harness, demo_sheet):
    before = harness.emulator.credits(harness.token)
    result, doc = harness.json("sync", str(demo_sheet), "--yes", "--watch", "--interval", "21600")
    spent = before - harness.emulator.credits(harness.token)
    assert doc["runs"] > 1 and spent == sum(VALID_ROWS.values())
    assert doc["spent"] == spent == doc["totals"]["spent"]
    assert doc["totals"]["submitted"] == len(VALID_ROWS) and doc["totals"]["runs"] == doc["runs"]
    rows = {r["row"]: r for r in doc["rows"]}
    # The invalid rows of the first cycle still count, however many pulls came after it.
    assert INVALID_ROWS <= {r for r, o in rows.items() if o["action"] == "invalid"}
    assert doc["totals"]["problems"] >= len(INVALID_ROWS)
    assert doc["totals"]["failed"] == sum(1 for r in rows.values() if r["failed"])
    assert result.exit_code == ExitCode.ATTENTION == doc["exit_code"]


def test_watch_text_summary_names_the_totals_of_all_runs(harness, demo_sheet):
    result = harness.invoke("sync", str(demo_sheet), "--yes", "--watch", "--interval", "21600")
    spent = sum(VALID_ROWS.values())
    assert f"{spent} credit(s) spent" in result.stdout
    assert f"{len(VALID_ROWS)} submitted, {spent} credit(s) spent" in result.stdout


def test_ctrl_c_during_watch_still_prints_what_was_done(harness, demo_sheet):
    calls = []

    def interrupted_sleep(seconds: float) -> None:
        harness.clock.advance(seconds)
        if seconds < 2:
            return  # the sheet lease settling, not a --watch wait
        calls.append(seconds)
        if len(calls) % 2 == 0:
            raise KeyboardInterrupt

    harness.sleep = interrupted_sleep  # type: ignore[method-assign]
    result, doc = harness.json("sync", str(demo_sheet), "--yes", "--watch", "--interval", "600")
    assert result.exit_code == ExitCode.INTERRUPTED == doc["exit_code"]
    assert doc["interrupted"] is True and doc["runs"] == 2
    assert doc["spent"] == sum(VALID_ROWS.values()) and doc["totals"]["submitted"] == len(VALID_ROWS)
    assert "Interrupted" in result.stderr

    text = harness.invoke("sync", str(demo_sheet), "--watch", "--interval", "600")
    assert text.exit_code == ExitCode.INTERRUPTED
    assert "Rows:" in text.stdout and "Interrupted" in text.stderr
