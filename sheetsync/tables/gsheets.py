"""Google Sheets backend on the real gspread client, within a fixed request budget.

One `read()` is one `spreadsheets.getByDataFilter` for the articles tab alone (typed cells and
its layout together, trimmed by a field mask, gzip-compressed on the wire). One `write()` is
one more of those for the header row and the key and anchor columns, plus one
`values:batchUpdate` with valueInputOption=RAW, so text never turns into a formula (or, when
it carries result URLs, which become text links, or times, which become date-times in the
spreadsheet's time zone, one `spreadsheets.batchUpdate` of `updateCells` instead:
`gsheets_cells`; text stays a literal string there too). A
`spreadsheets.batchUpdate` is added only when columns must be added or the secondary tab must
be created or grown. A read + write-back cycle is therefore 3 requests whatever the number of
rows (plus one small list of tabs when neither the tab's name nor its gid is given, or when the
secondary tab is written).

Failures are retried where repeating is harmless. A read is simply asked again. A write is
retried as a whole: the key column is read again and the cells are placed again, because
people keep editing while we wait (a row inserted during a 60-second 429 would otherwise get
another row's status). Writes larger than 2 MB go in parts, each finding its rows again.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from gspread.urls import SPREADSHEET_BATCH_UPDATE_URL

from .. import columns as C
from ..errors import TableError
from .base import (
    CellValue,
    CellWrite,
    Columns,
    Grid,
    Lost,
    SetUpResult,
    Tab,
    Table,
    Unreadable,
    WriteBack,
    WriteResult,
    as_number,
    cell_text,
    column_letters,
    header_key,
    number_columns,
    strip_control,
)
from .google_auth import sign_in
from .gsheets_cells import LINKS, TEXT, TIME, Block, compact, moment_of, pack, zone_of
from .gsheets_errors import Failure, classify, explain
from .gsheets_retry import RetryPolicy, Waits
from .settle import RowState, corrections, placed_keys

__all__ = ["GoogleSheetTable", "RetryPolicy", "open_google_sheet", "parse_spec"]

CELL_LIMIT = 50_000  # UTF-16 code units one Google Sheets cell can hold (Google's own count)
#: Bytes of one values.batchUpdate body at most: Google recommends 2 MB and refuses 10 MB.
WRITE_LIMIT = 2_000_000
_EPOCH = dt.datetime(1899, 12, 30)  # Sheets' day 0 for serial dates
_PROPERTIES = "properties(sheetId,title,index,gridProperties(rowCount,columnCount))"
_DATA = "data(startRow,startColumn,rowData(values(effectiveValue,effectiveFormat/numberFormat/type)))"
# The spreadsheet's time zone says what its date-time cells mean; sheetsync's protected ranges
# let a sync that adds owned columns protect them too. Both ride on the read, no request more.
_PROTECTED = "protectedRanges(protectedRangeId,range,description,warningOnly)"
_READ_FIELDS = f"properties(timeZone),sheets({_PROPERTIES},merges,{_PROTECTED},{_DATA})"
# The re-read decodes cells exactly as the read does, so an anchor read as a date (a title
# Sheets took for "March 2025") or as an error compares equal: same request, same decoding.
_REREAD_FIELDS = f"sheets({_PROPERTIES},{_DATA})"
_TABS_FIELDS = f"sheets.{_PROPERTIES}"
# What `set_up` must know to add only what is missing.
_SETUP_TABS_FIELDS = (
    "sheets(properties(sheetId,title,index,gridProperties(rowCount,columnCount,frozenRowCount)),"
    "conditionalFormats(ranges),protectedRanges(description))"
)
_SETUP_HEADER_FIELDS = (
    f"sheets({_PROPERTIES},data(columnMetadata(pixelSize),"
    "rowData(values(formattedValue,note,userEnteredFormat,dataValidation))))"
)
_ERROR_TEXT = {
    "REF": "#REF!",
    "NAME": "#NAME?",
    "DIVIDE_BY_ZERO": "#DIV/0!",
    "VALUE": "#VALUE!",
    "NUM": "#NUM!",
    "N_A": "#N/A",
    "NULL_VALUE": "#NULL!",
    "ERROR": "#ERROR!",
    "LOADING": "Loading...",
}
# A browser signed in to several Google accounts shows /spreadsheets/u/1/d/<key>/edit.
_URL = re.compile(r"https://docs\.google\.com/spreadsheets/(?:u/\d+/)?d/([A-Za-z0-9_-]+)")
_GID = re.compile(r"[#&?]gid=(\d+)")
_KEY = re.compile(r"^[A-Za-z0-9_-]{20,}$")
# Columns whose cells are links or date-times (`gsheets_cells`), in the articles tab by their
# canonical name and in sheetsync's own tabs by their header.
_ARTICLE_KINDS = {C.RESULT_URLS: LINKS, C.LAST_SYNCED: TIME}
_TAB_KINDS = {"result_url": LINKS, **dict.fromkeys(C.PLACEMENT_TIME_COLUMNS, TIME)}
# A new secondary tab, or one that must grow, gets room to spare so that it grows rarely.
_TAB_MIN_ROWS = 1000
# `read_tab` is for sheetsync's small bookkeeping tabs: their first rows are enough.
_TAB_READ_ROWS = 50
# A tab renamed or deleted between our re-read and our write: read again, a few times at most.
_STALE_RETRIES = 3
# Rounds of checking and correcting after a write before giving up on a sheet that keeps moving.
_SETTLE_ROUNDS = 6


def parse_spec(spec: str) -> tuple[str, int | None]:
    """A Sheets URL or bare key -> (spreadsheet key, gid from the URL or None)."""
    text = spec.strip()
    m = _URL.match(text)
    if m:
        gid = _GID.search(text)
        return m.group(1), int(gid.group(1)) if gid else None
    if _KEY.match(text):
        return text, None
    raise TableError(
        f"{spec!r} is not a Google Sheets URL or key; copy the URL from the browser's address bar "
        "(https://docs.google.com/spreadsheets/d/…) and run again."
    )


def quote_title(title: str) -> str:
    """A tab title quoted for an A1 range: `It's` -> `'It''s'`."""
    return "'" + title.replace("'", "''") + "'"


def utf16_length(text: str) -> int:
    """Length as Google counts it: UTF-16 code units (an emoji outside the BMP counts two)."""
    return len(text.encode("utf-16-le")) // 2


def cut_utf16(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-16 code units, never inside a surrogate pair."""
    if utf16_length(text) <= limit:
        return text
    units = text.encode("utf-16-le")[: 2 * limit]
    return units.decode("utf-16-le", errors="ignore")


