"""Rows that need a person are reported as such every time, in every mode."""

from __future__ import annotations

from .helpers import article, column, sheet


def _failed_rows(values: list[list[object]]) -> list[int]:
    return [
        i + 2 for i, progress in enumerate(column(values, "progress")) if "failed" in progress
    ]


def test_failed_placements_need_a_person_every_time_they_are_reported(world, backend):
    backend.seed(sheet(12, targets="372, 373, 380"))
    world.run(backend.open(), "push")
    world.clock.advance(3 * 24 * 3600)
    first = world.run(backend.open(), "pull")
    values = backend.values()
    failed = _failed_rows(values)
    assert failed, "the emulator's seed gives some failed placements among 36"
    statuses = dict(zip(range(2, 14), column(values, "status")))
    notes = dict(zip(range(2, 14), column(values, "notes")))
    for report in (first, world.run(backend.open(), "pull"), world.run(backend.open(), "sync")):
        assert report.exit_code == 1
        by_row = {o.row: o for o in report.rows}
        for row in failed:
            outcome = by_row[row]
            assert outcome.attention, (report.mode, row, statuses[row])
            assert outcome.message == " ".join(notes[row].split())
            assert "placements failed" in outcome.message and "new row" in outcome.message
        assert not any(o.attention for o in report.rows if o.row not in failed)


def test_a_failed_row_is_still_reported_when_the_journal_is_gone(world, backend, tmp_path):
    backend.seed(sheet(12, targets="372, 373, 380"))
    world.run(backend.open(), "push")
    world.clock.advance(3 * 24 * 3600)
    world.run(backend.open(), "pull")
    failed = _failed_rows(backend.values())
    # Another machine: no journal, so only the sheet's progress cell and the task list tell.
    report = world.run(backend.open(), "pull", journal=world.journal(tmp_path / "other.sqlite3"))
    assert report.exit_code == 1
    assert {o.row for o in report.rows if o.attention} == set(failed)


def test_pull_shows_a_row_with_an_unknown_site_id_as_invalid_not_as_new(world, backend):
    rows = sheet(1)
    rows.append(article(2, targets="372, 9999"))
    backend.seed(rows)
    report = world.run(backend.open(), "pull")
    by_row = {o.row: o for o in report.rows}
    assert by_row[2].action == "new" and not by_row[2].attention
    assert by_row[3].action == "invalid" and by_row[3].attention
    assert "9999" in by_row[3].message and "a push will submit" not in by_row[3].message
    assert report.exit_code == 1
    assert "9999" in column(backend.values(), "notes")[1]
