"""One contract, every backend: what `read()` returns and what `write()` may and may not touch.

People edit the sheet between a read and a write-back (insert, delete, sort rows); the edits
here go straight to the backing store, as theirs would.
"""

from __future__ import annotations

import datetime as dt

import pytest

from sheetsync.errors import TableError
from sheetsync.tables.base import RowWrite, Tab, WriteBack

HEADER = ["title", "body", "row_key"]
ARTICLES = [
    HEADER,
    ["Alpha title here", "body a", "ka"],
    ["Bravo title here", "body b", "kb"],
    ["Charlie title here", "body c", "kc"],
]


def status_of(rows: list[RowWrite]) -> WriteBack:
    return WriteBack("row_key", "title", tuple(rows))


def by_title(values: list[list[object]]) -> dict[object, list[object]]:
    """Data rows keyed by their title cell, so assertions do not depend on row order."""
    return {row[0]: row for row in values[1:] if row}


def column(values: list[list[object]], name: str) -> int:
    return values[0].index(name)


# --- read ----------------------------------------------------------------------------------


def test_read_returns_plain_python_values(backend):
    backend.seed(
        [
            ["text", "int", "float", "flag", "key"],
            ["hello", 388, 2.5, True, "k1"],
            ["world", -3, 0.25, False, "k2"],
        ]
    )
    grid = backend.open().read()
    assert grid.header == ("text", "int", "float", "flag", "key")
    assert grid.rows == (("hello", 388, 2.5, True, "k1"), ("world", -3, 0.25, False, "k2"))
    assert type(grid.rows[0][1]) is int and type(grid.rows[0][3]) is bool


def test_read_returns_dates_as_dates(backend):
    backend.seed([["title", "schedule_from"], ["Dated", dt.date(2025, 3, 14)]])
    assert backend.open().read().rows == (("Dated", dt.date(2025, 3, 14)),)


def test_blank_rows_in_the_middle_keep_row_numbers_and_trailing_ones_go(backend):
    backend.seed([HEADER, ["first", "b", "k1"], [], [None, None, None], ["fourth", "b", "k4"], [], []])
    grid = backend.open().read()
    assert grid.rows == (
        ("first", "b", "k1"),
        (None, None, None),
        (None, None, None),
        ("fourth", "b", "k4"),
    )
    assert grid.row_number(3) == 5


def test_rows_are_padded_and_truncated_to_the_header_width(backend):
    backend.seed([["a", "b", "c"], ["only a"], ["1", "2", "3", "beyond the header"]])
    grid = backend.open().read()
    assert grid.rows == (("only a", None, None), ("1", "2", "3"))


def test_trailing_blank_header_cells_are_not_columns(backend):
    backend.seed([["a", "b", None, None], ["x", "y"]])
    assert backend.open().read().header == ("a", "b")


def test_empty_sheet_reads_as_nothing(backend):
    backend.seed([[]])
    grid = backend.open().read()
    assert grid.header == () and grid.rows == ()


def test_unicode_round_trips(backend):
    backend.seed([["Título", "本文", "row_key"], ["Ünïcödé 🚀 ταχύ", "中文内容", "k1"]])
    table = backend.open()
    grid = table.read()
    assert grid.header == ("Título", "本文", "row_key")
    assert grid.rows[0][:2] == ("Ünïcödé 🚀 ταχύ", "中文内容")
    result = table.write(WriteBack("row_key", "Título", (RowWrite("k1", {"notes": "Título — ok ✓ 日本"}, 2),)))
    assert result.written == ("k1",)
    assert backend.values()[1][3] == "Título — ok ✓ 日本"


def test_a_named_worksheet_is_read_and_an_unknown_one_refused(backend):
    backend.seed(ARTICLES, worksheet="Queue")
    assert backend.open("Queue").read().rows[0][0] == "Alpha title here"
    with pytest.raises(TableError, match="Queue"):
        backend.open("Nope").read()


# --- write by key --------------------------------------------------------------------------


def test_write_lands_on_the_rows_read(backend):
    backend.seed(ARTICLES)
    table = backend.open()
    table.read()
    result = table.write(status_of([RowWrite("kb", {"status": "Published"}, 3)]))
    assert result.written == ("kb",) and result.lost == ()
    values = backend.values()
    assert values[0] == [*HEADER, "status"]
    assert values[2] == ["Bravo title here", "body b", "kb", "Published"]
    assert values[1] == ["Alpha title here", "body a", "ka"]
    assert values[3] == ["Charlie title here", "body c", "kc"]