def wire_size(value: Any) -> int:
    """Bytes of `value` in a request body as requests sends it (JSON, non-ASCII escaped)."""
    return len(json.dumps(value))


# --- failures ------------------------------------------------------------------------------


class _Refused(TableError):
    """A request Google refused for good; carries the failure for callers that can recover."""

    def __init__(self, message: str, failure: Failure):
        super().__init__(message)
        self.failure = failure


class _Transient(Exception):
    """A write request failed in a way worth retrying: the whole write starts again."""

    def __init__(self, failure: Failure):
        super().__init__(failure.reason)
        self.failure = failure


class _Stale(Exception):
    """The tabs changed under a write (renamed, deleted, added): learn them again and retry."""


# --- the table -----------------------------------------------------------------------------


@dataclass
class _SheetInfo:
    sheet_id: int
    title: str
    rows: int = 0
    cols: int = 0
    used_rows: int = 0
    used_cols: int = 0


def _info(props: Mapping[str, Any]) -> _SheetInfo:
    grid = props.get("gridProperties", {})
    return _SheetInfo(
        int(props.get("sheetId", 0)),
        str(props.get("title", "")),
        int(grid.get("rowCount", 0)),
        int(grid.get("columnCount", 0)),
    )


def _tab_value(text: str, numeric: bool) -> Any:
    """A cell of a tab sheetsync owns as sent (RAW): a number where the tab says so, else text."""
    number = as_number(text) if numeric else None
    return number if number is not None else cut_utf16(text, CELL_LIMIT)


def _grid_range(sheet_id: int, rows: tuple[int, int | None] = (0, None),
                cols: tuple[int, int | None] = (0, None)) -> dict[str, Any]:
    """A data filter for a block of one tab, by its id (0-based, end exclusive, None = to the edge)."""
    grid: dict[str, Any] = {"sheetId": sheet_id}
    if rows[0]:
        grid["startRowIndex"] = rows[0]
    if rows[1] is not None:
        grid["endRowIndex"] = rows[1]
    if cols[0]:
        grid["startColumnIndex"] = cols[0]
    if cols[1] is not None:
        grid["endColumnIndex"] = cols[1]
    return {"gridRange": grid}


