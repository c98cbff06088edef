"""The one interface every spreadsheet backend implements, and the write-back logic they share.

A backend implements three primitives: read the whole grid (one request), re-read the header,
key and anchor columns just before writing (one request), and write a batch of cells (one
request). `Table.write` does the rest here, once, so that both backends find rows again the
same way: by their key, never by the row number they were read at.
"""

from __future__ import annotations

import abc
import datetime as dt
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..errors import TableError


@dataclass(frozen=True)
class Unreadable:
    """A cell whose value cannot be known (a formula without a saved value, #REF!, ...)."""

    reason: str

    def __str__(self) -> str:
        return self.reason


CellValue = str | int | float | bool | dt.date | dt.datetime | Unreadable | None

# C0 control characters and DEL, except tab and newline (and the CR of a CRLF): cells pasted
# from other programs carry them, and they mean nothing to a person reading the sheet.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def column_letters(col: int) -> str:
    """Spreadsheet letters of a 1-based column number (1 -> A, 27 -> AA)."""
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def strip_control(text: str) -> str:
    """`text` without control characters other than tab, newline and carriage return."""
    return _CONTROL.sub("", text)


def cell_text(value: CellValue) -> str:
    """A cell value as the text a person sees, for comparing keys and anchors.

    Both backends and the caller building `RowWrite.anchor` use this, so that an anchor read
    as 388.0 from one backend and "388" from another still compare equal.
    """
    if value is None or isinstance(value, Unreadable):
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return utc_text(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value).strip()


