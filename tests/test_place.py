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
