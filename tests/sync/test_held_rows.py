"""Rows whose key and task id were lost (a workbook re-created, a backup restored) are never
sent again: not by the hold that recognises them, nor with a fresh journal; and a row that has
more than one task on BacklinkBase says so."""

from __future__ import annotations

from sheetsync.errors import ExitCode

from .helpers import TOKEN, column, sheet

LOST = ("row_key", "task_id", "mode", "status", "progress", "notes")


def lose_keys_and_ids(backend) -> None:
    """What another program saving an older copy of the sheet does: sheetsync's cells are gone."""
    values = backend.values()
    header = [str(h) for h in values[0]]
    cols = [header.index(n) + 1 for n in LOST if n in header]
    if backend.name == "xlsx":
        def change(ws):
            for r in range(2, len(values) + 1):
                for c in cols:
                    ws.cell(r, c).value = None
        backend._edit("Articles", change)
    else:
        tab = backend._sheet("Articles")
        for r in range(2, len(values) + 1):
            for c in cols:
                tab.set_cell(r, c, None)


def test_a_held_row_is_given_no_key_and_never_sent_later(world, backend):
    backend.seed(sheet(3))
    world.run(backend.open())
    lose_keys_and_ids(backend)
    for _ in range(2):
        report = world.run(backend.open())  # the same journal recognises the rows
        assert report.exit_code is ExitCode.ATTENTION
        assert [r.action for r in report.rows] == ["hold"] * 3
        assert column(backend.values(), "row_key") == ["", "", ""]
    assert len(world.tasks()) == 3 and world.store_posts() == 3


def test_with_a_fresh_journal_rows_matching_tasks_on_the_server_are_held(world, backend, tmp_path):
    backend.seed(sheet(3))
    world.run(backend.open())
    keys = column(backend.values(), "row_key")
    lose_keys_and_ids(backend)
    report = world.run(backend.open(), journal=world.journal(tmp_path / "elsewhere.sqlite3"))
    assert world.store_posts() == 3
    assert [r.action for r in report.rows] == ["hold"] * 3
    notes = column(backend.values(), "notes")
    for key, note in zip(keys, notes, strict=True):
        assert f"put {key} into row_key" in note
    assert column(backend.values(), "row_key") == ["", "", ""]


def test_the_same_name_with_other_content_is_a_new_article(world, backend, tmp_path):
    rows = sheet(1)
    rows[1][0] = "Garden notes for spring"
    backend.seed(rows)
    world.run(backend.open())
    other = sheet(2)[2]
    other[0] = "Garden notes for spring"  # same name, another article
    backend.insert_row(3, other)
    report = world.run(backend.open(), journal=world.journal(tmp_path / "fresh.sqlite3"))
    assert [r.action for r in report.rows] == ["refresh", "submitted"]
    assert world.store_posts() == 2


def test_a_row_with_two_tasks_on_the_server_says_so_in_the_row_and_the_run(world, backend):
    backend.seed(sheet(2))
    world.run(backend.open())
    values = backend.values()
    key, first = column(values, "row_key")[0], column(values, "task_id")[0]
    extra = {
        "api_token": TOKEN, "name": f"Sent by another tool {key}", "article_title": values[1][1],
        "article_body": values[1][2], "article_urls": values[1][3], "target_website_ids": "372",
    }
    answer = world.emu.handle("task/store", extra, client="setup", root_url=world.server.root_url)
    assert answer.status in (200, 201)
    report = world.run(backend.open())
    row = report.rows[0]
    assert report.exit_code is ExitCode.ATTENTION and row.attention
    assert "BacklinkBase has 2 tasks for this row" in row.message and first in row.message
    assert any("more than one task for row(s) 2" in n for n in report.notes)
    assert "Cancel the others" in column(backend.values(), "notes")[0]
