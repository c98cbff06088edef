"""A sandbox rehearsal reads as one in the status cell, and stays cheap to re-sync."""

from __future__ import annotations

from sheetsync.workflow import Options

from .helpers import column, sheet


def test_sandbox_rows_say_so_in_their_status_and_a_quiet_resync_costs_one_request(world, backend):
    backend.seed(sheet(2))
    sandbox = Options(lock_folder=world.tmp_path / "locks", sandbox=True)
    first = world.run(backend.open(), options=sandbox)
    assert set(column(backend.values(), "status")) == {"Queued (sandbox)"}
    assert {r.status for r in first.rows} == {"Queued (sandbox)"}  # the terminal says the same
    world.clock.advance(3 * 24 * 3600)
    world.run(backend.open(), options=sandbox)
    assert set(column(backend.values(), "status")) == {"Published (sandbox)"}
    quiet = world.run(backend.open(), options=sandbox)
    assert quiet.api_requests == 1  # the task list: "Published (sandbox)" is what the sheet should show


def test_live_rows_keep_the_plain_status(world, backend):
    backend.seed(sheet(1))
    world.run(backend.open())
    assert column(backend.values(), "status") == ["Queued"]
