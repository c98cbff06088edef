"""End to end: real sheets (xlsx file, Google fake), the emulator over a socket, real journal."""

from __future__ import annotations

import pytest

from sheetsync.models import Status

from .helpers import HEADER, TOKEN, article, assert_exactly_once, column, sheet
from .tables import EditedTable


def test_sync_submits_each_row_once_and_writes_ids_back(world, backend):
    backend.seed(sheet(5))
    report = world.run(backend.open())
    assert report.exit_code == 0, report.to_dict()
    assert [r.action for r in report.rows] == ["submitted"] * 5
    assert report.spent == 10
    values = backend.values()
    assert_exactly_once(world, values)
    assert set(column(values, "status")) == {str(Status.QUEUED)}
    assert set(column(values, "mode")) == {"live"}
    assert column(values, "progress") == ["0/2 published"] * 5
    assert world.emu.credits("sync-test-token-7f3a9c") == 1000 - 10

    again = world.run(backend.open())
    assert world.store_posts() == 5
    assert {r.action for r in again.rows} <= {"refresh", "unchanged"}
    assert_exactly_once(world, backend.values())


@pytest.mark.parametrize("fault", ["500", "html", "reset_after_commit", "hang", "429"])
def test_faults_on_submission_never_duplicate_nor_lose(world, backend, fault):
    backend.seed(sheet(4, targets="372"))
    client = world.client(timeout=(2.0, 0.3))
    world.emu.faults.inject("task/store", fault, count=3 if fault == "429" else 1, seconds=0.6)
    first = world.run(backend.open(), client=client)
    by_action = {r.action for r in first.rows}
    if fault == "reset_after_commit" or fault == "hang":
        # The task was created; the lost answer is resolved in the same run by marker.
        assert by_action == {"submitted", "adopt"}, first.to_dict()
    elif fault == "429":
        # Refused even after the client's retries: nothing sent, and no more tries this run.
        assert by_action == {"not-sent"} and first.exit_code == 1
    else:
        assert "submitted" in by_action and first.exit_code == 1
        stuck = [r for r in first.rows if r.action in ("unknown", "not-sent")]
        assert stuck and all(r.message.rstrip(".").endswith(("later", "then")) or "next run" in r.message for r in stuck)
    if fault not in ("reset_after_commit", "hang"):
        values = backend.values()
        notes = [n for n in column(values, "notes") if n]
        assert notes and all("\n" not in n for n in notes)
    second = world.run(backend.open())
    assert second.exit_code == 0, second.to_dict()
    assert_exactly_once(world, backend.values())
    assert world.emu.credits(TOKEN) == 1000 - 4


def test_rows_inserted_sorted_and_deleted_during_a_sync_never_swap_data(world, backend):
    backend.seed(sheet(6))
    title_col = HEADER.index("article_title") + 1
    inserted = article(99)
    edits = {
        # Before the keys are written: a person inserts a row above row 4, so rows 4.. move.
        1: lambda: backend.insert_row(4, inserted),
        # Before the task ids are written: a person sorts by title (the inserted row 99 lands
        # last), then deletes the top row, which was just submitted.
        2: lambda: (backend.sort_rows(title_col), backend.delete_row(2)),
    }
    table = EditedTable(backend.open(), edits)
    report = world.run(table)
    skipped = [r for r in report.rows if r.action == "skipped"]
    assert [r.row for r in skipped] == [4, 5, 6, 7]  # moved before their key was written
    assert report.exit_code == 1 and all("run sync again" in r.message for r in skipped)
    assert world.store_posts() == 2  # only the rows whose key was written were sent
    gone = [r for r in report.rows if r.row == 2][0]
    assert gone.attention and "is safe on BacklinkBase" in gone.message
    _assert_rows_hold_their_own_tasks(world, backend.values())

    world.run(backend.open())
    values = backend.values()
    _assert_rows_hold_their_own_tasks(world, values)
    assert all(column(values, "task_id"))
    world.run(backend.open())
    assert world.store_posts() == len(values) - 1 + 1  # every row once, plus the deleted row's task


