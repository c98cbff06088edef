"""Google Sheets backend on the real gspread client, within a fixed request budget.

One `read()` is one `spreadsheets.get` (grid data and metadata together, trimmed by a field
mask). One `write()` is one `values:batchGet` (header row, key and anchor columns) plus one
`values:batchUpdate` with valueInputOption=RAW, so text never turns into a formula. A
`spreadsheets.batchUpdate` is added only when a grid must grow or the secondary tab must be
created. A read + write-back cycle is therefore 3 requests whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from ..errors import TableError
from .base import (
    CellValue,
    CellWrite,
    Columns,
    Grid,
    Tab,
    Table,
    Unreadable,
    cell_text,
    header_key,
    strip_control,
)
from .google_auth import sign_in

__all__ = ["GoogleSheetTable", "RetryPolicy", "open_google_sheet", "parse_spec"]

CELL_LIMIT = 50_000  # characters one Google Sheets cell can hold
_EPOCH = dt.datetime(1899, 12, 30)  # Sheets' day 0 for serial dates
_READ_FIELDS = (
    "sheets(properties(sheetId,title,index,gridProperties(rowCount,columnCount)),merges,"
    "data(startRow,startColumn,rowData(values(effectiveValue,effectiveFormat/numberFormat/type))))"
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
_URL = re.compile(r"https://docs\.google\.com/spreadsheets/d/([A-Za-z0-9_-]+)")
_GID = re.compile(r"[#&?]gid=(\d+)")
_KEY = re.compile(r"^[A-Za-z0-9_-]{20,}$")
# A new secondary tab, or one that must grow, gets room to spare so that it grows rarely.
_TAB_MIN_ROWS = 1000


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


def column_letters(col: int) -> str:
    """1 -> A, 27 -> AA."""
    text = ""
    while col:
        col, rem = divmod(col - 1, 26)
        text = chr(65 + rem) + text
    return text


def _a1_extent(a1: str) -> tuple[int, int]:
    """Last (row, column) of a range Google answered with, such as `Articles!A1:Z1000`."""
    cells = a1.rpartition("!")[2]
    m = re.fullmatch(r"([A-Z]+)(\d+)", cells.rpartition(":")[2])
    if not m:
        return 0, 0
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def quote_title(title: str) -> str:
    """A tab title quoted for an A1 range: `It's` -> `'It''s'`."""
    return "'" + title.replace("'", "''") + "'"


# --- retries -------------------------------------------------------------------------------


@dataclass
class RetryPolicy:
    """Capped, jittered exponential backoff for 429 and 5xx; sleep and randomness are injectable.

    Sheets' quota is per minute, so the waits add up to a little over a minute before giving up.
    """

    attempts: int = 6
    base: float = 2.0
    cap: float = 32.0
    sleep: Callable[[float], None] = time.sleep
    random: Callable[[], float] = random.random

    def delay(self, attempt: int) -> float:
        ceiling = min(self.cap, self.base * 2**attempt)
        return float(ceiling / 2 + self.random() * ceiling / 2)


class _Retryable(Exception):
    def __init__(self, status: int | None, what: str):
        super().__init__(what)
        self.status = status


# --- the table -----------------------------------------------------------------------------


@dataclass
class _SheetInfo:
    sheet_id: int
    title: str
    rows: int
    cols: int
    used_rows: int = 0
    used_cols: int = 0


@dataclass
class _State:
    """What the last read learned about the spreadsheet."""

    sheets: list[_SheetInfo] = field(default_factory=list)
    main: _SheetInfo | None = None
    header: tuple[str, ...] = ()
    rows: int = 0


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
    ):
        self.http = http
        self.spreadsheet_id = spreadsheet_id
        self.worksheet = worksheet
        self.gid = gid
        self.account_email = account_email
        self.retry = retry or RetryPolicy()
        self._state: _State | None = None
        self._pending: Grid | None = None  # a read fetched early for `identity`, not yet handed out
        tab = f" ({worksheet})" if worksheet else ""
        self.display_name = f"Google Sheet {spreadsheet_id}{tab}"

    @property
    def identity(self) -> str:  # type: ignore[override]
        """`gsheets:<spreadsheet id>#<sheetId>`, the same whichever way the tab was named."""
        if self._state is None and self.gid is not None and self.worksheet is None:
            return f"gsheets:{self.spreadsheet_id}#{self.gid}"
        if self._state is None:
            # The sheetId is only known from the spreadsheet itself. Callers ask for the identity
            # (to lock, say) right before they read, so fetch the read now and hand it to the
            # next read(): the cycle stays at one read request.
            self._pending = self._load(self._fetch())
        assert self._state is not None and self._state.main is not None
        return f"gsheets:{self.spreadsheet_id}#{self._state.main.sheet_id}"

    # --- Table -------------------------------------------------------------------------------

    def read(self) -> Grid:
        """Header and rows in one `spreadsheets.get` request."""
        if self._pending is not None:
            grid, self._pending = self._pending, None
            return grid
        return self._load(self._fetch())

    def _fetch(self) -> dict[str, Any]:
        answer: dict[str, Any] = self._call(
            "read",
            lambda: self.http.fetch_sheet_metadata(
                self.spreadsheet_id, params={"includeGridData": "true", "fields": _READ_FIELDS}
            ),
        )
        return answer

    def _load(self, answer: Mapping[str, Any]) -> Grid:
        """Learn the layout of every tab and turn the chosen tab's cells into a Grid."""
        state = _State()
        grids: dict[int, list[list[CellValue]]] = {}
        merges: dict[int, list[dict[str, int]]] = {}
        for sheet in answer.get("sheets", []):
            props = sheet.get("properties", {})
            grid_props = props.get("gridProperties", {})
            info = _SheetInfo(
                int(props.get("sheetId", 0)),
                str(props.get("title", "")),
                int(grid_props.get("rowCount", 0)),
                int(grid_props.get("columnCount", 0)),
            )
            grids[info.sheet_id] = cells = _cells(sheet.get("data", []))
            merges[info.sheet_id] = sheet.get("merges", [])
            info.used_rows = len(cells)
            info.used_cols = max((len(r) for r in cells), default=0)
            state.sheets.append(info)
        state.main = self._choose(state.sheets)
        rows = grids[state.main.sheet_id]
        header = [strip_control(cell_text(v)) for v in (rows[0] if rows else [])]
        while header and not header[-1]:
            header.pop()
        width = len(header)
        data = [tuple((list(r[:width]) + [None] * width)[:width]) for r in rows[1:]]
        while data and all(v is None for v in data[-1]):
            data.pop()
        state.header, state.rows = tuple(header), len(data)
        self._state = state
        notes = _merge_notes(state.main.title, merges[state.main.sheet_id])
        return Grid(header=tuple(header), rows=tuple(data), notes=tuple(notes))

    def _reread(self, key_column: str, anchor_column: str) -> Columns:
        state = self._loaded()
        main = state.main
        assert main is not None
        wanted = (header_key(key_column), header_key(anchor_column))
        guess = {k: _find(state.header, k) for k in wanted}
        answer = self._batch_get(main, guess)
        header = answer[0]
        actual = {k: _find(header, k) for k in wanted}
        if actual != guess:
            # A person moved columns since the read: ask again for where they are now. This is
            # the only case where a write costs an extra request.
            answer = self._batch_get(main, actual)
            header = answer[0]
            actual = {k: _find(header, k) for k in wanted}
        columns = {k: answer[1].get(actual[k], []) for k in wanted}
        n = max([len(c) for c in columns.values()] + ([] if actual[wanted[0]] else [state.rows]))
        keys, anchors = ((*c, *("",) * (n - len(c))) for c in (columns[wanted[0]], columns[wanted[1]]))
        width = max(len(header), main.used_cols)
        return Columns(header=tuple(header), keys=tuple(keys), anchors=tuple(anchors), width=width)

    def _write_cells(self, cells: Sequence[CellWrite], tab: Tab | None) -> list[str]:
        state = self._loaded()
        main = state.main
        assert main is not None
        notes: list[str] = []
        header = dict(enumerate(state.header, start=1))
        for c in cells:
            if c.row == 1:  # a header written now names its column in notes
                header[c.col] = c.value
        data: list[dict[str, Any]] = []
        for row, first, block in _blocks(cells):
            for r, values in enumerate(block, start=row):
                for i, value in enumerate(values):
                    if len(value) > CELL_LIMIT:
                        name = header.get(first + i) or column_letters(first + i)
                        notes.append(
                            f"Row {r}, column {name}: the value was cut to {CELL_LIMIT:,} characters, the "
                            "most a Google Sheets cell holds; shorten it at the source if the end matters."
                        )
                        values[i] = value[:CELL_LIMIT]
            last_col, last_row = first + len(block[0]) - 1, row + len(block) - 1
            cells_a1 = f"{column_letters(first)}{row}:{column_letters(last_col)}{last_row}"
            data.append({"range": f"{quote_title(main.title)}!{cells_a1}", "values": block})
        structure: list[dict[str, Any]] = []
        need_cols = max((c.col for c in cells), default=0)
        if need_cols > main.cols:
            structure.append(_resize(main.sheet_id, main.rows, need_cols))
        if tab is not None:
            data.append(self._tab_data(state, tab, structure))
        if structure:
            self._structure(structure)
            if need_cols > main.cols:
                main.cols = need_cols
        if data:
            self._call(
                "write",
                lambda: self.http.values_batch_update(
                    self.spreadsheet_id, body={"valueInputOption": "RAW", "data": data}
                ),
            )
        return notes

    # --- the secondary tab -------------------------------------------------------------------

    def _tab_data(self, state: _State, tab: Tab, structure: list[dict[str, Any]]) -> dict[str, Any]:
        """Values that replace the whole tab, plus the grid changes that must come first."""
        assert state.main is not None
        rows = [list(tab.header), *(list(r) for r in tab.rows)]
        need_rows, need_cols = len(rows), max(len(r) for r in rows)
        info = next((s for s in state.sheets if s.title.casefold() == tab.title.casefold()), None)
        if info is state.main:
            raise TableError(
                f"The tab {tab.title!r} holds the articles, so it cannot also hold {tab.title!r} "
                "details; rename the articles tab and run again."
            )
        if info is None:
            info = _SheetInfo(-1, tab.title, max(_TAB_MIN_ROWS, need_rows * 2), max(need_cols, 26))
            structure.append(
                {"addSheet": {"properties": {"title": tab.title, "gridProperties": {
                    "rowCount": info.rows, "columnCount": info.cols}}}}
            )
            state.sheets.append(info)
        elif need_rows > info.rows or need_cols > info.cols:
            info.rows, info.cols = max(info.rows, need_rows * 2), max(info.cols, need_cols)
            structure.append(_resize(info.sheet_id, info.rows, info.cols))
        # Blank out what the previous content covered beyond the new one: no stale rows.
        height, width = max(need_rows, info.used_rows), max(need_cols, info.used_cols)
        values = [(r + [""] * (width - len(r))) for r in rows] + [[""] * width] * (height - need_rows)
        info.used_rows, info.used_cols = need_rows, need_cols
        return {"range": f"{quote_title(info.title)}!A1:{column_letters(width)}{height}",
                "values": [[v[:CELL_LIMIT] for v in r] for r in values]}

    def _structure(self, requests_: list[dict[str, Any]]) -> None:
        # Resizing to a given size is idempotent and safe to repeat after a 5xx; adding a sheet
        # is not (the repeat would fail as a duplicate), so that batch is retried only on 429.
        adds = [r for r in requests_ if "addSheet" in r]
        answer = self._call(
            "grow",
            lambda: self.http.batch_update(self.spreadsheet_id, {"requests": requests_}),
            retry_5xx=not adds,
        )
        assert self._state is not None
        for request, reply in zip(requests_, answer.get("replies", [])):
            if "addSheet" in request:
                props = reply.get("addSheet", {}).get("properties", {})
                for info in self._state.sheets:
                    if info.sheet_id == -1 and info.title == props.get("title"):
                        info.sheet_id = int(props.get("sheetId", -1))

    # --- requests ----------------------------------------------------------------------------

    def _loaded(self) -> _State:
        if self._state is None:
            self.read()  # a write without a read first: learn the layout once
        assert self._state is not None
        return self._state

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

    def _batch_get(self, main: _SheetInfo, where: Mapping[str, int]) -> tuple[list[str], dict[int, list[str]]]:
        """Header row and the given columns (1-based) in one values:batchGet."""
        title = quote_title(main.title)
        cols = sorted({c for c in where.values() if c})
        ranges = [f"{title}!1:1", *(f"{title}!{column_letters(c)}2:{column_letters(c)}" for c in cols)]
        answer = self._call(
            "re-read",
            lambda: self.http.values_batch_get(
                self.spreadsheet_id, ranges,
                params={"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER",
                        "majorDimension": "ROWS"},
            ),
        )
        value_ranges = answer.get("valueRanges", [])
        if value_ranges:
            # Google answers with the range clipped to the grid: the grid's size as it is now.
            rows, cols_now = _a1_extent(value_ranges[0].get("range", ""))
            main.cols = cols_now or main.cols
            if len(value_ranges) > 1:
                main.rows = _a1_extent(value_ranges[1].get("range", ""))[0] or main.rows
        first_row = (value_ranges[0].get("values") or [[]])[0] if value_ranges else []
        header = [strip_control(cell_text(v)) for v in first_row]
        columns = {
            c: [strip_control(cell_text(r[0] if r else None)) for r in vr.get("values", [])]
            for c, vr in zip(cols, value_ranges[1:])
        }
        return header, columns

    def _call(self, what: str, send: Callable[[], Any], *, retry_5xx: bool = True) -> Any:
        import gspread
        from google.auth import exceptions as auth_errors

        attempt = 0
        while True:
            try:
                return send()
            except gspread.exceptions.APIError as exc:
                status = int(getattr(exc, "code", 0) or exc.response.status_code)
                retryable = status == 429 or (status >= 500 and retry_5xx)
                if not retryable or attempt + 1 >= self.retry.attempts:
                    raise self._error(what, status, exc, attempt + 1) from None
            except auth_errors.RefreshError as exc:
                # A saved sign-in expires or is revoked (after 7 days while the OAuth app is in
                # testing); a service-account key can be deleted. Asking again will not help.
                reason = " ".join(str(exc.args[0] if exc.args else exc).split())[:120]
                raise TableError(
                    f"Google refused the credentials when asked to {what} {self.display_name} "
                    f"({reason}); for your own sign-in, delete authorized_user.json in the gspread "
                    "folder and run again to sign in afresh; for a service account, create a new "
                    "key and pass it with --credentials."
                ) from None
            except (requests.ConnectionError, requests.Timeout, auth_errors.TransportError) as exc:
                if not retry_5xx or attempt + 1 >= self.retry.attempts:
                    raise TableError(
                        f"Could not reach Google Sheets to {what} {self.display_name} "
                        f"({type(exc).__name__}); check the network connection and run again."
                    ) from None
            self.retry.sleep(self.retry.delay(attempt))
            attempt += 1

    def _error(self, what: str, status: int, exc: Any, tries: int) -> TableError:
        message = " ".join(str(getattr(exc, "error", {}).get("message", "")).split())
        who = self.account_email
        share = f"share the sheet with {who} as Editor" if who else (
            "share the sheet as Editor with the Google account sheetsync signs in as"
        )
        sheet = f"spreadsheet {self.spreadsheet_id}"
        if status == 403 and ("has not been used" in message or "disabled" in message):
            # A new Cloud project's service account: sharing the sheet would not help.
            return TableError(
                f"The Google Sheets API is not enabled in the Google Cloud project of these "
                f"credentials; enable it in the Cloud console (APIs & Services, Google Sheets API), "
                f"wait a few minutes, and run again. Google said: {message[:300]}"
            )
        if status == 403:
            return TableError(f"Google Sheets refused access to {sheet}: {share}, then run again.")
        if status == 404:
            return TableError(
                f"Google Sheets found no {sheet}, or it is not shared with sheetsync: check the URL "
                f"or key, {share}, then run again."
            )
        if status == 429:
            return TableError(
                f"Google Sheets kept answering 429 (too many requests) to {what} {sheet} after "
                f"{tries} tries; wait a minute and run again."
            )
        if status >= 500:
            return TableError(
                f"Google Sheets failed with HTTP {status} to {what} {sheet} after {tries} "
                f"{'try' if tries == 1 else 'tries'}; run again in a few minutes."
            )
        detail = f" ({message})" if message else ""
        return TableError(
            f"Google Sheets refused to {what} {sheet} with HTTP {status}{detail}; check the tab "
            "names and layout of the sheet, then run again."
        )


# --- pure helpers --------------------------------------------------------------------------


def _find(header: Sequence[str], key: str) -> int:
    for i, text in enumerate(header):
        if text.strip() and header_key(text) == key:
            return i + 1
    return 0


def _resize(sheet_id: int, rows: int, cols: int) -> dict[str, Any]:
    # A size, not an increment: repeating it after an unknown outcome changes nothing.
    return {
        "updateSheetProperties": {
            "properties": {"sheetId": sheet_id, "gridProperties": {"rowCount": rows, "columnCount": cols}},
            "fields": "gridProperties.rowCount,gridProperties.columnCount",
        }
    }


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


def _cells(data: list[dict[str, Any]]) -> list[list[CellValue]]:
    """Grid data of one sheet -> rows of plain values, trailing empty rows dropped."""
    rows: list[list[CellValue]] = []
    for block in data:
        start_row, start_col = int(block.get("startRow", 0)), int(block.get("startColumn", 0))
        for i, row in enumerate(block.get("rowData", [])):
            values = [_value(cell) for cell in row.get("values", [])]
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


def _value(cell: Mapping[str, Any]) -> CellValue:
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
        if kind in ("DATE", "DATE_TIME"):
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