def test_write_follows_keys_after_a_row_is_inserted_above(backend):
    backend.seed(ARTICLES)
    table = backend.open()
    table.read()
    backend.insert_row(2, ["Inserted by a person", "new body"])
    table.write(status_of([RowWrite("ka", {"status": "A"}, 2), RowWrite("kc", {"status": "C"}, 4)]))
    rows = by_title(backend.values())
    assert rows["Inserted by a person"] == ["Inserted by a person", "new body"]
    assert rows["Alpha title here"][3] == "A"
    assert rows["Charlie title here"][3] == "C"
    assert len(rows["Bravo title here"]) == 3


def test_write_follows_keys_after_a_row_is_deleted_and_reports_the_vanished_one(backend):
    backend.seed(ARTICLES)
    table = backend.open()
    table.read()
    backend.delete_row(3)  # Bravo
    result = table.write(
        status_of([RowWrite(k, {"status": k.upper()}, n) for k, n in (("ka", 2), ("kb", 3), ("kc", 4))])
    )
    assert set(result.written) == {"ka", "kc"}
    assert [(lost.key, lost.read_row) for lost in result.lost] == [("kb", 3)]
    values = backend.values()
    assert values[1:] == [
        ["Alpha title here", "body a", "ka", "KA"],
        ["Charlie title here", "body c", "kc", "KC"],
    ]


def test_write_follows_keys_after_a_sort(backend):
    backend.seed(ARTICLES)
    table = backend.open()
    table.read()
    backend.sort_rows(1, reverse=True)
    table.write(
        status_of([RowWrite(k, {"status": f"status of {k}"}, n) for k, n in (("ka", 2), ("kb", 3), ("kc", 4))])
    )
    values = backend.values()
    assert [row[0] for row in values[1:]] == ["Charlie title here", "Bravo title here", "Alpha title here"]
    for row in values[1:]:
        assert row[3] == f"status of {row[2]}"


def test_new_key_is_written_where_the_row_still_is(backend):
    backend.seed([HEADER, ["Alpha title here", "a"], ["Bravo title here", "b"]])
    table = backend.open()
    table.read()
    result = table.write(
        status_of([RowWrite("new-b", {"status": "Queued"}, 3, new_key=True, anchor="Bravo title here")])
    )
    assert result.written == ("new-b",)
    assert backend.values()[1:] == [
        ["Alpha title here", "a"],
        ["Bravo title here", "b", "new-b", "Queued"],
    ]


def test_new_key_is_refused_when_the_row_moved(backend):
    backend.seed([HEADER, ["Alpha title here", "a"], ["Bravo title here", "b"]])
    table = backend.open()
    table.read()
    backend.insert_row(2, ["Inserted by a person", "x"])
    result = table.write(
        status_of([RowWrite("new-b", {"status": "Queued"}, 3, new_key=True, anchor="Bravo title here")])
    )
    assert result.written == ()
    assert [lost.key for lost in result.lost] == ["new-b"]
    assert all("new-b" not in row and "Queued" not in row for row in backend.values())


def test_a_key_found_in_two_rows_is_written_nowhere(backend):
    backend.seed([HEADER, ["Alpha title here", "a", "ka"], ["Copy of alpha", "a", "ka"]])
    table = backend.open()
    table.read()
    result = table.write(status_of([RowWrite("ka", {"status": "Published"}, 2)]))
    assert result.written == () and "more than one row" in result.lost[0].why
    assert all("Published" not in row for row in backend.values())


def test_missing_owned_columns_are_appended_and_user_columns_untouched(backend):
    backend.seed([["title", "body", "my notes"], ["Alpha title here", "a", "mine"], ["Bravo title here", "b"]])
    table = backend.open()
    table.read()
    table.write(
        status_of(
            [
                RowWrite("ka", {"task_id": "t1", "status": "Queued"}, 2, new_key=True, anchor="Alpha title here"),
                RowWrite("kb", {"task_id": "t2", "status": "Queued"}, 3, new_key=True, anchor="Bravo title here"),
            ]
        )
    )
    values = backend.values()
    assert values[0] == ["title", "body", "my notes", "row_key", "task_id", "status"]
    assert values[1] == ["Alpha title here", "a", "mine", "ka", "t1", "Queued"]
    assert values[2] == ["Bravo title here", "b", None, "kb", "t2", "Queued"]


def test_existing_owned_columns_are_found_by_name_wherever_they_are(backend):
    backend.seed([["Status", "title", "Row Key"], [None, "Alpha title here", "ka"]])
    table = backend.open()
    table.read()
    table.write(status_of([RowWrite("ka", {"status": "Published"}, 2)]))
    assert backend.values() == [["Status", "title", "Row Key"], ["Published", "Alpha title here", "ka"]]


