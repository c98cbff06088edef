"""A table that lets a "person" edit the sheet between the sync's read and its writes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sheetsync.tables.base import CellWrite, Columns, Grid, Tab, Table, WriteBack, WriteResult


class EditedTable(Table):
    """Delegates to a real backend; runs `edits[n]` just before the n-th row write-back."""

    def __init__(self, inner: Table, edits: dict[int, Callable[[], None]]):
        self.inner = inner
        self.identity = inner.identity
        self.display_name = inner.display_name
        self.edits = dict(edits)
        self.rereads = 0

    def read(self) -> Grid:
        return self.inner.read()

    def read_tab(self, title: str):
        return self.inner.read_tab(title)

    def tab_header(self, title: str):
        return self.inner.tab_header(title)

    def write(self, writeback: WriteBack) -> WriteResult:
        # Counted per write-back of rows (the sheet lease's tab writes are not the sync's).
        if writeback.rows:
            self.rereads += 1
            edit = self.edits.pop(self.rereads, None)
            if edit:
                edit()
        return self.inner.write(writeback)

    def _reread(self, key_column: str, anchor_column: str) -> Columns:
        return self.inner._reread(key_column, anchor_column)

    def _write_cells(self, cells: Sequence[CellWrite], tab: Tab | None) -> list[str]:
        return self.inner._write_cells(cells, tab)

    def close(self) -> None:
        self.inner.close()


class Killed(BaseException):
    """The process died here: nothing after this point may reach the sheet or the journal."""


class DyingTable(Table):
    """Delegates to a real backend until `kill` fires; after that every write is refused.

    An in-process stand-in for SIGKILL on backends a child process cannot reach (the Sheets
    fake): the exception unwinds the run, and the workflow's last-chance flush finds the
    sheet gone, as it would be for a dead process.
    """

    def __init__(self, inner: Table, step: str, occurrence: int):
        self.inner = inner
        self.identity = inner.identity
        self.display_name = inner.display_name
        self.left = {step: occurrence}
        self.dead = False

    def checkpoint(self, name: str) -> None:
        if self.dead:
            raise Killed(name)
        if name in self.left:
            self.left[name] -= 1
            if self.left[name] == 0:
                self.dead = True
                raise Killed(name)

    def read(self) -> Grid:
        return self.inner.read()

    def read_tab(self, title: str):
        return self.inner.read_tab(title)

    def tab_header(self, title: str):
        return self.inner.tab_header(title)

    def _reread(self, key_column: str, anchor_column: str) -> Columns:
        if self.dead:
            raise Killed("after death")
        return self.inner._reread(key_column, anchor_column)

    def _write_cells(self, cells: Sequence[CellWrite], tab: Tab | None) -> list[str]:
        self.checkpoint("in-sheet-write")
        return self.inner._write_cells(cells, tab)

    def close(self) -> None:
        self.inner.close()
