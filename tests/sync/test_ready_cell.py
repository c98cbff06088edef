"""An unreadable ready cell needs its author: sync says so in the row and exits 1, like validate."""

from __future__ import annotations

from sheetsync.errors import ExitCode

from .helpers import article, column, sheet


def test_an_unreadable_ready_cell_makes_sync_exit_1_with_the_rows_note(world, backend):
    rows = sheet(2) + [article(3, ready="yes please")] + [article(4, ready="")]
    backend.seed(rows)
    report = world.run(backend.open())
    assert report.exit_code is ExitCode.ATTENTION
    (flagged,) = [o for o in report.rows if o.attention]
    assert flagged.row == 4 and "yes please" in flagged.message
    notes = column(backend.values(), "notes")
    assert "yes please" in notes[2] and "is not yes or no" in notes[2]
    assert len(world.tasks()) == 2

    checked = world.run(backend.open(), "validate")
    assert checked.exit_code is ExitCode.ATTENTION


def test_a_row_not_ticked_ready_still_exits_0(world, backend):
    backend.seed(sheet(1) + [article(2, ready="")])
    assert world.run(backend.open()).exit_code is ExitCode.OK