def _assert_rows_hold_their_own_tasks(world, values):
    tasks = {t["id"]: t for t in world.tasks()}
    markers = [t["name"].split()[-1] for t in tasks.values()]
    assert len(markers) == len(set(markers))
    for key, task_id, title in zip(column(values, "row_key"), column(values, "task_id"), column(values, "article_title")):
        if task_id:
            assert tasks[task_id]["article_title"] == title
            assert tasks[task_id]["name"].split()[-1] == key


class Stop(Exception):
    pass


def _stop_at(step: str, occurrence: int):
    left = {step: occurrence}

    def checkpoint(name: str) -> None:
        if name in left:
            left[name] -= 1
            if left[name] == 0:
                raise Stop(name)

    return checkpoint


def test_journal_deleted_between_runs_does_not_duplicate(world, backend):
    backend.seed(sheet(5, targets="372"))
    with pytest.raises(Stop):
        world.run(backend.open(), checkpoint=_stop_at("after-post", 3))
    assert world.store_posts() == 3
    world.journals.pop().close()
    world.journal_path.unlink()
    report = world.run(backend.open())
    assert world.store_posts() == 5
    assert [r.action for r in report.rows].count("adopt") >= 1
    assert_exactly_once(world, backend.values())


def test_two_machines_with_their_own_journals_do_not_duplicate(world, backend, tmp_path):
    backend.seed(sheet(5, targets="372"))
    with pytest.raises(Stop):
        world.run(backend.open(), checkpoint=_stop_at("after-journal", 2))
    other = world.journal(tmp_path / "other-machine.sqlite3")
    world.run(backend.open(), journal=other)
    world.run(backend.open())  # the first machine again, with its own older journal
    assert world.store_posts() == 5
    assert_exactly_once(world, backend.values())


def test_a_cleared_key_is_held_instead_of_resubmitted(world, backend):
    backend.seed(sheet(2, targets="372"))
    world.run(backend.open())
    values = backend.values()
    for name in ("row_key", "task_id"):
        clear_cell(backend, 2, values[0].index(name) + 1)
    report = world.run(backend.open())
    assert world.store_posts() == 2
    held = [r for r in report.rows if r.action == "hold"]
    assert len(held) == 1 and "back into row_key" in held[0].message


def clear_cell(backend, row: int, col: int) -> None:
    """A person empties one cell of the Articles tab."""
    if backend.name == "xlsx":
        backend._edit("Articles", lambda ws: setattr(ws.cell(row, col), "value", None))
    else:
        backend._sheet("Articles").set_cell(row, col, None)


def test_a_row_copied_with_its_key_before_sending_is_not_sent_until_the_copy_is_fixed(world, backend):
    key_col = len(HEADER) + 1
    backend.seed([[*HEADER, "row_key"], [*article(1), "ss-aaaaaaaa"], [*article(2), "ss-aaaaaaaa"]])
    report = world.run(backend.open())
    # Neither row could receive a task id while both claim one key: nothing is spent.
    assert world.store_posts() == 0 and report.spent == 0
    assert [r.action for r in report.rows] == ["hold", "hold"]
    first, copy = report.rows
    assert first.attention and "also in row 3" in first.message, report.to_dict()
    assert copy.attention and copy.message.startswith("Copied from row 2 together with its row_key ss-aaaaaaaa")
    assert report.exit_code == 1
    # Each row says so in its own notes cell, in the same words as the terminal.
    notes = column(backend.values(), "notes")
    assert notes == [first.message, copy.message]

    clear_cell(backend, 3, key_col)  # the person follows the note: the copy gets a new key
    report = world.run(backend.open())
    assert [r.action for r in report.rows] == ["submitted", "submitted"]
    assert_exactly_once(world, backend.values())


def test_a_copy_of_a_submitted_row_is_held_with_its_reason(world, backend):
    backend.seed(sheet(1))
    world.run(backend.open())
    copied = backend.values()[1]
    backend.insert_row(3, list(copied))
    report = world.run(backend.open())
    assert world.store_posts() == 1 and report.exit_code == 1
    copy = report.rows[1]
    assert copy.action == "hold" and copy.message.startswith("Copied from row 2 together with its row_key ss-"), report.to_dict()
    assert "clear row_key, task_id and status in this row to send it as a new article" in copy.message
    assert "moved or changed" not in copy.message
    assert column(backend.values(), "notes")[1] == copy.message  # said in the row itself
