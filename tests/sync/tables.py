"""A table that lets a "person" edit the sheet between the sync's read and its writes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sheetsync.tables.base import CellWrite, Columns, Grid, Tab, Table


class EditedTable(Table):
    """Delegates to a real backend; runs `edits[n]` just before the n-th write's re-read."""

    def __init__(self, inner: Table, edits: dict[int, Callable[[], None]]):
        self.inner = inner
        self.identity = inner.identity
        self.display_name = inner.display_name
        self.edits = dict(edits)
        self.rereads = 0

    def read(self) -> Grid:
        return self.inner.read()

    def _reread(self, key_column: str, anchor_column: str) -> Columns:
        self.rereads += 1
        edit = self.edits.pop(self.rereads, None)
        if edit:
            edit()
        return self.inner._reread(key_column, anchor_column)

    def _write_cells(self, cells: Sequence[CellWrite], tab: Tab | None) -> list[str]:
        return self.inner._write_cells(cells, tab)

    def close(self) -> None:
        self.inner.close()
