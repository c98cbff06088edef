"""The shared write-back placement: rows are found by key, never by stale row numbers."""

from sheetsync.tables.base import Columns, RowWrite, WriteBack, place


def cells(p):
    return {(c.row, c.col): c.value for c in p.cells}


def test_rows_found_by_key_after_a_sort():
    current = Columns(header=("title", "row_key", "status"), keys=("b", "a"), anchors=("T2", "T1"))
    wb = WriteBack("row_key", "title", (RowWrite("a", {"status": "Published"}, read_row=2),))
    p = place(current, wb)
    assert cells(p) == {(3, 3): "Published"}
    assert p.written == ["a"]


def test_missing_columns_are_appended_after_the_last_header():
    current = Columns(header=("title", "", ""), keys=("",), anchors=("T1",))
    wb = WriteBack("row_key", "title", (RowWrite("k1", {"status": "Queued"}, 2, new_key=True, anchor="T1"),))
    p = place(current, wb)
    assert cells(p) == {(1, 2): "row_key", (2, 2): "k1", (1, 3): "status", (2, 3): "Queued"}


def test_new_key_refused_when_the_row_changed():
    current = Columns(header=("title", "row_key"), keys=("", ""), anchors=("Inserted row", "T1"))
    wb = WriteBack("row_key", "title", (RowWrite("k1", {}, 2, new_key=True, anchor="T1"),))
    p = place(current, wb)
    assert p.cells == [] and [lost.key for lost in p.lost] == ["k1"]


def test_vanished_key_is_reported_not_written():
    current = Columns(header=("title", "row_key"), keys=("other",), anchors=("T",))
    p = place(current, WriteBack("row_key", "title", (RowWrite("gone", {"row_key": "x"}, 2),)))
    assert p.cells == [] and p.lost[0].why.startswith("its row key")


def test_a_key_in_two_rows_is_lost_not_guessed():
    current = Columns(header=("title", "row_key"), keys=("a", "b", "a"), anchors=("T1", "T2", "Copy"))
    p = place(current, WriteBack("row_key", "title", (RowWrite("a", {"status": "x"}, 2),)))
    assert p.cells == [] and p.written == []
    assert p.lost[0].why == "its row key is in more than one row (2, 4)"


def test_new_key_for_a_row_past_the_end_is_lost():
    # The sheet shrank below the row that was read; an empty anchor must not match "nothing".
    current = Columns(header=("title", "row_key"), keys=("",), anchors=("",))
    wb = WriteBack("row_key", "title", (RowWrite("k9", {"status": "x"}, 5, new_key=True, anchor=""),))
    p = place(current, wb)
    assert p.cells == [] and [lost.key for lost in p.lost] == ["k9"]


def test_new_columns_go_after_data_without_a_header():
    current = Columns(header=("title", "row_key"), keys=("a",), anchors=("T1",), width=4)
    p = place(current, WriteBack("row_key", "title", (RowWrite("a", {"status": "x"}, 2),)))
    assert cells(p) == {(1, 5): "status", (2, 5): "x"}


def test_a_key_already_assigned_earlier_in_the_run_is_rewritten_in_place():
    current = Columns(header=("title", "row_key"), keys=("k1",), anchors=("T1",))
    wb = WriteBack("row_key", "title", (RowWrite("k1", {"status": "y"}, 2, new_key=True, anchor="T1"),))
    assert cells(place(current, wb)) == {(2, 2): "k1", (1, 3): "status", (2, 3): "y"}


def test_cell_text_compares_numbers_dates_and_blanks_the_way_people_read_them():
    import datetime as dt

    from sheetsync.tables.base import Unreadable, cell_text

    assert [cell_text(v) for v in (388.0, 2.5, 7, None, " a ", True, dt.date(2025, 1, 2))] == [
        "388", "2.5", "7", "", "a", "TRUE", "2025-01-02"
    ]
    assert cell_text(Unreadable("x")) == ""
