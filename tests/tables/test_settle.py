"""The pure check after a positional write: which cells to write again."""

from __future__ import annotations

from sheetsync.tables.base import CellWrite
from sheetsync.tables.settle import RowState, corrections, placed_keys

KEY, STATUS = 3, 4


def rows(*states: tuple[str, str, str]) -> list[RowState]:
    return [RowState(key, anchor, {STATUS: status}) for key, anchor, status in states]


def test_nothing_to_do_when_every_row_holds_its_own():
    before = rows(("k0", "Alpha", ""), ("k1", "Bravo", ""))
    after = rows(("k1", "Bravo", "Queued"), ("k0", "Alpha", ""))  # sorted after the write: fine
    assert corrections(before, {1: {STATUS: "Queued"}}, after, KEY) == []


def test_values_shifted_by_a_deleted_row_go_back_where_they_belong():
    before = rows(("k0", "Alpha", ""), ("k1", "Bravo", ""), ("k2", "Charlie", ""))
    # Alpha was deleted just before the write to rows 3 and 4: both landed one row low.
    after = rows(("k1", "Bravo", ""), ("k2", "Charlie", "Queued"))
    fixes = corrections(before, {1: {STATUS: "Queued"}, 2: {STATUS: "Sent"}}, after, KEY)
    assert fixes == [CellWrite(2, STATUS, "Queued"), CellWrite(3, STATUS, "Sent")]


def test_a_new_key_on_the_wrong_row_is_taken_back_and_given_to_its_own():
    before = rows(("k0", "Alpha", "Published"), ("", "Bravo", ""))
    after = rows(("", "Bravo", ""), ("ss-new", "Alpha", "Published"))  # sorted just before the write
    fixes = corrections(before, {1: {KEY: "ss-new"}}, after, KEY)
    assert sorted(fixes, key=lambda c: c.row) == [CellWrite(2, KEY, "ss-new"), CellWrite(3, KEY, "k0")]


def test_rows_that_cannot_be_told_apart_are_left_alone():
    before = rows(("", "Same", ""), ("", "Same", ""), ("k1", "Other", ""))
    after = rows(("", "Same", "oops"), ("", "Same", ""), ("k1", "Other", ""))
    assert corrections(before, {}, after, KEY) == []
    assert placed_keys(rows(("k1", "x", ""), ("k1", "y", ""), ("k2", "z", "")), ["k1", "k2", "k3"]) == {"k2"}