def utc_text(moment: dt.datetime) -> str:
    """An aware moment as sheetsync writes times: "2026-12-01T09:05Z" (UTC; seconds when any).

    A backend that knows the sheet's time zone reads a date-time cell as an aware moment, so
    a time sheetsync wrote reads back as the very text it compares against.
    """
    utc = moment.astimezone(dt.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ" if utc.second or utc.microsecond else "%Y-%m-%dT%H:%MZ")


@dataclass(frozen=True)
class Grid:
    """What one read returns: the header row and the data rows below it."""

    header: tuple[str, ...]
    rows: tuple[tuple[CellValue, ...], ...]
    notes: tuple[str, ...] = ()
    #: The title of the tab read (the articles tab).
    title: str = ""

    @staticmethod
    def row_number(index: int) -> int:
        """Sheet row number (1-based) of `rows[index]`."""
        return index + 2


@dataclass(frozen=True)
class RowWrite:
    """Plain-text values for one row, keyed by header text.

    The row is found again by `key` in the key column. When `new_key` is set the key is being
    assigned now: the row is then the one at `read_row`, and only if its key cell is still
    empty and its anchor cell still reads `anchor`. With `new_key` and an empty `key`, only
    `values` are written there: the key cell stays empty (a row that must not get a key).
    """

    key: str
    values: Mapping[str, str]
    read_row: int
    new_key: bool = False
    anchor: str = ""


@dataclass(frozen=True)
class Tab:
    """Whole content of a secondary tab the tool owns (e.g. per-placement detail)."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    #: Column widths in characters: the header is then bold and frozen too (when the tab is made).
    widths: tuple[int, ...] = field(default=(), compare=False)
    #: Made hidden (when the tab is made): bookkeeping nobody needs to look at.
    hidden: bool = field(default=False, compare=False)
    #: Headers of the columns whose cells are numbers: a text there that reads as one
    #: (`as_number`) is written as a number, so that it sorts and filters as one.
    numbers: tuple[str, ...] = field(default=(), compare=False)


_NUMBER = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,15})?")


def as_number(text: str) -> int | float | None:
    """`text` as the number it reads as ("388" -> 388, "2.5" -> 2.5); None when it is no number."""
    if not _NUMBER.fullmatch(text):
        return None
    return float(text) if "." in text else int(text)


def number_columns(tab: Tab) -> set[int]:
    """0-based columns of `tab` whose cells are numbers (`Tab.numbers`)."""
    return {i for i, h in enumerate(tab.header) if h in tab.numbers}


@dataclass(frozen=True)
class WriteBack:
    """One write: the rows' values, the headers of the key and anchor columns, an optional tab."""

    key_column: str
    anchor_column: str
    rows: tuple[RowWrite, ...] = ()
    tab: Tab | None = None


@dataclass(frozen=True)
class Lost:
    """A row that was not written, and why (its key vanished, was copied, or its row moved)."""

    key: str
    read_row: int
    why: str


@dataclass(frozen=True)
class WriteResult:
    """What a write did: the keys written, the rows lost, and notes for the user."""

    written: tuple[str, ...] = ()
    lost: tuple[Lost, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Columns:
    """What `_reread` returns: the current header, and per data row its key and anchor text."""

    header: tuple[str, ...]
    keys: tuple[str, ...]
    anchors: tuple[str, ...]
    #: Rightmost column holding any value, header or not (0 = unknown). New columns go after
    #: it so that a column a person filled without a header is never overwritten.
    width: int = 0


@dataclass(frozen=True)
class SetUpResult:
    """What `Table.set_up` (`sheetsync init`) did: the headers it added, whether anything changed."""

    added: tuple[str, ...] = ()
    changed: bool = False
    notes: tuple[str, ...] = ()
    requests: int = 0  # Sheets requests it took (Google)


@dataclass(frozen=True, slots=True)
class CellWrite:
    """One plain-text value for one cell (slots: a write-back of a large sheet makes many)."""

    row: int  # 1-based sheet row
    col: int  # 1-based sheet column
    value: str


@dataclass
class Placement:
    """Result of `place`: the cells to write and the rows that could not be found."""

    cells: list[CellWrite] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    lost: list[Lost] = field(default_factory=list)


@functools.lru_cache(maxsize=4096)
def header_key(text: str) -> str:
    """Header text compared the way people mean it: case, spaces, `_` and `-` ignored."""
    return "".join(ch for ch in str(text).lower() if ch not in " _\t\n-")


def place(current: Columns, writeback: WriteBack) -> Placement:
    """Pure: turn a write-back into cells, against the sheet as it is just before writing.

    Missing headers are appended after the last non-blank header cell (or after
    `current.width` when that is further right); a row whose key is gone or appears in more
    than one row, or whose new-key slot was taken or moved, is reported in `lost`, never
    written elsewhere.
    """
    result = Placement()
    header = list(current.header)
    positions = {header_key(h): i + 1 for i, h in reversed(list(enumerate(header))) if h.strip()}
    last = max((i + 1 for i, h in enumerate(header) if str(h).strip()), default=0)
    last = max(last, current.width)

    def column(name: str) -> int:
        nonlocal last
        k = header_key(name)
        if k not in positions:
            last += 1
            positions[k] = last
            result.cells.append(CellWrite(1, last, name))
        return positions[k]

    if writeback.rows:  # a write of the secondary tab alone adds no column
        column(writeback.key_column)
    row_of_key: dict[str, int] = {}
    # A copied row carries its key along; writing to either copy could give one row another's
    # task, so a key found twice is written nowhere.
    copies: dict[str, list[int]] = {}
    for index, key in enumerate(current.keys):
        if not key:
            continue
        if key in row_of_key:
            copies.setdefault(key, [row_of_key[key]]).append(Grid.row_number(index))
        else:
            row_of_key[key] = Grid.row_number(index)

    for row in writeback.rows:
        if row.new_key:
            index = row.read_row - 2
            inside = 0 <= index < len(current.keys)
            key_now = current.keys[index] if inside else ""
            anchor_now = current.anchors[index] if inside and index < len(current.anchors) else ""
            if row.key in row_of_key and row.key not in copies:
                # Already assigned, by an earlier write of this run or by a try whose answer was
                # lost; people may have moved the row since, so it is found by the key now.
                target = row_of_key[row.key]
            elif row.key in copies and inside and key_now == row.key and anchor_now.strip() == row.anchor.strip():
                # One of several rows sharing a key, still where it was read with that key and
                # title: its own note (why it is held) goes into it. Its key is already there.
                # Not reported as written: the key names no single row, so nothing may be
                # followed up through it.
                for name, value in row.values.items():
                    if header_key(name) != header_key(writeback.key_column):
                        result.cells.append(CellWrite(row.read_row, column(name), value))
                continue
            elif not inside or key_now or anchor_now.strip() != row.anchor.strip():
                result.lost.append(
                    Lost(row.key, row.read_row, "the row moved or changed before it could be marked")
                )
                continue
            else:
                target = row.read_row
            # An empty key writes values to a row that must stay without one (a held row): its
            # key cell is never touched, so a key another sync just gave it is never erased.
            if row.key:
                result.cells.append(CellWrite(target, column(writeback.key_column), row.key))
        else:
            if row.key in copies:
                rows = ", ".join(str(n) for n in copies[row.key])
                result.lost.append(Lost(row.key, row.read_row, f"its row key is in more than one row ({rows})"))
                continue
            target = row_of_key.get(row.key, 0)
            if not target:
                result.lost.append(Lost(row.key, row.read_row, "its row key is no longer in the sheet"))
                continue
        for name, value in row.values.items():
            if header_key(name) == header_key(writeback.key_column):
                continue
            result.cells.append(CellWrite(target, column(name), value))
        result.written.append(row.key)
    return result


class Table(abc.ABC):
    """A worksheet holding one article per row, below a header row."""

    #: Stable identity for the journal and the lock: same sheet, same identity, on any machine.
    identity: str
    #: What to call the sheet in messages.
    display_name: str
    #: Whether a write refuses when someone else wrote since this table last read (the .xlsx
    #: backend compares the file's bytes before replacing it); the sheet lease then need not
    #: wait long for a rival's claim to show.
    checked_writes: bool = False

    @abc.abstractmethod
    def read(self) -> Grid:
        """Read the header and every row in one request."""

    def write(self, writeback: WriteBack) -> WriteResult:
        """Write values back to the rows they belong to, in one batched request."""
        if not writeback.rows and writeback.tab is None:
            return WriteResult()  # nothing to place: not even the re-read is needed
        current = self._reread(writeback.key_column, writeback.anchor_column)
        # Two columns with one of our names: either could be the one a person reads, so
        # nothing is written until the header is made unambiguous.
        touched = {writeback.key_column, writeback.anchor_column}
        for row in writeback.rows:
            touched.update(row.values)
        check_unique_headers(current.header, sorted(t for t in touched if t))
        placement = place(current, writeback)
        if not placement.cells and writeback.tab is None:
            return WriteResult(written=tuple(placement.written), lost=tuple(placement.lost))
        notes = self._write_cells(placement.cells, writeback.tab)
        return WriteResult(
            written=tuple(placement.written), lost=tuple(placement.lost), notes=tuple(notes)
        )

    def tab_header(self, title: str) -> tuple[str, ...] | None:
        """The first row of tab `title` (any case); None when there is none.

        Lets a run see, before anything is sent, whether a tab it would replace is its own.
        A backend may answer from its last read.
        """
        rows = self.read_tab(title)
        return None if rows is None else (rows[0] if rows else ())

    def read_tab(self, title: str) -> tuple[tuple[str, ...], ...] | None:
        """The text of tab `title` (any case) as it is now (one request); None when there is none.

        For sheetsync's own small tabs: a backend may stop after the first 50 rows. A backend
        without it cannot hold the sheet lease (`lease.py`), and says so by raising.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot read other tabs")

    def write_tab(self, tab: Tab) -> list[str]:
        """Replace the whole content of `tab` (creating it), and write nothing else."""
        return list(self.write(WriteBack(key_column="", anchor_column="", tab=tab)).notes)

    @abc.abstractmethod
    def _reread(self, key_column: str, anchor_column: str) -> Columns:
        """Re-read header, key column and anchor column as they are now (one request).

        Columns are matched with `header_key`; a missing column reads as all "".
        """

    @abc.abstractmethod
    def _write_cells(self, cells: Sequence[CellWrite], tab: Tab | None) -> list[str]:
        """Write plain-text cells (never formulas) and replace `tab`; return notes for the user."""

    def set_up(self) -> SetUpResult:
        """Make the tab ready for people (`sheetsync init`); idempotent, never touching their cells."""
        raise NotImplementedError(f"{type(self).__name__} cannot set up a sheet")

    def check_writable(self) -> None:
        """Raise TableError when a write could not succeed (a read-only file), before any spend."""

    def close(self) -> None:
        """Release what the backend holds (file handles, sessions)."""

    def __enter__(self) -> "Table":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_unique_headers(header: Sequence[str], wanted: Sequence[str]) -> None:
    """Raise TableError when one of `wanted` appears twice (after `header_key`)."""
    keys = {header_key(w) for w in wanted}
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        k = header_key(h)
        if k in keys:
            if k in seen:
                raise TableError(
                    f"The header {h!r} appears twice (columns {seen[k]} and {i + 1}); "
                    "rename or delete one of them."
                )
            seen[k] = i + 1