class GoogleSheetTable(Table):
    """One tab of a Google spreadsheet, reached through a gspread `HTTPClient`."""

    def __init__(
        self,
        http: Any,
        spreadsheet_id: str,
        worksheet: str | None = None,
        gid: int | None = None,
        *,
        account_email: str | None = None,
        retry: RetryPolicy | None = None,
        write_limit: int = WRITE_LIMIT,
    ):
        self.http = http
        self.spreadsheet_id = spreadsheet_id
        self.worksheet = worksheet
        self.gid = gid
        self.account_email = account_email
        self.retry = retry or RetryPolicy()
        self.write_limit = write_limit
        self._main: _SheetInfo | None = None  # the articles tab as last seen
        self._tabs: list[_SheetInfo] | None = None  # every tab, when listed since the last failure
        self._header: tuple[str, ...] = ()  # the header as last read or written
        self._rows = 0  # data rows at the last read
        self._writing: Tab | None = None  # the secondary tab the current write replaces
        self._tab: _SheetInfo | None = None  # that tab as the write's re-read found it (None: absent)
        self._pending: Grid | None = None  # a read fetched early for `identity`, not yet handed out
        self._zone: dt.tzinfo | None = None  # the spreadsheet's time zone, from the last read
        self._dated: dict[int, set[int]] = {}  # column -> rows whose cell is a DATE_TIME cell (last re-read)
        self._protected: list[dict[str, Any]] = []  # sheetsync's protected ranges on the articles tab
        # The write under way: its column names, the rows as re-read, and what to check after it.
        self._names: tuple[str, str] = ("", "")
        self._touched: list[str] = []
        self._rows_meant: tuple[Any, ...] = ()
        self._seen: tuple[Sequence[str], Sequence[str], Mapping[int, list[str]]] = ((), (), {})
        self._origin: dict[tuple[str, str], RowState] = {}
        self._settling: tuple[Any, ...] | None = None
        tab = f" ({worksheet})" if worksheet else ""
        self.display_name = f"Google Sheet {spreadsheet_id}{tab}"
        _accept_gzip(http)

    @property
    def identity(self) -> str:  # type: ignore[override]
        """`gsheets:<spreadsheet id>#<sheetId>`, the same whichever way the tab was named."""
        if self._main is None and self.gid is not None and self.worksheet is None:
            return f"gsheets:{self.spreadsheet_id}#{self.gid}"
        if self._main is None:
            # The sheetId is only known from the spreadsheet itself. Callers ask for the identity
            # (to lock, say) right before they read, so fetch the read now and hand it to the
            # next read(): the cycle stays at one read request.
            self._pending = self._load(self._fetch())
        assert self._main is not None
        return f"gsheets:{self.spreadsheet_id}#{self._main.sheet_id}"

    # --- Table -------------------------------------------------------------------------------

    def read(self) -> Grid:
        """Header and rows of the articles tab alone, in one request."""
        if self._pending is not None:
            grid, self._pending = self._pending, None
            return grid
        return self._load(self._fetch())

    def write(self, writeback: WriteBack) -> WriteResult:
        """Write back in parts of at most `write_limit` bytes, each retried as a whole."""
        if not writeback.rows and writeback.tab is None:
            return WriteResult()
        results = [self._write_part(part) for part in self._parts(writeback)]
        notes: list[str] = []
        for r in results:
            notes.extend(n for n in r.notes if n not in notes)
        return WriteResult(
            written=tuple(k for r in results for k in r.written),
            lost=tuple(lost for r in results for lost in r.lost),
            notes=tuple(notes),
        )

    def _write_part(self, part: WriteBack) -> WriteResult:
        waits = self.retry.waits()
        stale = 0
        self._names = (part.key_column, part.anchor_column)
        self._rows_meant = part.rows
        self._touched = sorted({name for row in part.rows for name in row.values})
        self._origin = {}
        while True:
            self._writing = part.tab
            try:
                return self._settle(super().write(part))
            except _Transient as transient:
                # The answer may have been lost after Google applied it (a tab added, say): the
                # next try learns the tabs again and finds every row again by its key.
                self._tabs = None
                if not waits.wait(transient.failure.retry_after):
                    raise self._explain(transient.failure, "write to", waits) from None
            except _Stale:
                self._tabs = None
                stale += 1
                if stale >= _STALE_RETRIES:
                    raise TableError(
                        f"The tabs of {self.display_name} kept changing while sheetsync wrote to "
                        "it; run again once nobody is renaming or deleting tabs."
                    ) from None
            finally:
                self._writing = None
                self._settling = None

    def _settle(self, result: WriteResult) -> WriteResult:
        """Read the written columns again and put right what a person's edit misplaced.

        Writes go by position; a row sorted, inserted or deleted between the re-read and the
        write shifts them onto neighbours. Each row is checked against what it held before
        plus what was meant for it, and the cells that differ are written again.
        """
        plan, self._settling = self._settling, None
        if plan is None:
            return result
        tracked, before, meant, key_col, anchor_col = plan
        after: list[RowState] = []
        for _ in range(_SETTLE_ROUNDS):
            after = self._row_states(tracked, key_col, anchor_col)
            fixes = corrections(before, meant, after, key_col)
            if not fixes:
                break
            self._send_cells(fixes)
        else:
            after = self._row_states(tracked, key_col, anchor_col)
            if corrections(before, meant, after, key_col):
                raise TableError(
                    f"Rows of {self.display_name} kept moving while sheetsync wrote to them; "
                    "run again in a quiet moment (nothing was sent twice)."
                )
        placed = placed_keys(after, result.written)
        lost = [Lost(k, 0, "its row key is no longer in the sheet") for k in result.written if k not in placed]
        rows = {r.key: r.read_row for r in self._rows_meant}
        lost = [Lost(x.key, rows.get(x.key, 0), x.why) for x in lost]
        return WriteResult(
            written=tuple(k for k in result.written if k in placed),
            lost=(*result.lost, *lost),
            notes=result.notes,
        )

    def _row_states(self, tracked: Sequence[int], key_col: int, anchor_col: int) -> list[RowState]:
        _, columns = self._columns([key_col, anchor_col, *tracked])
        n = max((len(c) for c in columns.values()), default=0)

        def text(col: int, i: int) -> str:
            values = columns.get(col, [])
            return values[i] if i < len(values) else ""

        return [
            RowState(text(key_col, i), text(anchor_col, i), {c: text(c, i) for c in tracked if c != key_col})
            for i in range(n)
        ]

    def _plan_settling(self, cells: Sequence[CellWrite], header: Mapping[int, str]) -> None:
        """Remember what the rows held before this write and what is meant for them."""
        keys, anchors, columns = self._seen
        names = {header_key(v): c for c, v in header.items() if v}
        key_col = names.get(header_key(self._names[0]), 0)
        anchor_col = names.get(header_key(self._names[1]), 0)
        tracked = sorted({c.col for c in cells if c.row >= 2} | ({key_col} if key_col else set()))
        if not key_col or not any(c.row >= 2 for c in cells):
            return
        before = []
        for i in range(len(keys)):
            values = {c: (columns.get(c, [])[i] if i < len(columns.get(c, [])) else "") for c in tracked if c != key_col}
            state = RowState(keys[i], anchors[i], values)
            ident = (state.key, state.anchor) if state.key else ("", state.anchor)
            # A retry after a lost answer re-reads rows the first try may have written on:
            # what they held before comes from the first try.
            first = self._origin.setdefault(ident, state)
            before.append(RowState(state.key, state.anchor, {**values, **first.values}))
        meant: dict[int, dict[int, str]] = {}
        for c in cells:
            if c.row >= 2:
                meant.setdefault(c.row - 2, {})[c.col] = cut_utf16(c.value, CELL_LIMIT)
        self._settling = (tracked, before, meant, key_col, anchor_col)

    def _send_cells(self, cells: Sequence[CellWrite]) -> None:
        kinds = _kinds(self._header_map())
        self._send_blocks([self._block(row, first, block, kinds) for row, first, block in _blocks(cells)])

    def _header_map(self) -> dict[int, str]:
        return dict(enumerate(self._header, start=1))

    def _block(self, row: int, first: int, values: list[list[str]], kinds: Mapping[int, str]) -> Block:
        main = self._loaded()
        columns = tuple(kinds.get(first + i, TEXT) for i in range(len(values[0])))
        times = [first + i for i, kind in enumerate(columns) if kind == TIME]
        dated = bool(times) and all(
            r in self._dated.get(c, ()) for c in times for r in range(row, row + len(values))
        )
        return Block(main.sheet_id, main.title, row, first, values, columns, dated)

    def _send_blocks(self, blocks: Sequence[Block]) -> None:
        """One request per body of at most `write_limit` bytes: a `values.batchUpdate` of plain
        text, or, when any cell is a link or a date-time, a `spreadsheets.batchUpdate` of
        `updateCells` (values always literal: a `stringValue` never becomes a formula)."""
        rich = any(b.rich(self._zone) for b in blocks)
        for body in pack(blocks, self.write_limit, rich, self._zone):
            if rich:
                payload = compact({"requests": [b.update_cells(self._zone) for b in body]})
                self._send("write to", lambda payload=payload: self.http.request(
                    "post", SPREADSHEET_BATCH_UPDATE_URL % self.spreadsheet_id, data=payload,
                    headers={"Content-Type": "application/json"}).json())
            else:
                data = [{"range": b.a1(quote_title), "values": b.values} for b in body]
                self._send("write to", lambda data=data: self.http.values_batch_update(
                    self.spreadsheet_id, body={"valueInputOption": "RAW", "data": data}))

    def _parts(self, writeback: WriteBack) -> list[WriteBack]:
        """The write-back split so that each part's cells stay under the write limit."""
        # Rows below each other share one range, so a row costs about its values; the request
        # bodies themselves are cut at the limit again when sent (`_pack`).
        budget = self.write_limit - 10_000
        parts: list[list[Any]] = [[]]
        size = 0
        for row in writeback.rows:
            cost = 8 + wire_size(row.key) + sum(wire_size(v) + 2 for v in row.values.values())
            if parts[-1] and size + cost > budget:
                parts.append([])
                size = 0
            parts[-1].append(row)
            size += cost
        last = len(parts) - 1
        return [
            replace(writeback, rows=tuple(rows), tab=writeback.tab if i == last else None)
            for i, rows in enumerate(parts)
        ]

    # --- reading -----------------------------------------------------------------------------

    def _fetch(self) -> dict[str, Any]:
        """The articles tab's typed cells and layout, by its id once known (renames do not matter)."""
        first = self._main_filter()
        if first is not None:
            try:
                return self._get("read", [first], _READ_FIELDS)
            except _Refused as refused:
                if refused.failure.status != 400:
                    raise
                # No such tab (any more): the list of tabs says which there are.
        self._main = self._choose(self._list_tabs())
        return self._get("read", [_grid_range(self._main.sheet_id)], _READ_FIELDS)

    def _main_filter(self) -> dict[str, Any] | None:
        if self._main is not None:
            return _grid_range(self._main.sheet_id)
        if self.worksheet is not None:
            return {"a1Range": quote_title(self.worksheet)}
        if self.gid is not None:
            return _grid_range(self.gid)
        return None  # the first tab: only the list of tabs says which one that is

    def _load(self, answer: Mapping[str, Any]) -> Grid:
        """The articles tab's cells as a Grid; its layout is remembered for the writes."""
        sheets = answer.get("sheets") or []
        if not sheets:
            raise TableError(f"{self.display_name} answered without its tab; run again.")
        sheet = sheets[0]
        main = _info(sheet.get("properties", {}))
        if self.worksheet is not None and main.title != self.worksheet and main.title.casefold() != self.worksheet.casefold():
            raise TableError(f"{self.display_name} answered with the tab {main.title!r}; run again.")
        self._zone = zone_of((answer.get("properties") or {}).get("timeZone"))
        self._protected = [
            p for p in sheet.get("protectedRanges", []) if str(p.get("description", "")).startswith("sheetsync")
        ]
        rows = _cells(sheet.get("data", []), self._zone)
        main.used_rows = len(rows)
        main.used_cols = max((len(r) for r in rows), default=0)
        self._main = main
        header = [strip_control(cell_text(v)) for v in (rows[0] if rows else [])]
        while header and not header[-1]:
            header.pop()
        width = len(header)
        data = [tuple((list(r[:width]) + [None] * width)[:width]) for r in rows[1:]]
        while data and all(v is None for v in data[-1]):
            data.pop()
        self._header, self._rows = tuple(header), len(data)
        notes = _merge_notes(main.title, sheet.get("merges", []))
        return Grid(header=tuple(header), rows=tuple(data), notes=tuple(notes), title=main.title)

    def read_tab(self, title: str) -> tuple[tuple[str, ...], ...] | None:
        """The tab's first rows in one request (three when it is named in another case)."""
        answer = self._tab_rows(title)
        if answer is None:
            # A range names its tab exactly; the list of tabs says whether one matches in any case.
            exact = next((t.title for t in self._list_tabs() if t.title.casefold() == title.casefold()), None)
            answer = self._tab_rows(exact) if exact is not None else None
        if answer is None:
            return None
        sheets = answer.get("sheets") or []
        if not sheets:
            return None
        rows = []
        zone = zone_of((answer.get("properties") or {}).get("timeZone")) or self._zone
        for values in _cells(sheets[0].get("data", []), zone):
            texts = [strip_control(cell_text(v)) for v in values]
            while texts and not texts[-1]:
                texts.pop()
            rows.append(tuple(texts))
        return tuple(rows)

    def _tab_rows(self, title: str) -> dict[str, Any] | None:
        try:
            return self._get("read", [{"a1Range": f"{quote_title(title)}!A1:Z{_TAB_READ_ROWS}"}], _READ_FIELDS)
        except _Refused as refused:
            if refused.failure.status == 400:
                return None  # "Unable to parse range": no tab of exactly that name
            raise

    def _list_tabs(self) -> list[_SheetInfo]:
        """Every tab's id, title and size: a small request, made only when they are not known."""
        answer = self._call(
            "read", lambda: self.http.fetch_sheet_metadata(self.spreadsheet_id, params={"fields": _TABS_FIELDS})
        )
        self._tabs = [_info(s.get("properties", {})) for s in answer.get("sheets", [])]
        return self._tabs

    def _get(self, what: str, filters: list[dict[str, Any]], fields: str) -> dict[str, Any]:
        """One spreadsheets.getByDataFilter: the blocks `filters` select, with their tabs' layout."""
        from gspread.urls import SPREADSHEET_URL

        url = SPREADSHEET_URL % self.spreadsheet_id + ":getByDataFilter"
        body = {"dataFilters": filters, "includeGridData": True}
        answer: dict[str, Any] = self._call(
            what, lambda: self.http.request("post", url, params={"fields": fields}, json=body).json()
        )
        return answer

    def _reread(self, key_column: str, anchor_column: str) -> Columns:
        main = self._loaded()
        wanted = (header_key(key_column), header_key(anchor_column))
        touched = [header_key(name) for name in self._touched]

        def positions(header: Sequence[str]) -> list[int]:
            return [_find(header, k) for k in (*wanted, *touched)]

        guess = positions(self._header)
        header, columns = self._columns(guess, with_tab=True)
        if positions(header) != guess:
            # A person moved columns since the read: ask again for where they are now. This is
            # the only case where a write costs an extra request.
            header, columns = self._columns(positions(header), with_tab=True)
        self._header = tuple(header)
        actual = {k: _find(header, k) for k in wanted}
        found = {k: columns.get(actual[k], []) for k in wanted}
        n = max([len(c) for c in columns.values()] + ([] if actual[wanted[0]] else [self._rows]))
        keys, anchors = ((*c, *("",) * (n - len(c))) for c in (found[wanted[0]], found[wanted[1]]))
        self._seen = (keys, anchors, columns)
        width = max(len(header), main.used_cols)
        return Columns(header=tuple(header), keys=tuple(keys), anchors=tuple(anchors), width=width)

    def _columns(self, where: Sequence[int], *, with_tab: bool = False) -> tuple[list[str], dict[int, list[str]]]:
        """Header row and the given columns (1-based) as they are now, in one request.

        `with_tab`: when the write replaces a secondary tab, its header row and first column
        come along, so that the write knows whether the tab exists and how much to blank.
        """
        main = self._loaded()
        cols = sorted({c for c in where if c})
        filters = [_grid_range(main.sheet_id, rows=(0, 1))]
        filters += [_grid_range(main.sheet_id, rows=(1, None), cols=(c - 1, c)) for c in cols]
        tab = None
        with_tab = with_tab and self._writing is not None
        if with_tab:
            tabs = self._tabs if self._tabs is not None else self._list_tabs()
            title = self._writing.title.casefold()
            tab = next((t for t in tabs if t.title.casefold() == title and t.sheet_id != main.sheet_id), None)
            if tab is not None:
                filters += [_grid_range(tab.sheet_id, rows=(0, 1)), _grid_range(tab.sheet_id, rows=(1, None), cols=(0, 1))]
        try:
            answer = self._get("re-read", filters, _REREAD_FIELDS)
        except _Refused as refused:
            if refused.failure.status == 400 and with_tab:
                raise _Stale() from None  # the secondary tab went away since the tabs were listed
            raise
        header: list[str] = []
        columns: dict[int, list[str]] = {}
        if with_tab:
            self._tab = None
        for sheet in answer.get("sheets", []):
            info = _info(sheet.get("properties", {}))
            blocks = sheet.get("data", [])
            if info.sheet_id == main.sheet_id:
                main.title, main.rows, main.cols = info.title, info.rows, info.cols
                for block in blocks:
                    start_row, start_col = int(block.get("startRow", 0)), int(block.get("startColumn", 0))
                    texts = _texts(block, self._zone)
                    if start_row == 0:
                        header = [strip_control(t) for t in (texts[0] if texts else [])]
                    elif start_col + 1 in cols:
                        columns[start_col + 1] = [strip_control(r[0] if r else "") for r in texts]
                        self._dated[start_col + 1] = {
                            start_row + 1 + i for i, r in enumerate(block.get("rowData", []))
                            if _number_type((r.get("values") or [{}])[0]) == "DATE_TIME"
                        }
            elif tab is not None and info.sheet_id == tab.sheet_id:
                for block in blocks:
                    texts = _texts(block, self._zone)
                    if int(block.get("startRow", 0)) == 0:
                        info.used_cols = len(texts[0]) if texts else 0
                    else:
                        info.used_rows = 1 + len(texts)
                info.used_rows = max(info.used_rows, 1 if info.used_cols else 0)
                self._tab = info
        if with_tab and tab is not None and self._tab is None:
            raise _Stale()
        while header and not header[-1]:
            header.pop()
        return header, columns

    # --- writing -----------------------------------------------------------------------------

    def _write_cells(self, cells: Sequence[CellWrite], tab: Tab | None) -> list[str]:
        main = self._loaded()
        notes: list[str] = []
        header = dict(enumerate(self._header, start=1))
        for c in cells:
            if c.row == 1:  # a header written now names its column in notes
                header[c.col] = c.value
        data: list[Block] = []
        kinds = _kinds(header)
        for row, first, block in _blocks(cells):
            for r, values in enumerate(block, start=row):
                for i, value in enumerate(values):
                    if utf16_length(value) > CELL_LIMIT:
                        name = header.get(first + i) or column_letters(first + i)
                        notes.append(
                            f"Row {r}, column {name}: the value was cut to {CELL_LIMIT:,} characters, the "
                            "most a Google Sheets cell holds; shorten it at the source if the end matters."
                        )
                        values[i] = cut_utf16(value, CELL_LIMIT)
            data.append(self._block(row, first, block, kinds))
        structure: list[dict[str, Any]] = []
        need_cols = max((c.col for c in cells), default=0)
        if need_cols > main.cols:
            # Only columns are ever added, by how many are missing now: never a size, which,
            # sent after people added rows or columns, would shrink the grid and delete them.
            structure.append(_append(main.sheet_id, "COLUMNS", need_cols - main.cols))
        structure.extend(self._new_column_layout(main, cells))
        if tab is not None:
            data.extend(self._tab_data(tab, structure))
        if structure:
            try:
                self._structure(structure)
            except _Refused as refused:
                if "protected range" not in refused.failure.message.lower():
                    raise
                # A person removed sheetsync's protection since the read: lay out without it.
                self._protected = []
                self._structure([r for r in structure if "updateProtectedRange" not in r])
            main.cols = max(main.cols, need_cols)
        self._plan_settling(cells, header)
        self._send_blocks(data)
        self._header = tuple(header.get(i, "") for i in range(1, max(header, default=0) + 1))
        return notes

    def _new_column_layout(self, main: _SheetInfo, cells: Sequence[CellWrite]) -> list[dict[str, Any]]:
        """Columns this write adds look as `init` makes them: one more batchUpdate, only then."""
        from . import gsheets_layout as G
        from . import layout as L

        old = dict(enumerate(self._header, start=1))
        placed = []
        for c in cells:
            if c.row == 1 and c.value and not old.get(c.col, "").strip():
                layout = L.column_for(c.value)
                if layout is not None:
                    placed.append(L.Placed(c.col, c.value, layout))
        if not placed:
            return []
        out = G.column_requests(main.sheet_id, max(main.rows, 2), placed, write_header=False)
        owned = [p.col - 1 for p in placed if p.layout.owned]
        return out + G.grow_protection(main.sheet_id, self._protected, owned)

    def _tab_data(self, tab: Tab, structure: list[dict[str, Any]]) -> list[Block]:
        """Values that replace the whole tab, plus the grid changes that must come first."""
        main = self._loaded()
        if tab.title.casefold() == main.title.casefold():
            raise TableError(
                f"The tab {tab.title!r} holds the articles, so it cannot also hold {tab.title!r} "
                "details; rename the articles tab and run again."
            )
        rows = [list(tab.header), *(list(r) for r in tab.rows)]
        need_rows, need_cols = len(rows), max(len(r) for r in rows)
        info = self._tab
        if info is None:
            # Its id is chosen here, so that the cells written in this write can name it.
            taken = {t.sheet_id for t in self._tabs or []} | {main.sheet_id}
            new_id = next(i for i in range(2_000_001, 3_000_000) if i not in taken)
            info = _SheetInfo(new_id, tab.title, max(_TAB_MIN_ROWS, need_rows * 2), max(need_cols, 26))
            props: dict[str, Any] = {"sheetId": new_id, "title": tab.title,
                                     "gridProperties": {"rowCount": info.rows, "columnCount": info.cols}}
            if tab.hidden:
                props["hidden"] = True
            structure.append({"addSheet": {"properties": props}})
            if tab.widths:
                # Made with its look (bold frozen header, widths, date-time columns) in the same
                # request: a tab is formatted once, when it is added, never on later syncs.
                from .gsheets_layout import owned_tab_requests

                structure.extend(owned_tab_requests(new_id, tab.widths, tab.header, info.rows))
        else:
            if need_rows > info.rows:
                structure.append(_append(info.sheet_id, "ROWS", need_rows * 2 - info.rows))
            if need_cols > info.cols:
                structure.append(_append(info.sheet_id, "COLUMNS", need_cols - info.cols))
        # Blank out what the previous content covered beyond the new one: no stale rows.
        height, width = max(need_rows, info.used_rows), max(need_cols, info.used_cols)
        numeric = number_columns(tab)
        values: list[list[Any]] = [
            [_tab_value(v, i in numeric and n > 0) for i, v in enumerate(r)] + [""] * (width - len(r))
            for n, r in enumerate(rows)
        ]
        values += [[""] * width for _ in range(height - need_rows)]
        kinds = tuple(_TAB_KINDS.get(h, TEXT) for h in tab.header) + (TEXT,) * (width - len(tab.header))
        return [Block(info.sheet_id, info.title, 1, 1, values, kinds)]

    def _structure(self, requests_: list[dict[str, Any]]) -> None:
        try:
            answer = self._send(
                "change the layout of", lambda: self.http.batch_update(self.spreadsheet_id, {"requests": requests_})
            )
        except _Refused as refused:
            if refused.failure.status == 400 and "already exists" in refused.failure.message:
                raise _Stale() from None  # someone (or our lost answer) added the tab meanwhile
            raise
        for reply in answer.get("replies", []):
            added = reply.get("addSheet", {}).get("properties")
            if added and self._tabs is not None:
                self._tabs.append(_info(added))

    # --- layout ------------------------------------------------------------------------------

    def set_up(self) -> SetUpResult:
        """`sheetsync init` in at most 3 requests: the tabs with their colours and protections,
        the header rows with their notes and formats, and one batchUpdate for what is missing."""
        from . import gsheets_layout as G
        from . import layout as L

        made = 0
        answer = self._call("read", lambda: self.http.fetch_sheet_metadata(
            self.spreadsheet_id, params={"fields": _SETUP_TABS_FIELDS}))
        made += 1
        sheets = answer.get("sheets", [])
        self._tabs = [_info(s.get("properties", {})) for s in sheets]
        main = self._choose(self._tabs)
        entry = next(s for s in sheets if int(s.get("properties", {}).get("sheetId", 0)) == main.sheet_id)
        header_answer = self._get("read", [_grid_range(main.sheet_id, rows=(0, 2))], _SETUP_HEADER_FIELDS)
        made += 1
        data = ((header_answer.get("sheets") or [{}])[0].get("data") or [{}])[0]
        rows = data.get("rowData", [])
        header_cells = dict(enumerate(rows[0].get("values", []))) if rows else {}
        first_cells = dict(enumerate(rows[1].get("values", []))) if len(rows) > 1 else {}
        header = [strip_control(str(c.get("formattedValue", ""))) for c in header_cells.values()]
        widths = {i: int(m.get("pixelSize", G.DEFAULT_PIXELS)) for i, m in enumerate(data.get("columnMetadata", []))}
        grid = entry.get("properties", {}).get("gridProperties", {})
        state = G.TabState(
            sheet_id=main.sheet_id, rows=main.rows, cols=main.cols, header=header,
            header_cells=header_cells, first_cells=first_cells, widths=widths,
            frozen_rows=int(grid.get("frozenRowCount", 0)),
            conditional_ranges=[r for f in entry.get("conditionalFormats", []) for r in f.get("ranges", [])],
            protected=entry.get("protectedRanges", []),
        )  # fmt: skip
        plan = L.plan_set_up(header)
        notes: list[str] = []
        howto = next((t for t in self._tabs if t.title.casefold() == L.HOWTO_TAB.casefold()), None)
        taken = {t.sheet_id for t in self._tabs}
        howto_id = None if howto else next(i for i in range(1_000_001, 2_000_000) if i not in taken)
        requests_ = G.set_up_requests(state, plan, howto_id)
        if requests_:
            self._structure(requests_)
            made += 1
        self._main = None  # the header changed: the next read learns the tab again
        self._tabs = None
        return SetUpResult(
            added=tuple(p.header for p in plan.added), changed=bool(requests_), notes=tuple(notes), requests=made
        )

    # --- requests ----------------------------------------------------------------------------

    def _loaded(self) -> _SheetInfo:
        if self._main is None:
            self.read()  # a write without a read first: learn the layout once
        assert self._main is not None
        return self._main

    def _choose(self, sheets: list[_SheetInfo]) -> _SheetInfo:
        if not sheets:
            raise TableError(f"{self.display_name} has no tabs; add one and run again.")
        if self.worksheet is not None:
            exact = [s for s in sheets if s.title == self.worksheet]
            folded = [s for s in sheets if s.title.casefold() == self.worksheet.casefold()]
            if exact or len(folded) == 1:
                return (exact or folded)[0]
            wanted = f"no tab {self.worksheet!r}"
        elif self.gid is not None:
            by_gid = [s for s in sheets if s.sheet_id == self.gid]
            if by_gid:
                return by_gid[0]
            wanted = f"no tab with gid {self.gid}"
        else:
            return sheets[0]
        tabs = ", ".join(repr(s.title) for s in sheets)
        raise TableError(
            f"Google Sheet {self.spreadsheet_id} has {wanted}; its tabs are {tabs}. "
            "Pass one of them as the worksheet."
        )

    def _call(self, what: str, send: Callable[[], Any]) -> Any:
        """A read, asked again after transient failures: repeating a read is harmless."""
        waits = self.retry.waits()
        while True:
            try:
                return send()
            except Exception as exc:  # noqa: BLE001 - classify() decides; the rest is re-raised
                failure = classify(exc)
                if failure is None:
                    raise
            if not failure.transient:
                raise _Refused(str(self._explain(failure, what, waits)), failure) from None
            if not waits.wait(failure.retry_after):
                raise self._explain(failure, what, waits) from None

    def _send(self, what: str, send: Callable[[], Any]) -> Any:
        """A write, sent once: after a transient failure the whole write is done again."""
        try:
            return send()
        except Exception as exc:  # noqa: BLE001 - classify() decides; the rest is re-raised
            failure = classify(exc)
            if failure is None:
                raise
        if failure.transient:
            raise _Transient(failure) from None
        if failure.status == 400 and "unable to parse range" in failure.message.lower():
            raise _Stale() from None  # a tab renamed since the re-read
        if failure.status == 400 and "no grid with id" in failure.message.lower():
            raise _Stale() from None  # a tab deleted since the re-read (updateCells names it by id)
        raise _Refused(str(self._explain(failure, what, None)), failure) from None

    def _explain(self, failure: Failure, what: str, waits: Waits | None) -> TableError:
        tries, waited = (waits.tries, waits.waited) if waits else (1, 0.0)
        return explain(failure, what, self.spreadsheet_id, self.account_email, tries=tries, waited=waited)