def test_only_the_given_cells_change(backend):
    backend.seed(ARTICLES)
    before = backend.values()
    table = backend.open()
    table.read()
    table.write(status_of([RowWrite("kb", {"status": "x"}, 3)]))
    after = backend.values()
    assert [row[:3] for row in after] == before


def test_formula_looking_text_stays_text(backend):
    backend.seed(ARTICLES)
    table = backend.open()
    table.read()
    texts = {"ka": "=1+1", "kb": "+49 30 1234", "kc": "@mention -5"}
    table.write(status_of([RowWrite(k, {"notes": v}, n) for (k, v), n in zip(texts.items(), (2, 3, 4))]))
    values = backend.values()
    col = column(values, "notes")
    assert [row[col] for row in values[1:]] == list(texts.values())
    assert not any(backend.is_formula(r, col + 1) for r in (2, 3, 4))
    assert backend.open().read().rows[0][col] == "=1+1"


def test_duplicate_user_headers_are_read_as_they_are(backend):
    backend.seed([["title", "comment", "comment"], ["Alpha title here", "one", "two"]])
    grid = backend.open().read()
    assert grid.header == ("title", "comment", "comment")
    assert grid.rows == (("Alpha title here", "one", "two"),)


def test_a_duplicated_owned_header_stops_the_write(backend):
    backend.seed([["title", "status", "row_key", "Status"], ["Alpha title here", None, "ka"]])
    table = backend.open()
    table.read()
    with pytest.raises(TableError, match="twice"):
        table.write(status_of([RowWrite("ka", {"status": "Published"}, 2)]))
    assert backend.values()[1] == ["Alpha title here", None, "ka"]


# --- other tabs ----------------------------------------------------------------------------


def placements(rows: list[tuple[str, ...]]) -> Tab:
    return Tab("Placements", ("row_key", "site_id", "status"), tuple(rows))


def test_other_tabs_survive_a_write(backend):
    backend.seed(ARTICLES)
    table = backend.open()
    table.read()
    table.write(status_of([RowWrite("ka", {"status": "x"}, 2)]))
    assert backend.values("Notes") == [["kept by people"]]


def test_the_secondary_tab_is_created_then_replaced_without_stale_rows(backend):
    backend.seed(ARTICLES)
    table = backend.open()
    table.read()
    big = placements([("ka", "1", "Published"), ("ka", "2", "=queued"), ("kb", "3", "Failed")])
    table.write(WriteBack("row_key", "title", (RowWrite("ka", {"status": "x"}, 2),), tab=big))
    assert backend.values("Placements") == [["row_key", "site_id", "status"], *map(list, big.rows)]

    small = placements([("kc", "9", "Queued")])
    table.write(WriteBack("row_key", "title", (), tab=small))
    assert backend.values("Placements") == [["row_key", "site_id", "status"], ["kc", "9", "Queued"]]
    assert backend.values("Notes") == [["kept by people"]]
    assert backend.values()[1][3] == "x"



# --- other tabs ------------------------------------------------------------------------------


def test_read_names_the_tab_read(backend):
    backend.seed(ARTICLES)
    assert backend.open().read().title == "Articles"


def test_tab_header_and_read_tab_see_other_tabs_in_any_case(backend):
    backend.seed(ARTICLES)
    table = backend.open()
    table.read()
    assert table.tab_header("NOTES") == ("kept by people",)
    assert table.read_tab("notes") == (("kept by people",),)
    assert table.tab_header("Missing") is None and table.read_tab("Missing") is None


def test_write_tab_replaces_one_tab_and_nothing_else(backend):
    backend.seed(ARTICLES)
    table = backend.open()
    table.read()
    table.write_tab(Tab("Own", ("a", "b"), (("1", "2"), ("3", "4"))))
    table.write_tab(Tab("Own", ("a", "b"), (("5", ""),)))
    assert table.read_tab("own") == (("a", "b"), ("5",))
    assert backend.values() == ARTICLES
    assert backend.values("Notes") == [["kept by people"]]


def test_a_tab_another_client_created_since_the_read_is_seen_and_replaced(backend):
    backend.seed(ARTICLES)
    mine, theirs = backend.open(), backend.open()
    mine.read()
    theirs.read()
    theirs.write_tab(Tab("Own", ("holder",), (("theirs",),)))
    assert mine.read_tab("Own") == (("holder",), ("theirs",))
    mine.write_tab(Tab("Own", ("holder",), (("mine",),)))
    assert theirs.read_tab("Own") == (("holder",), ("mine",))
    assert theirs.read_tab("own") == (("holder",), ("mine",))