def _accept_gzip(http: Any) -> None:
    """Ask for compressed answers: Google gzips only for a User-Agent that contains "gzip"."""
    session = getattr(http, "session", None)
    headers = getattr(session, "headers", None)
    if headers is None:
        return
    agent = str(headers.get("User-Agent", "") or "")
    if "gzip" not in agent:
        headers["User-Agent"] = f"{agent} sheetsync (gzip)".strip()
    accept = str(headers.get("Accept-Encoding", "") or "")
    if "gzip" not in accept:
        headers["Accept-Encoding"] = f"gzip, {accept}" if accept else "gzip"


# --- pure helpers --------------------------------------------------------------------------


def _find(header: Sequence[str], key: str) -> int:
    for i, text in enumerate(header):
        if text.strip() and header_key(text) == key:
            return i + 1
    return 0


def _append(sheet_id: int, dimension: str, length: int) -> dict[str, Any]:
    return {"appendDimension": {"sheetId": sheet_id, "dimension": dimension, "length": length}}


def _kinds(header: Mapping[int, str]) -> dict[int, str]:
    """Columns (1-based) of the articles tab whose cells are more than text: links, times."""
    from . import layout as L

    out = {}
    for col, text in header.items():
        layout = L.column_for(text) if text and text.strip() else None
        if layout is not None and layout.name in _ARTICLE_KINDS:
            out[col] = _ARTICLE_KINDS[layout.name]
    return out


def _number_type(cell: Mapping[str, Any]) -> str:
    return str(cell.get("effectiveFormat", {}).get("numberFormat", {}).get("type", ""))


def _texts(block: Mapping[str, Any], zone: dt.tzinfo | None = None) -> list[list[str]]:
    """A block of grid data as the text of each cell (`cell_text` of the value the read decodes)."""
    rows, filled = [], 0
    for row in block.get("rowData", []):
        cells = row.get("values", [])
        rows.append([cell_text(_value(cell, zone)) for cell in cells])
        if any(cells):  # a cell showing an error has no text but is not empty
            filled = len(rows)
    return rows[:filled]


def _blocks(cells: Sequence[CellWrite]) -> list[tuple[int, int, list[list[str]]]]:
    """Runs stacked into rectangles: rows below each other with the same columns share one range.

    A sync writes the same owned columns on most rows, so thousands of rows become a few ranges.
    """
    blocks: list[tuple[int, int, list[list[str]]]] = []
    for row, first, values in _runs(cells):
        if blocks:
            top, left, block = blocks[-1]
            if left == first and top + len(block) == row and len(block[0]) == len(values):
                block.append(values)
                continue
        blocks.append((row, first, [values]))
    return blocks


def _runs(cells: Sequence[CellWrite]) -> list[tuple[int, int, list[str]]]:
    """Cells grouped into (row, first column, values) runs of adjacent columns."""
    by_pos = {(c.row, c.col): c.value for c in cells}
    runs: list[tuple[int, int, list[str]]] = []
    for row, col in sorted(by_pos):
        if runs and runs[-1][0] == row and runs[-1][1] + len(runs[-1][2]) == col:
            runs[-1][2].append(by_pos[(row, col)])
        else:
            runs.append((row, col, [by_pos[(row, col)]]))
    return runs


def _cells(data: list[dict[str, Any]], zone: dt.tzinfo | None = None) -> list[list[CellValue]]:
    """Grid data of one sheet -> rows of plain values, trailing empty rows dropped."""
    rows: list[list[CellValue]] = []
    for block in data:
        start_row, start_col = int(block.get("startRow", 0)), int(block.get("startColumn", 0))
        for i, row in enumerate(block.get("rowData", [])):
            values = [_value(cell, zone) for cell in row.get("values", [])]
            while values and values[-1] is None:
                values.pop()
            index = start_row + i
            while len(rows) <= index:
                rows.append([])
            if values:
                rows[index] = [None] * start_col + values
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _value(cell: Mapping[str, Any], zone: dt.tzinfo | None = None) -> CellValue:
    """One cell's value; with the sheet's `zone`, a date-time cell is an aware moment in it."""
    effective = cell.get("effectiveValue")
    if not effective:
        return None
    if "errorValue" in effective:
        kind = effective["errorValue"].get("type", "ERROR")
        code = _ERROR_TEXT.get(kind, "#ERROR!")
        return Unreadable(f"the cell shows the error {code}; fix that cell in the sheet and run again")
    if "stringValue" in effective:
        return strip_control(effective["stringValue"]) or None
    if "boolValue" in effective:
        return bool(effective["boolValue"])
    if "numberValue" in effective:
        number = effective["numberValue"]
        kind = cell.get("effectiveFormat", {}).get("numberFormat", {}).get("type")
        if kind == "DATE_TIME" and zone is not None:
            try:
                return moment_of(number, zone)
            except (OverflowError, ValueError):
                pass  # a serial outside the calendar: the number
        elif kind in ("DATE", "DATE_TIME"):
            try:
                moment = _EPOCH + dt.timedelta(days=float(number))
            except (OverflowError, ValueError):
                moment = None  # a serial outside the calendar (an ID pasted there): the number
            if moment is not None:
                return moment.date() if kind == "DATE" else moment
        if isinstance(number, float) and number.is_integer() and abs(number) < 1e15:
            return int(number)
        return number if isinstance(number, (int, float)) else None
    return None


def _merge_notes(title: str, merges: list[dict[str, int]]) -> list[str]:
    if not merges:
        return []
    shown = []
    for m in merges[:5]:
        first = f"{column_letters(m.get('startColumnIndex', 0) + 1)}{m.get('startRowIndex', 0) + 1}"
        last = f"{column_letters(m.get('endColumnIndex', 1))}{m.get('endRowIndex', 1)}"
        shown.append(f"{first}:{last}")
    more = f" and {len(merges) - 5} more" if len(merges) > 5 else ""
    return [
        f"{title}: cells {', '.join(shown)}{more} are merged, so only the top-left cell of each is "
        "read; unmerge them if every row needs its own value."
    ]


# --- opening -------------------------------------------------------------------------------

def open_google_sheet(
    spec: str,
    worksheet: str | None = None,
    *,
    credentials: str | os.PathLike[str] | None = None,
    client: Any = None,
    env: Mapping[str, str] | None = None,
    gspread_dir: str | os.PathLike[str] | None = None,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] | None = None,
    timeout: float | tuple[float, float] = (10.0, 120.0),
) -> GoogleSheetTable:
    """Open a tab of a Google spreadsheet by URL or key; no request is sent until `read()`.

    Credentials: `client` (a ready gspread.Client), else `google_auth.sign_in` (a JSON file from
    `credentials` or GOOGLE_APPLICATION_CREDENTIALS, else gspread's own OAuth login files).
    `sleep` (or a whole `retry` policy) replaces the waits between retries.
    """
    key, gid = parse_spec(spec)
    if retry is None:
        retry = RetryPolicy() if sleep is None else RetryPolicy(sleep=sleep)
    environ = os.environ if env is None else env
    client, email = sign_in(credentials, environ, gspread_dir, client=client, timeout=timeout)
    return GoogleSheetTable(client.http_client, key, worksheet, gid, account_email=email, retry=retry)
