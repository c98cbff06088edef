"""An in-process fake of the Google Sheets API v4, mounted on a requests session.

The fake answers on `https://sheets.googleapis.com/` through a transport adapter, so the real
gspread client (and our backend on top of it) runs unchanged against it. Every other host fails
loudly: a test can never reach the network by accident. Wire format (ranges, omitted trailing
empty cells, error bodies, update counts) follows Google's recorded answers.

Besides the API it offers what tests need: request counts by kind, injected failures
(`fail_next`), hooks that let a "person" edit the sheet between two requests, and direct store
methods (`Sheet.insert_row`, `sort_rows`, ...).

It also behaves like Google under load, on an injected clock (`clock=`, anything with `now()`
and `advance(seconds)`, such as the emulator's `FakeClock`): per-user per-minute read and write
quotas answered with Google's 429 body (`set_quota`), HTML 502/503 pages from the front end,
a connection reset after a write was applied, truncated or undecodable answers, latency
(`latency=`), random failures (`storm`) and people editing before any request, retries
included (`between_requests`). Answers are gzip-compressed only when the User-Agent contains
"gzip", as Google does, and `bytes_sent` counts them as they went over the wire.
"""

from __future__ import annotations

import ast
import copy
import datetime as dt
import gzip
import inspect
import io
import json
import operator
import os
import random
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from requests.adapters import BaseAdapter
from urllib3.exceptions import ProtocolError
from urllib3.response import HTTPResponse

SHEETS_HOST = "https://sheets.googleapis.com/"
CELL_LIMIT = 50_000  # characters Google accepts in one cell
EPOCH = dt.datetime(1899, 12, 30)  # day 0 of Sheets' serial dates

# Google's defaults, as every new spreadsheet reports them.
_DEFAULT_FORMAT: dict[str, Any] = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {
        "foregroundColor": {},
        "fontFamily": "arial,sans,sans-serif",
        "fontSize": 10,
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
        "foregroundColorStyle": {"rgbColor": {}},
    },
    "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
}
_THEME_COLORS = [
    ("TEXT", {}),
    ("BACKGROUND", {"red": 1, "green": 1, "blue": 1}),
    ("ACCENT1", {"red": 0.25882354, "green": 0.52156866, "blue": 0.95686275}),
    ("ACCENT2", {"red": 0.91764706, "green": 0.2627451, "blue": 0.20784314}),
    ("ACCENT3", {"red": 0.9843137, "green": 0.7372549, "blue": 0.015686275}),
    ("ACCENT4", {"red": 0.20392157, "green": 0.65882355, "blue": 0.3254902}),
    ("ACCENT5", {"red": 1, "green": 0.42745098, "blue": 0.003921569}),
    ("ACCENT6", {"red": 0.27450982, "green": 0.7411765, "blue": 0.7764706}),
    ("LINK", {"red": 0.06666667, "green": 0.33333334, "blue": 0.8}),
]
_THEME: dict[str, Any] = {
    "primaryFontFamily": "Arial",
    "themeColors": [{"colorType": t, "color": {"rgbColor": c}} for t, c in _THEME_COLORS],
}
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
_STATUS_WORD = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_FAILURE_MESSAGE = {
    429: "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute per user' "
    "of service 'sheets.googleapis.com' for consumer 'project_number:0'.",
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
}
#: Who owns the fake's spreadsheets (the editor a protected range names).
OWNER = "sheetsync-tests@example.iam.gserviceaccount.com"
# spreadsheets.batchUpdate requests the fake stores and answers as Google does.
_STORED_REQUESTS = frozenset(
    {
        "repeatCell", "updateCells", "setDataValidation", "addConditionalFormatRule",
        "deleteConditionalFormatRule", "updateDimensionProperties", "addProtectedRange",
        "updateProtectedRange",
    }
)
# spreadsheets.batchUpdate requests that only change formatting: accepted, stored nowhere.
_FORMATTING_REQUESTS = frozenset(
    {
        "repeatCell",
        "updateBorders",
        "updateDimensionProperties",
        "autoResizeDimensions",
        "addConditionalFormatRule",
        "deleteConditionalFormatRule",
        "setBasicFilter",
        "clearBasicFilter",
        "addProtectedRange",
        "deleteProtectedRange",
        "setDataValidation",
        "addBanding",
        "deleteBanding",
    }
)
READ_KINDS = frozenset({"spreadsheets.get", "spreadsheets.getByDataFilter", "values.get", "values.batchGet"})
PAYLOAD_LIMIT = 10 * 1024 * 1024  # bytes Google accepts in one request body
# Google's front end answers some outages with its own HTML page instead of the API's JSON.
_HTML_PAGE = (
    "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <meta name=viewport "
    "content=\"initial-scale=1, minimum-scale=1, width=device-width\">\n  <title>Error {status} "
    "({reason})!!1</title>\n  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>\n"
    "  <p><b>{status}.</b> <ins>That\u2019s an error.</ins>\n  <p>{words}  <ins>That\u2019s all we "
    "know.</ins>\n"
)
_HTML_WORDS = {
    502: ("Server Error", "The server encountered a temporary error and could not complete your request.<p>Please try again in 30 seconds."),
    503: ("Service Unavailable", "The service you requested is not available at this time.<p>Please try again later."),
    413: ("Request Entity Too Large", "Your client issued a request that was too large."),
}
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            413: "Request Entity Too Large", 429: "Too Many Requests", 500: "Internal Server Error",
            502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


class UnexpectedRequest(AssertionError):
    """A test tried to reach a host other than the fake Sheets API."""


class ApiFault(Exception):
    """An error answer, shaped like Google's `{"error": {...}}` body."""

    def __init__(self, status: int, message: str, *, word: str | None = None,
                 details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.word = word or _STATUS_WORD.get(status, "UNKNOWN")
        self.details = details or []

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.status, "message": self.message, "status": self.word}
        if self.details:
            error["details"] = self.details
        return {"error": error}


# --- cells and A1 notation -----------------------------------------------------------------


@dataclass
class Cell:
    """One stored cell: a value (str, int, float, bool), or a formula with its value or error."""

    value: str | int | float | bool | None = None
    formula: str | None = None
    error: str | None = None  # an ErrorType name such as "REF"
    number_format: str | None = None  # NumberFormat type: DATE, DATE_TIME, NUMBER, TEXT, ...

    def is_empty(self) -> bool:
        return self.value is None and self.formula is None and self.error is None


def column_letters(col: int) -> str:
    """1 -> A, 27 -> AA."""
    text = ""
    while col:
        col, rem = divmod(col - 1, 26)
        text = chr(65 + rem) + text
    return text


def column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


_PLAIN_TITLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LOOKS_LIKE_CELL = re.compile(r"(?i)[A-Z]{1,3}[0-9]+|R[0-9]*C[0-9]*")


def quote_title(title: str) -> str:
    """A sheet title as Google writes it in a range: quoted unless plainly a name."""
    if _PLAIN_TITLE.fullmatch(title) and not _LOOKS_LIKE_CELL.fullmatch(title):
        return title
    return "'" + title.replace("'", "''") + "'"


_A1_PART = re.compile(r"(?i)^([A-Z]*)([0-9]*)$")


@dataclass(frozen=True)
class Span:
    """A resolved range: 1-based inclusive bounds on one sheet; None = open to the grid's edge."""

    sheet: "Sheet"
    r1: int
    c1: int
    r2: int | None
    c2: int | None
    single: bool = False  # written as one cell ("A1"): for writes only the anchor

    def clipped(self) -> tuple[int, int, int, int]:
        if self.single:
            return (self.r1, self.c1, self.r1, self.c1)
        return (self.r1, self.c1, self.r2 or self.sheet.rows, self.c2 or self.sheet.cols)

    def a1(self) -> str:
        r1, c1, r2, c2 = self.clipped()
        start = f"{column_letters(c1)}{r1}"
        cells = start if (r1, c1) == (r2, c2) else f"{start}:{column_letters(c2)}{r2}"
        return f"{quote_title(self.sheet.title)}!{cells}"


def _split_sheet(text: str) -> tuple[str | None, str]:
    if text.startswith("'"):
        i, title = 1, ""
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    title += "'"
                    i += 2
                    continue
                break
            title += text[i]
            i += 1
        rest = text[i + 1 :]
        if rest.startswith("!"):
            return title, rest[1:]
        if rest == "":
            return title, ""
        raise ValueError(text)
    if "!" in text:
        title, _, cells = text.rpartition("!")
        return title, cells
    return None, text


def _parse_cells(cells: str) -> tuple[int, int, int | None, int | None]:
    """1-based bounds; a single cell comes back as (r, c, 0, 0)."""
    if cells == "":
        return 1, 1, None, None
    first, _, second = cells.partition(":")
    m1 = _A1_PART.match(first)
    m2 = _A1_PART.match(second) if second else m1
    if not m1 or not m2 or (not m1.group(1) and not m1.group(2)):
        raise ValueError(cells)
    c1 = column_number(m1.group(1)) if m1.group(1) else 1
    r1 = int(m1.group(2)) if m1.group(2) else 1
    if not second:
        if not m1.group(1) or not m1.group(2):
            raise ValueError(cells)  # "A" or "3" alone is not a range
        return r1, c1, 0, 0
    c2 = column_number(m2.group(1)) if m2.group(1) else None
    r2 = int(m2.group(2)) if m2.group(2) else None
    if r1 < 1 or (r2 is not None and r2 < r1) or (c2 is not None and c2 < c1):
        raise ValueError(cells)
    return r1, c1, r2, c2


# --- sheets and spreadsheets ---------------------------------------------------------------


@dataclass
class Sheet:
    """One tab: grid size, cells (0-based keys), merges. Methods here act as a person would."""

    sheet_id: int
    title: str
    rows: int = 1000
    cols: int = 26
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # 0-based, end exclusive
    #: (row, col) 0-based -> what a cell holds besides its value: note, userEnteredFormat,
    #: dataValidation, textFormatRuns (CellData field names), as the batchUpdate requests set them.
    extras: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    #: gridProperties beyond the size (frozenRowCount, frozenColumnCount) and tab colour.
    grid_extra: dict[str, Any] = field(default_factory=dict)
    tab_color: dict[str, Any] | None = None
    hidden: bool = False
    #: 0-based column/row index -> DimensionProperties set by updateDimensionProperties.
    column_props: dict[int, dict[str, Any]] = field(default_factory=dict)
    row_props: dict[int, dict[str, Any]] = field(default_factory=dict)
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)
    protected_ranges: list[dict[str, Any]] = field(default_factory=list)

    # -- reading the store
    def cell(self, row: int, col: int) -> Cell:
        """The cell at 1-based (row, col); an empty Cell when nothing is stored."""
        return self.cells.get((row - 1, col - 1), Cell())

    def used(self) -> tuple[int, int]:
        """(rows, cols) up to the last non-empty cell."""
        rows = cols = -1
        for (r, c), cell in self.cells.items():
            if (r > rows or c > cols) and not cell.is_empty():
                rows, cols = max(rows, r), max(cols, c)
        return rows + 1, cols + 1

    def values(self) -> list[list[Any]]:
        """Stored values (formulas as their values, errors as #REF! text), trailing empties trimmed."""
        nrows, ncols = self.used()
        out: list[list[Any]] = []
        for r in range(nrows):
            row = [_plain(self.cells.get((r, c), Cell())) for c in range(ncols)]
            while row and row[-1] is None:
                row.pop()
            out.append(row)
        return out

    # -- a person's edits
    def set_values(self, rows: Sequence[Sequence[Any]], start_row: int = 1, start_col: int = 1,
                   user_entered: bool = False) -> None:
        """Type `rows` into the grid from (start_row, start_col), growing it as a person could."""
        need_rows = start_row - 1 + len(rows)
        need_cols = start_col - 1 + max((len(r) for r in rows), default=0)
        self.rows, self.cols = max(self.rows, need_rows), max(self.cols, need_cols)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if isinstance(value, (dt.date, dt.datetime)):
                    self.set_cell(start_row + i, start_col + j, value)
                elif value is not None:
                    self._put(start_row - 1 + i, start_col - 1 + j, value, user_entered)

    def set_cell(self, row: int, col: int, value: Any = None, *, formula: str | None = None,
                 error: str | None = None, number_format: str | None = None) -> None:
        """Store one cell exactly: a date as a serial number with a DATE format, a formula, an error."""
        if isinstance(value, (dt.date, dt.datetime)):
            value, number_format = to_serial(value), number_format or (
                "DATE_TIME" if isinstance(value, dt.datetime) else "DATE"
            )
        cell = Cell(value, formula, error, number_format)
        key = (row - 1, col - 1)
        if cell.is_empty():
            self.cells.pop(key, None)
        else:
            self.cells[key] = cell
        self.rows, self.cols = max(self.rows, row), max(self.cols, col)

    def insert_row(self, at: int, values: Sequence[Any] = ()) -> None:
        """Insert a row before 1-based row `at`, shifting the rows below down."""
        self._shift_rows(at - 1, +1)
        self.rows += 1
        self.set_values([list(values)], start_row=at)

    def delete_row(self, at: int) -> None:
        self.cells = {k: v for k, v in self.cells.items() if k[0] != at - 1}
        self._shift_rows(at, -1)
        self.rows -= 1

    def sort_rows(self, column: int, reverse: bool = False, header_rows: int = 1) -> None:
        """Sort the rows below the header by a 1-based column (empties last), as Data > Sort does."""
        nrows, _ = self.used()
        body = list(range(header_rows, nrows))
        grouped = {r: {c: cell for (rr, c), cell in self.cells.items() if rr == r} for r in body}

        def key(r: int) -> tuple[int, int, Any]:
            v = _plain(grouped[r].get(column - 1, Cell()))
            if v is None:
                return (1, 0, "")
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return (0, 0, v)
            return (0, 1, str(v).lower())

        filled = sorted([r for r in body if key(r)[0] == 0], key=key, reverse=reverse)
        order = filled + [r for r in body if key(r)[0] == 1]
        # A sort moves whole cells: values, formats, notes and text runs travel together.
        extras = {r: {c: e for (rr, c), e in self.extras.items() if rr == r} for r in body}
        self.cells = {k: v for k, v in self.cells.items() if k[0] < header_rows}
        self.extras = {k: v for k, v in self.extras.items() if not header_rows <= k[0] < nrows}
        for new, old in zip(body, order):
            for c, cell in grouped[old].items():
                self.cells[(new, c)] = cell
            for c, extra in extras[old].items():
                self.extras[(new, c)] = extra

    def merge(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        """Merge a block (1-based, inclusive): like Sheets, keep only the top-left value."""
        for (r, c) in list(self.cells):
            inside = first_row - 1 <= r < last_row and first_col - 1 <= c < last_col
            if inside and (r, c) != (first_row - 1, first_col - 1):
                del self.cells[(r, c)]
        self.merges.append((first_row - 1, last_row, first_col - 1, last_col))

    # -- internals
    def _shift_rows(self, from_index: int, by: int) -> None:
        self.cells = {
            ((r + by, c) if r >= from_index else (r, c)): v for (r, c), v in self.cells.items()
        }
        self.extras = {
            ((r + by, c) if r >= from_index else (r, c)): v for (r, c), v in self.extras.items()
            if not (by < 0 and r == from_index + by)
        }
        self.merges = [
            (a + by, b + by, c, d) if a >= from_index else (a, b, c, d) for a, b, c, d in self.merges
        ]

    def _put(self, r: int, c: int, value: Any, user_entered: bool) -> None:
        if isinstance(value, str) and utf16_length(value) > CELL_LIMIT:
            raise ApiFault(
                400,
                f"Your input contains more than the maximum of {CELL_LIMIT} characters in a single cell.",
            )
        cell = parse_user_entered(value) if user_entered else _raw_cell(value)
        extra = self.extras.get((r, c))
        if extra and "textFormatRuns" in extra:
            # Google: "When writing a new user_entered_value, previous runs will be erased."
            extra.pop("textFormatRuns")
            extra.pop("hyperlink", None)
            if not extra:
                self.extras.pop((r, c))
        if cell.is_empty():
            self.cells.pop((r, c), None)
            return
        old = self.cells.get((r, c))
        if old is not None and cell.number_format is None and not isinstance(cell.value, str):
            cell.number_format = old.number_format  # typing a number keeps the cell's format
        self.cells[(r, c)] = cell

    def properties(self, index: int) -> dict[str, Any]:
        grid: dict[str, Any] = {"rowCount": self.rows, "columnCount": self.cols}
        grid.update({k: v for k, v in self.grid_extra.items() if v})  # Google leaves out zeros
        props: dict[str, Any] = {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": index,
            "sheetType": "GRID",
            "gridProperties": grid,
        }
        if self.hidden:
            props["hidden"] = True  # Google leaves the field out for a visible tab
        if self.tab_color is not None:
            props["tabColor"] = copy.deepcopy(self.tab_color)
            props["tabColorStyle"] = {"rgbColor": copy.deepcopy(self.tab_color)}
        return props

    def extra(self, row: int, col: int) -> dict[str, Any]:
        """What the cell at 1-based (row, col) holds besides its value (note, format, ...)."""
        return self.extras.get((row - 1, col - 1), {})


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    title: str
    locale: str = "en_US"
    time_zone: str = "Etc/GMT"
    sheets: list[Sheet] = field(default_factory=list)
    shared: bool = True  # False: the caller gets 403 PERMISSION_DENIED

    def sheet(self, title: str) -> Sheet:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        raise KeyError(title)

    def sheet_by_id(self, sheet_id: Any) -> Sheet:
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        raise ApiFault(400, f"No grid with id: {sheet_id}")

    def resolve(self, text: str) -> Span:
        """Parse an A1 range (with or without a sheet title) against this spreadsheet."""
        try:
            title, cells = _split_sheet(text)
            if title is None:
                try:  # a bare sheet title means the whole sheet
                    return Span(self.sheet(cells), 1, 1, None, None)
                except KeyError:
                    sheet = self.sheets[0]
            else:
                sheet = self.sheet(title)
            r1, c1, r2, c2 = _parse_cells(cells)
        except (ValueError, KeyError, IndexError):
            raise ApiFault(400, f"Unable to parse range: {text}") from None
        if r2 == 0:
            return Span(sheet, r1, c1, r1, c1, single=True)
        return Span(sheet, r1, c1, r2, c2)


def _grid_check(span: Span, rows: int | None = None, cols: int | None = None) -> None:
    r1, c1, r2, c2 = span.clipped()
    if rows is not None:
        r2 = max(r2 if span.r2 else 0, r1 + rows - 1)
    if cols is not None:
        c2 = max(c2 if span.c2 else 0, c1 + cols - 1)
    sheet = span.sheet
    if r2 > sheet.rows or c2 > sheet.cols:
        cell = f"{column_letters(max(c1, min(c2, sheet.cols + 1)))}{max(r1, min(r2, sheet.rows + 1))}"
        raise ApiFault(
            400,
            f"Range ({quote_title(sheet.title)}!{cell}) exceeds grid limits. "
            f"Max rows: {sheet.rows}, max columns: {sheet.cols}",
        )


# --- values --------------------------------------------------------------------------------


def utf16_length(text: str) -> int:
    """Length as Google counts it: UTF-16 code units (an emoji outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def to_serial(value: dt.date | dt.datetime) -> int | float:
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - EPOCH
        return delta.days + delta.seconds / 86400
    return (value - EPOCH.date()).days


def from_serial(serial: float, with_time: bool) -> dt.date | dt.datetime:
    moment = EPOCH + dt.timedelta(days=serial)
    return moment if with_time else moment.date()


def _number(v: float) -> int | float:
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _raw_cell(value: Any) -> Cell:
    if value == "" or value is None:
        return Cell()
    if isinstance(value, (bool, int, float, str)):
        return Cell(value)
    raise ApiFault(400, f"Invalid values: {value!r}")


_NUMERIC = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def _evaluate(expression: str) -> tuple[Any, str | None]:
    """Arithmetic formulas get their value; anything else is a #NAME? error, as for an unknown function."""

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return float(_OPS[type(node.op)](walk(node.left), walk(node.right)))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return -walk(node.operand) if isinstance(node.op, ast.USub) else walk(node.operand)
        raise ValueError
    try:
        return _number(float(walk(ast.parse(expression, mode="eval").body))), None
    except ZeroDivisionError:
        return None, "DIVIDE_BY_ZERO"
    except (ValueError, SyntaxError, TypeError):
        return None, "NAME"


def parse_user_entered(value: Any) -> Cell:
    """What Sheets makes of typed input: formulas, numbers, booleans and ISO dates."""
    if not isinstance(value, str):
        return _raw_cell(value)
    text = value.strip()
    if value.startswith("'"):
        return _raw_cell(value[1:])
    if value.startswith("=") and len(value) > 1:
        result, error = _evaluate(value[1:])
        return Cell(result, formula=value, error=error)
    if _NUMERIC.match(text):
        return Cell(_number(float(text)))
    if text.upper() in ("TRUE", "FALSE"):
        return Cell(text.upper() == "TRUE")
    for fmt, kind in (("%Y-%m-%d", "DATE"), ("%Y-%m-%d %H:%M:%S", "DATE_TIME"), ("%Y-%m-%d %H:%M", "DATE_TIME")):
        try:
            moment = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        serial = to_serial(moment if kind == "DATE_TIME" else moment.date())
        return Cell(_number(serial), number_format=kind)
    return _raw_cell(value)


def _plain(cell: Cell) -> Any:
    if cell.error:
        return _ERROR_TEXT.get(cell.error, "#ERROR!")
    return cell.value


def _formatted(cell: Cell) -> str | None:
    if cell.error:
        return _ERROR_TEXT.get(cell.error, "#ERROR!")
    v = cell.value
    if v is None:
        return None
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        if cell.number_format in ("DATE", "DATE_TIME"):
            moment = from_serial(v, with_time=True)
            assert isinstance(moment, dt.datetime)
            return moment.strftime("%Y-%m-%d %H:%M:%S" if cell.number_format == "DATE_TIME" else "%Y-%m-%d")
        return str(_number(float(v)))
    return v


def _render(cell: Cell, value_option: str, date_option: str) -> Any:
    if value_option == "FORMULA" and cell.formula:
        return cell.formula
    if value_option == "FORMATTED_VALUE":
        return _formatted(cell)
    if cell.error:
        return _ERROR_TEXT.get(cell.error, "#ERROR!")
    v = cell.value
    if (
        isinstance(v, (int, float))
        and not isinstance(v, bool)
        and cell.number_format in ("DATE", "DATE_TIME", "TIME")
        and date_option == "FORMATTED_STRING"
    ):
        return _formatted(cell)
    return _number(v) if isinstance(v, float) else v


def _typed(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, (int, float)):
        return {"numberValue": v}
    return {"stringValue": v}


def _color(color: dict[str, Any]) -> dict[str, Any]:
    """A colour as Google keeps it: single precision, zero channels left out."""
    out: dict[str, Any] = {}
    for k, v in color.items():
        if isinstance(v, (int, float)) and v:
            value = float(f"{float(v):.8g}")
            out[k] = int(value) if value.is_integer() else value
    return out


def _stored_format(fmt: dict[str, Any]) -> dict[str, Any]:
    """A userEnteredFormat as Google answers it: colours also as ...Style {rgbColor}."""
    out = copy.deepcopy(fmt)
    if "backgroundColor" in out:
        out["backgroundColor"] = _color(out["backgroundColor"])
        out["backgroundColorStyle"] = {"rgbColor": dict(out["backgroundColor"])}
    text = out.get("textFormat")
    if isinstance(text, dict) and "foregroundColor" in text:
        text["foregroundColor"] = _color(text["foregroundColor"])
        text["foregroundColorStyle"] = {"rgbColor": dict(text["foregroundColor"])}
    return out


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def _cell_data(cell: Cell, mask: dict[str, Any] | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """CellData as Google sends it; with `mask` (a field mask below `values`) only those fields."""
    if extra and mask == _TYPED_MASK:
        # A typed read sees only the number format of a cell's own formatting: skip the merging.
        data = _cell_data(cell, mask)
        number = (extra.get("userEnteredFormat") or {}).get("numberFormat") or {}
        if number.get("type"):
            data["effectiveFormat"] = {"numberFormat": {"type": number["type"]}}
        return data
    if extra:
        data = _cell_data(cell, mask) if not cell.is_empty() else {}
        user = extra.get("userEnteredFormat")

        def wanted(name: str) -> bool:
            return mask is None or "*" in mask or name in mask

        if user:
            if wanted("userEnteredFormat"):
                data["userEnteredFormat"] = _merged(data.get("userEnteredFormat", {}), user)
            if wanted("effectiveFormat"):
                data["effectiveFormat"] = _merged(data.get("effectiveFormat", _DEFAULT_FORMAT), user)
        for name in ("note", "dataValidation", "textFormatRuns", "hyperlink"):
            if name in extra and wanted(name):
                data[name] = copy.deepcopy(extra[name])
        if mask:
            for name, sub in mask.items():
                if sub is not None and name in data and name in ("userEnteredFormat", "effectiveFormat", "dataValidation"):
                    data[name] = apply_fields(data[name], sub)
            data = {k: v for k, v in data.items() if v != {}}
        return data
    if cell.is_empty():
        return {}
    if mask == _TYPED_MASK:
        # The mask a typed read asks for, built directly: the same answer, a fraction of the work.
        data: dict[str, Any] = {}
        if cell.error:
            message = f"{_ERROR_TEXT.get(cell.error)} error"
            data["effectiveValue"] = {"errorValue": {"type": cell.error, "message": message}}
        elif cell.value is not None:
            data["effectiveValue"] = _typed(cell.value)
        if cell.number_format:
            data["effectiveFormat"] = {"numberFormat": {"type": cell.number_format}}
        return data

    def wanted(name: str) -> bool:
        return mask is None or "*" in mask or name in mask

    data = {}
    if wanted("userEnteredValue") and (cell.formula or cell.value is not None):
        data["userEnteredValue"] = {"formulaValue": cell.formula} if cell.formula else _typed(cell.value)
    if wanted("effectiveValue"):
        if cell.error:
            message = f"{_ERROR_TEXT.get(cell.error)} error"
            data["effectiveValue"] = {"errorValue": {"type": cell.error, "message": message}}
        elif cell.value is not None:
            data["effectiveValue"] = _typed(cell.value)
    if wanted("formattedValue"):
        data["formattedValue"] = _formatted(cell)
    fmt = {"type": cell.number_format, "pattern": _PATTERNS.get(cell.number_format, "")} if cell.number_format else None
    if fmt and wanted("userEnteredFormat"):
        data["userEnteredFormat"] = {"numberFormat": fmt}
    if wanted("effectiveFormat"):
        narrowed = mask.get("effectiveFormat") if mask else None
        # Most readers ask only for the number format: skip copying the defaults then.
        effective = {} if narrowed and set(narrowed) <= {"numberFormat"} else dict(_DEFAULT_FORMAT)
        if fmt:
            effective["numberFormat"] = fmt
        data["effectiveFormat"] = effective
    if mask:
        for name, sub in mask.items():
            if sub is not None and name in data:
                data[name] = apply_fields(data[name], sub)
        data = {k: v for k, v in data.items() if v != {}}
    return data


def _stored_runs(cell: Cell, runs: Any, r: int, c: int) -> list[dict[str, Any]]:
    """Text format runs checked and kept as Google keeps them (a startIndex of 0 left out).

    Runs are only valid on a string value, start at increasing UTF-16 offsets inside the text,
    and each sets `startIndex` and `format` ("When updating, all fields must be set").
    """
    where = f"{column_letters(c + 1)}{r + 1}"
    if not isinstance(runs, list):
        raise ApiFault(400, f"Invalid value at 'textFormatRuns' of cell {where}: a list of runs is expected")
    if cell.formula is not None or not isinstance(cell.value, str):
        raise ApiFault(400, f"Invalid requests: cell {where} has text format runs but its value is not a string")
    length = utf16_length(cell.value)
    stored: list[dict[str, Any]] = []
    last = -1
    for run in runs:
        start = run.get("startIndex", 0) if isinstance(run, dict) else None
        if not isinstance(start, int) or isinstance(start, bool) or start < 0:
            raise ApiFault(400, f"Invalid requests: cell {where} has a text format run with an invalid startIndex")
        if start >= length:
            raise ApiFault(
                400, f"Invalid requests: cell {where} has a text format run starting at {start}, "
                f"beyond the end of its text ({length} characters)"
            )
        if start <= last:
            raise ApiFault(400, f"Invalid requests: the text format runs of cell {where} must start at increasing indexes")
        fmt = run.get("format", {})
        link = fmt.get("link") if isinstance(fmt, dict) else None
        if link is not None and not (isinstance(link, dict) and isinstance(link.get("uri", ""), str)):
            raise ApiFault(400, f"Invalid requests: cell {where} has a text format run with an invalid link")
        last = start
        kept: dict[str, Any] = {"startIndex": start} if start else {}
        if link is not None:
            # "When a link is set, the text foreground color will be set to the default link
            # color and the text will be underlined", unless the run sets them itself.
            fmt = {"foregroundColor": dict(_LINK_COLOUR), "underline": True, **fmt}
        kept["format"] = _stored_format({"textFormat": fmt})["textFormat"] if fmt else {}
        stored.append(kept)
    return stored


_LINK_COLOUR = dict(_THEME_COLORS)["LINK"]
_PATTERNS = {"DATE": "yyyy-mm-dd", "DATE_TIME": "yyyy-mm-dd hh:mm:ss", "TIME": "hh:mm:ss"}
_TYPED_MASK: dict[str, Any] = {"effectiveValue": None, "effectiveFormat": {"numberFormat": {"type": None}}}


# --- field masks ---------------------------------------------------------------------------


def parse_fields(mask: str) -> dict[str, Any]:
    """`sheets(properties(title),data.rowData)` -> nested dict; None marks "everything below"."""
    pos = 0

    def parse_list() -> dict[str, Any]:
        nonlocal pos
        out: dict[str, Any] = {}
        while pos < len(mask):
            m = re.compile(r"\s*([A-Za-z_*][A-Za-z0-9_]*(?:[./][A-Za-z_*][A-Za-z0-9_]*)*)\s*").match(mask, pos)
            if not m:
                raise ApiFault(400, f"Invalid field selection {mask}")
            pos = m.end()
            path = re.split(r"[./]", m.group(1))
            sub: dict[str, Any] | None = None
            if pos < len(mask) and mask[pos] == "(":
                pos += 1
                sub = parse_list()
                if pos >= len(mask) or mask[pos] != ")":
                    raise ApiFault(400, f"Invalid field selection {mask}")
                pos += 1
            node = out
            for name in path[:-1]:
                nxt = node.get(name)
                if nxt is None and name in node:
                    break  # already selecting everything below
                node = node.setdefault(name, {})
            else:
                last = path[-1]
                if sub is None:
                    node[last] = None
                elif node.get(last, {}) is not None:
                    node.setdefault(last, {}).update(sub)
            if pos < len(mask) and mask[pos] == ",":
                pos += 1
                continue
            break
        return out

    result = parse_list()
    if pos != len(mask):
        raise ApiFault(400, f"Invalid field selection {mask}")
    return result


def _below(mask: dict[str, Any] | None, *path: str) -> dict[str, Any] | None:
    """The part of a parsed mask under `path`, when the mask narrows it; else None."""
    node: Any = mask
    for name in path:
        if not isinstance(node, dict) or "*" in node:
            return None
        node = node.get(name)
    return node if isinstance(node, dict) else None


def _selects(mask: dict[str, Any] | None, *path: str) -> bool:
    """Whether a parsed mask selects anything at `path` (or everything above it)."""
    node: Any = mask
    for name in path:
        if node is None:
            return True
        if not isinstance(node, dict):
            return False
        if "*" in node:
            return True
        if name not in node:
            return False
        node = node[name]
    return True


def apply_fields(value: Any, mask: dict[str, Any] | None) -> Any:
    if mask is None or "*" in mask:
        return value
    if isinstance(value, list):
        return [apply_fields(v, mask) for v in value]
    if isinstance(value, dict):
        kept = {k: apply_fields(v, mask[k]) for k, v in value.items() if k in mask}
        return {k: v for k, v in kept.items() if v != {}}  # Google leaves out empty messages
    return value


# --- the fake service ----------------------------------------------------------------------


@dataclass
class Request:
    """What a hook sees of the request about to be answered."""

    kind: str
    method: str
    url: str
    body: Any
    user: str = "anonymous"
    #: Bytes of the request body, and of the answer as it went over the wire (compressed or not).
    received_bytes: int = 0
    sent_bytes: int = 0
    #: How it was answered: the HTTP status, or 0 when the connection was reset instead.
    status: int = 0


@dataclass(frozen=True)
class Fault:
    """One injected failure.

    `how`: "json" (Google's JSON error body with `status`), "html" (the front end's HTML page
    with `status`), "reset" (the request is applied, then the connection drops before the
    answer), "truncated" (the answer breaks off mid-body), "bad_json" (200 with a body that is
    not JSON).
    """

    status: int = 429
    how: str = "json"
    message: str | None = None
    word: str | None = None  # the error's status word, e.g. FAILED_PRECONDITION
    details: tuple[dict[str, Any], ...] = ()  # e.g. an ErrorInfo with its reason


@dataclass
class _Answer:
    status: int
    body: bytes
    content_type: str = "application/json; charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # the connection resets instead of answering
    truncate: bool = False  # the body breaks off


class _RealClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)


_QUOTA_WORDS = {"read": ("Read requests", "ReadRequestsPerMinutePerUser", "read_requests"),
                "write": ("Write requests", "WriteRequestsPerMinutePerUser", "write_requests")}


def quota_fault(kind: str, limit: int) -> ApiFault:
    """Google's 429 for a per-user per-minute quota, body and details as Google sends them."""
    metric, name, metric_id = _QUOTA_WORDS[kind]
    return ApiFault(
        429,
        f"Quota exceeded for quota metric '{metric}' and limit '{metric} per minute per user' of service "
        "'sheets.googleapis.com' for consumer 'project_number:0'.",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "RATE_LIMIT_EXCEEDED",
                "domain": "googleapis.com",
                "metadata": {
                    "quota_location": "global", "quota_limit": name, "quota_limit_value": str(limit),
                    "consumer": "projects/0", "service": "sheets.googleapis.com",
                    "quota_metric": f"sheets.googleapis.com/{metric_id}",
                },
            },
            {
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [{"description": "Request a higher quota limit.",
                           "url": "https://cloud.google.com/docs/quota#requesting_higher_quota"}],
            },
        ],
    )


class FakeSheets:
    """The store plus the HTTP surface. One instance per test."""

    def __init__(self, *, seed: int = 1, clock: Any = None, latency: float = 0.0):
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.counts: Counter[str] = Counter()
        self.log: list[Request] = []
        self.clock = clock or _RealClock()
        #: Seconds each request takes, passed on the clock (only a clock with `advance` moves).
        self.latency = latency
        #: Bytes of every answer as sent (compressed when the client asked for gzip), and received.
        self.bytes_sent = 0
        self.bytes_received = 0
        self._failures: list[Fault] = []
        self._hooks: list[tuple[str | None, Callable[..., Any]]] = []
        self._people: list[Callable[..., Any]] = []
        self._quota: dict[str, int] = {}
        self._retry_after = False
        self._used: Counter[tuple[str, str, int]] = Counter()
        #: Requests answered 429 because a per-minute quota was used up (not injected failures).
        self.throttled = 0
        self._storm: tuple[float, tuple[Fault, ...], random.Random] | None = None
        self._lock = threading.RLock()
        # Spreadsheet ids differ between processes: sheetsync's machine-wide lock is named after
        # the sheet, so two test runs on one machine must not share ids.
        self._random = random.Random(f"{seed}-{os.getpid()}")
        #: Called as (spreadsheet id, user) after each write that succeeded (the Drive fake's feed).
        self.write_listeners: list[Callable[[str, str], None]] = []

    # -- setup
    def create_spreadsheet(self, title: str = "Untitled spreadsheet", sheets: Iterable[str] = ("Sheet1",),
                           *, spreadsheet_id: str | None = None, rows: int = 1000, cols: int = 26) -> str:
        # Google's keys start with "1"; one starting with "-" would read as an option on a
        # command line (`sheetsync sync -Yab...`), and ids now differ on every run.
        sid = spreadsheet_id or "1" + "".join(
            self._random.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
            for _ in range(43)
        )
        book = Spreadsheet(sid, title)
        for i, name in enumerate(sheets):
            book.sheets.append(Sheet(0 if i == 0 else self._new_sheet_id(book), name, rows, cols))
        self.spreadsheets[sid] = book
        return sid

    def delete_spreadsheet(self, spreadsheet_id: str) -> None:
        self.spreadsheets.pop(spreadsheet_id, None)

    def book(self, spreadsheet_id: str) -> Spreadsheet:
        return self.spreadsheets[spreadsheet_id]

    def sheet(self, spreadsheet_id: str, title: str) -> Sheet:
        return self.spreadsheets[spreadsheet_id].sheet(title)

    def add_sheet(self, spreadsheet_id: str, title: str, rows: int = 1000, cols: int = 26) -> Sheet:
        book = self.spreadsheets[spreadsheet_id]
        sheet = Sheet(self._new_sheet_id(book), title, rows, cols)
        book.sheets.append(sheet)
        return sheet

    # -- test controls
    def fail_next(self, n: int = 1, status: int = 429, message: str | None = None, *, how: str = "json",
                  word: str | None = None, details: Sequence[dict[str, Any]] | None = None) -> None:
        """Answer the next `n` requests with `status` (429, 500, 503, ...) instead of serving them.

        `message` (and `word`, `details`) replace Google's usual error body for that status;
        `how` picks the kind of failure (see `Fault`): "html", "reset", "truncated" or "bad_json".
        """
        self._failures.extend([Fault(status, how, message, word, tuple(details or ()))] * n)

    def on_next_request(self, action: Callable[..., Any], kind: str | None = None) -> None:
        """Run `action()` (or `action(request)`) just before the next request (of `kind`) is served."""
        self._hooks.append((kind, action))

    def between_requests(self, action: Callable[..., Any]) -> None:
        """Run `action()` (or `action(request)`) before every request, throttled or failed ones too."""
        self._people.append(action)

    def set_quota(self, reads: int | None = 60, writes: int | None = 60, *, retry_after: bool = False) -> None:
        """Per-user quotas per clock minute, as Google's defaults (60 reads, 60 writes); None = none.

        A request over quota gets Google's 429 body; with `retry_after` also a Retry-After header
        giving the seconds until the minute turns.
        """
        self._quota = {k: v for k, v in (("read", reads), ("write", writes)) if v is not None}
        self._retry_after = retry_after

    def spend(self, reads: int = 0, writes: int = 0, user: str = "anonymous") -> None:
        """Use up quota this minute as another program on the same account would."""
        minute = int(self.clock.now().timestamp() // 60)
        self._used[(user, "read", minute)] += reads
        self._used[(user, "write", minute)] += writes

    def storm(self, rate: float, faults: Sequence[Fault], *, seed: int = 7) -> None:
        """From now on, each request fails with probability `rate`, with one of `faults` at random."""
        self._storm = (rate, tuple(faults), random.Random(seed))

    def calm(self) -> None:
        """End a `storm` and the people's edits."""
        self._storm = None
        self._people.clear()

    @property
    def reads(self) -> int:
        return sum(n for k, n in self.counts.items() if k in READ_KINDS)

    @property
    def writes(self) -> int:
        return sum(n for k, n in self.counts.items() if k not in READ_KINDS)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def reset_counts(self) -> None:
        self.counts.clear()
        self.log.clear()
        self.bytes_sent = self.bytes_received = 0

    # -- wiring
    def mount(self, session: requests.Session) -> requests.Session:
        """Route the Sheets API to this fake and make every other URL fail loudly."""
        session.mount("https://", _Refuse())
        session.mount("http://", _Refuse())
        session.mount(SHEETS_HOST, _Adapter(self))
        return session

    def client(self) -> Any:
        """A real `gspread.Client` with anonymous credentials, talking to this fake."""
        import gspread
        from google.auth.credentials import AnonymousCredentials
        from google.auth.transport.requests import AuthorizedSession

        credentials = AnonymousCredentials()
        return gspread.Client(credentials, session=self.mount(AuthorizedSession(credentials)))

    # -- serving
    def handle(self, method: str, url: str, body: bytes | str | None) -> tuple[int, Any]:
        """Answer one request as (status, decoded body); faults that are not a status act as 200."""
        answer = self.serve(method, url, body)
        try:
            return answer.status, json.loads(answer.body)
        except ValueError:
            return answer.status, answer.body.decode("utf-8", "replace")

    def serve(self, method: str, url: str, body: bytes | str | None,
              headers: Any = None) -> _Answer:
        """Answer one request, faults and quotas included, as the wire would carry it."""
        with self._lock:
            logged = len(self.log)
            answer = self._serve(method, url, body, headers)
            if len(self.log) > logged:
                self.log[-1].status = 0 if answer.drop else answer.status
            return answer

    def _serve(self, method: str, url: str, body: bytes | str | None, headers: Any) -> _Answer:
        with self._lock:
            raw = body.encode("utf-8") if isinstance(body, str) else (body or b"")
            self.bytes_received += len(raw)
            if self.latency and hasattr(self.clock, "advance"):
                self.clock.advance(self.latency)
            parts = urlsplit(url)
            query = parse_qs(parts.query, keep_blank_values=True)
            try:
                kind, route = self._route(method, parts.path)
            except ApiFault as fault:
                return _json_answer(fault.status, fault.body())
            user = str((headers or {}).get("Authorization", "")) or "anonymous"
            request = Request(kind, method, url, None, user, len(raw))
            if len(raw) > PAYLOAD_LIMIT:
                self.counts[kind] += 1
                self.log.append(request)
                fault = ApiFault(400, f"Request payload size exceeds the limit: {PAYLOAD_LIMIT} bytes.")
                return _json_answer(400, fault.body())
            try:
                request.body = json.loads(raw) if raw else None
            except ValueError:
                return _json_answer(400, ApiFault(400, "Invalid JSON payload received.").body())
            self.counts[kind] += 1
            self.log.append(request)
            for person in list(self._people):
                _call_hook(person, request)
            for hook in [h for h in self._hooks if h[0] in (None, kind)][:1]:
                self._hooks.remove(hook)
                _call_hook(hook[1], request)
            fault = self._fault()
            if fault is not None and fault.how in ("json", "html"):
                return _fault_answer(fault)
            throttled = self._throttle(user, kind)
            if throttled is not None:
                return throttled
            try:
                answer = _json_answer(200, route(query, request.body))
            except ApiFault as error:
                return _json_answer(error.status, error.body())
            if kind not in READ_KINDS and self.write_listeners:
                written = re.match(r"/v4/spreadsheets/([^/:]+)", parts.path)
                for listener in list(self.write_listeners):
                    listener(unquote(written.group(1)) if written else "", user)
            if fault is not None:
                if fault.how == "reset":
                    answer.drop = True
                elif fault.how == "truncated":
                    answer.truncate = True
                elif fault.how == "bad_json":
                    answer.body = answer.body[: max(1, len(answer.body) // 2)]
            return answer

    def _fault(self) -> Fault | None:
        if self._failures:
            return self._failures.pop(0)
        if self._storm is not None:
            rate, faults, rng = self._storm
            if rng.random() < rate:
                return rng.choice(faults)
        return None

    def _throttle(self, user: str, kind: str) -> _Answer | None:
        which = "read" if kind in READ_KINDS else "write"
        limit = self._quota.get(which)
        if limit is None:
            return None
        seconds = self.clock.now().timestamp()
        minute = int(seconds // 60)
        if self._used[(user, which, minute)] >= limit:
            self.throttled += 1
            answer = _json_answer(429, quota_fault(which, limit).body())
            if self._retry_after:
                answer.headers["Retry-After"] = str(max(1, int((minute + 1) * 60 - seconds + 0.999)))
            return answer
        self._used[(user, which, minute)] += 1
        return None
    def _route(self, method: str, path: str) -> tuple[str, Callable[[dict[str, Any], Any], Any]]:
        m = re.fullmatch(r"/v4/spreadsheets/([^/:]+)(.*)", path)
        if not m:
            raise ApiFault(404, "Requested entity was not found.")
        sid, rest = unquote(m.group(1)), m.group(2)

        def on_book(fn: Callable[..., Any], *args: Any) -> Callable[[dict[str, Any], Any], Any]:
            def run(query: dict[str, Any], payload: Any) -> Any:
                book = self.spreadsheets.get(sid)
                if book is None:
                    raise ApiFault(404, "Requested entity was not found.")
                if not book.shared:
                    raise ApiFault(403, "The caller does not have permission")
                return fn(book, query, payload or {}, *args)

            return run

        fixed = {
            ("GET", ""): ("spreadsheets.get", self._get),
            ("POST", ":batchUpdate"): ("spreadsheets.batchUpdate", self._batch_update),
            ("POST", ":getByDataFilter"): ("spreadsheets.getByDataFilter", self._get_by_data_filter),
            ("GET", "/values:batchGet"): ("values.batchGet", self._values_batch_get),
            ("POST", "/values:batchGet"): ("values.batchGet", self._values_batch_get),
            ("POST", "/values:batchUpdate"): ("values.batchUpdate", self._values_batch_update),
            ("POST", "/values:batchClear"): ("values.batchClear", self._values_batch_clear),
        }
        if (method, rest) in fixed:
            kind, fn = fixed[(method, rest)]
            return kind, on_book(fn)
        m = re.fullmatch(r"/values/([^:]*)(?::(append|clear))?", rest)
        if m:
            rng = unquote(m.group(1))
            action = {("GET", None): ("values.get", self._values_get),
                      ("PUT", None): ("values.update", self._values_update),
                      ("POST", "append"): ("values.append", self._values_append),
                      ("POST", "clear"): ("values.clear", self._values_clear)}.get((method, m.group(2)))
            if action:
                return action[0], on_book(action[1], rng)
        raise ApiFault(404, "Requested entity was not found.")

    # -- spreadsheets.get
    def _get(self, book: Spreadsheet, query: dict[str, Any], _: Any, spans: list[Any] | None = None) -> Any:
        include = _flag(query, "includeGridData")
        mask = parse_fields(query["fields"][0]) if "fields" in query else None
        # Cells are masked as they are built (the bulk of a large answer), the rest at the end.
        cell_mask = _below(mask, "sheets", "data", "rowData", "values")
        if spans is None:
            spans = query.get("ranges", [])
        spans = [book.resolve(r) if isinstance(r, str) else r for r in spans]
        sheets = []
        for index, sheet in enumerate(book.sheets):
            mine = [s for s in spans if s.sheet is sheet]
            if spans and not mine:
                continue  # only the parts that intersect the requested ranges
            entry: dict[str, Any] = {"properties": sheet.properties(index)}
            # With a field mask includeGridData is ignored: the mask alone says whether data comes.
            wants_data = include if mask is None else _selects(mask, "sheets", "data")
            if wants_data:
                spans_here = mine or [Span(sheet, 1, 1, None, None)]
                used = sheet.used()
                entry["data"] = [self._grid_data(sheet, s, cell_mask, used) for s in spans_here]
            if sheet.conditional_formats:
                entry["conditionalFormats"] = copy.deepcopy(sheet.conditional_formats)
            if sheet.protected_ranges:
                entry["protectedRanges"] = copy.deepcopy(sheet.protected_ranges)
            if sheet.merges:
                entry["merges"] = [
                    {**({"sheetId": sheet.sheet_id} if sheet.sheet_id else {}), "startRowIndex": a, "endRowIndex": b,
                     "startColumnIndex": c, "endColumnIndex": d}
                    for a, b, c, d in sheet.merges
                ]
            sheets.append(entry)
        answer = {
            "spreadsheetId": book.spreadsheet_id,
            "properties": {
                "title": book.title,
                "locale": book.locale,
                "autoRecalc": "ON_CHANGE",
                "timeZone": book.time_zone,
                "defaultFormat": copy.deepcopy(_DEFAULT_FORMAT),
                "spreadsheetTheme": copy.deepcopy(_THEME),
            },
            "sheets": sheets,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{book.spreadsheet_id}/edit",
        }
        if mask is not None:
            if cell_mask:
                mask["sheets"]["data"]["rowData"]["values"] = None  # already masked
            answer = apply_fields(answer, mask)
        return answer

    def _get_by_data_filter(self, book: Spreadsheet, query: dict[str, Any], payload: Any) -> Any:
        """spreadsheets.getByDataFilter with `gridRange` and `a1Range` filters: spreadsheets.get by ranges."""
        ranges = []
        for i, entry in enumerate(payload.get("dataFilters", [])):
            if "a1Range" in entry:
                ranges.append(entry["a1Range"])
                continue
            grid = entry.get("gridRange")
            if grid is None:
                raise ApiFault(400, f"Invalid dataFilters[{i}]: only gridRange and a1Range are supported by this fake")
            sheet = book.sheet_by_id(grid.get("sheetId", 0))
            r1, r2 = int(grid.get("startRowIndex", 0)) + 1, grid.get("endRowIndex")
            c1, c2 = int(grid.get("startColumnIndex", 0)) + 1, grid.get("endColumnIndex")
            ranges.append(Span(sheet, r1, c1, None if r2 is None else int(r2), None if c2 is None else int(c2)))
        options = dict(query)
        if payload.get("includeGridData"):
            options["includeGridData"] = ["true"]
        return self._get(book, options, None, spans=ranges)

    def _grid_data(self, sheet: Sheet, span: Span, cell_mask: dict[str, Any] | None = None,
                   used: tuple[int, int] | None = None) -> dict[str, Any]:
        r1, c1, r2, c2 = span.clipped()
        used_rows, used_cols = used or sheet.used()
        if sheet.extras:
            used_rows = max(used_rows, max(r for r, _ in sheet.extras) + 1)
            used_cols = max(used_cols, max(c for _, c in sheet.extras) + 1)
        last_row, last_col = min(r2, used_rows), min(c2, used_cols)
        rows = []
        for r in range(r1 - 1, last_row):
            values = [
                _cell_data(sheet.cells.get((r, c), Cell()), cell_mask, sheet.extras.get((r, c)))
                for c in range(c1 - 1, last_col)
            ]
            while values and not values[-1]:
                values.pop()
            rows.append({"values": values} if values else {})
        data: dict[str, Any] = {}
        if r1 > 1:
            data["startRow"] = r1 - 1
        if c1 > 1:
            data["startColumn"] = c1 - 1
        if rows:
            data["rowData"] = rows
        data["rowMetadata"] = [{"pixelSize": 21, **sheet.row_props.get(i - 1, {})} for i in range(r1, r2 + 1)]
        data["columnMetadata"] = [{"pixelSize": 100, **sheet.column_props.get(i - 1, {})} for i in range(c1, c2 + 1)]
        return data

    # -- spreadsheets.batchUpdate
    def _batch_update(self, book: Spreadsheet, _: dict[str, Any], payload: Any) -> Any:
        saved = _snapshot(book)
        replies = []
        try:
            for i, request in enumerate(payload.get("requests", [])):
                if len(request) != 1:
                    raise ApiFault(400, f"Invalid requests[{i}]: exactly one kind of request is allowed")
                (name, body), = request.items()
                replies.append(self._one_update(book, i, name, body))
        except ApiFault:
            _restore(book, saved)  # all or nothing, as Google does
            raise
        return {"spreadsheetId": book.spreadsheet_id, "replies": replies}

    def _one_update(self, book: Spreadsheet, i: int, name: str, body: dict[str, Any]) -> dict[str, Any]:
        if name == "addSheet":
            props = body.get("properties", {})
            title = props.get("title") or f"Sheet{len(book.sheets) + 1}"
            if any(s.title == title for s in book.sheets):
                raise ApiFault(
                    400,
                    f"Invalid requests[{i}].addSheet: A sheet with the name \"{title}\" already exists. "
                    "Please enter another name.",
                )
            grid = props.get("gridProperties", {})
            sheet_id = props.get("sheetId", self._new_sheet_id(book))
            sheet = Sheet(sheet_id, title, grid.get("rowCount", 1000), grid.get("columnCount", 26))
            sheet.hidden = bool(props.get("hidden", False))
            index = props.get("index", len(book.sheets))
            book.sheets.insert(index, sheet)
            return {"addSheet": {"properties": book.sheets[index].properties(index)}}
        if name == "deleteSheet":
            sheet = book.sheet_by_id(body.get("sheetId"))
            if len(book.sheets) == 1:
                raise ApiFault(
                    400, f"Invalid requests[{i}].deleteSheet: You can't remove all the sheets in a document."
                )
            book.sheets.remove(sheet)
            return {}
        if name == "appendDimension":
            sheet = book.sheet_by_id(body.get("sheetId"))
            length = int(body.get("length", 0))
            if length < 1:
                raise ApiFault(400, f"Invalid requests[{i}].appendDimension: length must be at least 1")
            if body.get("dimension") == "COLUMNS":
                sheet.cols += length
            else:
                sheet.rows += length
            return {}
        if name == "updateSheetProperties":
            props = body.get("properties", {})
            sheet = book.sheet_by_id(props.get("sheetId", 0))
            fields = [f.strip() for f in body.get("fields", "").split(",") if f.strip()]
            grid = props.get("gridProperties", {})
            for f in fields:
                if f == "title":
                    sheet.title = props["title"]
                elif f.replace(".", "/") in ("gridProperties/frozenRowCount", "gridProperties/frozenColumnCount"):
                    key = f.replace(".", "/").split("/")[1]
                    sheet.grid_extra[key] = int(grid.get(key, 0))
                elif f in ("tabColor", "tabColorStyle"):
                    color = props.get("tabColor") or props.get("tabColorStyle", {}).get("rgbColor")
                    sheet.tab_color = _color(color) if color else None
                elif f in ("gridProperties/rowCount", "gridProperties.rowCount"):
                    sheet.rows = int(grid["rowCount"])
                    sheet.cells = {k: v for k, v in sheet.cells.items() if k[0] < sheet.rows}
                elif f in ("gridProperties/columnCount", "gridProperties.columnCount"):
                    sheet.cols = int(grid["columnCount"])
                    sheet.cells = {k: v for k, v in sheet.cells.items() if k[1] < sheet.cols}
            return {}
        if name in ("insertDimension", "deleteDimension"):
            rng = body.get("range", {})
            sheet = book.sheet_by_id(rng.get("sheetId"))
            start, end = int(rng.get("startIndex", 0)), int(rng.get("endIndex", 0))
            if rng.get("dimension") != "ROWS":
                raise ApiFault(400, f"Invalid requests[{i}].{name}: only ROWS are supported by this fake")
            for _ in range(end - start):
                if name == "insertDimension":
                    sheet.insert_row(start + 1)
                else:
                    sheet.delete_row(start + 1)
            return {}
        if name == "mergeCells":
            rng = body.get("range", {})
            sheet = book.sheet_by_id(rng.get("sheetId"))
            first = (rng["startRowIndex"] + 1, rng["startColumnIndex"] + 1)
            sheet.merge(*first, rng["endRowIndex"], rng["endColumnIndex"])
            return {}
        if name == "updateSpreadsheetProperties":
            props = body.get("properties", {})
            for f in (f.strip() for f in body.get("fields", "").split(",")):
                if f == "locale":
                    book.locale = props.get("locale", "en_US")
                elif f == "timeZone":
                    book.time_zone = props.get("timeZone", "Etc/GMT")
                elif f == "title":
                    book.title = props.get("title", book.title)
            return {}
        if name in _STORED_REQUESTS:
            return getattr(self, "_" + name)(book, i, body)
        if name in _FORMATTING_REQUESTS or name == "unmergeCells":
            return {}
        raise ApiFault(
            400,
            f"Invalid JSON payload received. Unknown name \"{name}\" at 'requests[{i}]': Cannot find field.",
        )

    # -- formatting requests, stored as Google keeps them
    @staticmethod
    def _cells_of(book: Spreadsheet, rng: dict[str, Any]) -> tuple[Sheet, range, range]:
        sheet = book.sheet_by_id(rng.get("sheetId", 0))
        rows = range(int(rng.get("startRowIndex", 0)), int(rng.get("endRowIndex", sheet.rows)))
        cols = range(int(rng.get("startColumnIndex", 0)), int(rng.get("endColumnIndex", sheet.cols)))
        if rows.stop > sheet.rows or cols.stop > sheet.cols:
            raise ApiFault(
                400, f"Invalid requests: range ({rows.stop} rows, {cols.stop} columns) exceeds grid limits. "
                f"Max rows: {sheet.rows}, max columns: {sheet.cols}"
            )
        return sheet, rows, cols

    @staticmethod
    def _set_fields(sheet: Sheet, r: int, c: int, data: dict[str, Any], fields: str,
                    mask: dict[str, Any] | None = None) -> None:
        """Copy the `fields` of CellData `data` into cell (r, c), 0-based; a field absent from data clears it.

        `mask`: `fields` already parsed (a request over many cells parses it once).
        """
        if mask is None:
            mask = parse_fields(fields) if fields.strip() != "*" else {"*": None}
        extra = dict(sheet.extras.get((r, c), {}))
        everything = "*" in mask
        for name in ("note", "dataValidation", "textFormatRuns", "userEnteredFormat"):
            if not everything and name not in mask:
                continue
            sub = None if everything else mask[name]
            if name == "userEnteredFormat" and sub:
                extra[name] = _stored_format(_merged(extra.get(name, {}), apply_fields(data.get(name, {}), sub)))
                for key in sub:  # a named field missing from the data is reset
                    if key not in data.get(name, {}):
                        extra[name].pop(key, None)
            elif name in data:
                value = data[name]
                extra[name] = _stored_format(value) if name == "userEnteredFormat" else copy.deepcopy(value)
            else:
                extra.pop(name, None)
        if everything or "userEnteredValue" in mask:
            value = data.get("userEnteredValue")
            if not everything and "textFormatRuns" not in mask:
                extra.pop("textFormatRuns", None)  # a new value erases the old runs
            if value is None:
                sheet.cells.pop((r, c), None)
            elif "formulaValue" in value:
                sheet.cells[(r, c)] = parse_user_entered(value["formulaValue"])
            else:
                (kind, v), = value.items()
                if kind == "stringValue" and isinstance(v, str) and utf16_length(v) > CELL_LIMIT:
                    raise ApiFault(400, f"Your input contains more than the maximum of {CELL_LIMIT} characters in a single cell.")
                sheet.cells[(r, c)] = _raw_cell(v)
        extra.pop("hyperlink", None)
        if extra.get("textFormatRuns"):
            extra["textFormatRuns"] = _stored_runs(sheet.cells.get((r, c), Cell()), extra["textFormatRuns"], r, c)
            links = {run["format"]["link"]["uri"] for run in extra["textFormatRuns"] if "link" in run.get("format", {})}
            if len(links) == 1:
                extra["hyperlink"] = links.pop()  # read-only: the cell's one link, empty for several
        extra = {k: v for k, v in extra.items() if v not in ({}, None, [], "")}
        if extra:
            sheet.extras[(r, c)] = extra
        else:
            sheet.extras.pop((r, c), None)

    def _repeatCell(self, book: Spreadsheet, i: int, body: dict[str, Any]) -> dict[str, Any]:
        sheet, rows, cols = self._cells_of(book, body.get("range", {}))
        fields = body.get("fields", "")
        mask = parse_fields(fields) if fields.strip() != "*" else {"*": None}
        for r in rows:
            for c in cols:
                self._set_fields(sheet, r, c, body.get("cell", {}), fields, mask)
        return {}

    def _updateCells(self, book: Spreadsheet, i: int, body: dict[str, Any]) -> dict[str, Any]:
        if "start" in body:
            start = body["start"]
            sheet = book.sheet_by_id(start.get("sheetId", 0))
            r0, c0 = int(start.get("rowIndex", 0)), int(start.get("columnIndex", 0))
        else:
            sheet, rows, cols = self._cells_of(book, body.get("range", {}))
            r0, c0 = rows.start, cols.start
        for dr, row in enumerate(body.get("rows", [])):
            for dc, data in enumerate(row.get("values", [])):
                if r0 + dr >= sheet.rows or c0 + dc >= sheet.cols:
                    raise ApiFault(400, f"Invalid requests[{i}].updateCells: the data exceeds the grid")
                self._set_fields(sheet, r0 + dr, c0 + dc, data, body.get("fields", ""))
        return {}

    def _setDataValidation(self, book: Spreadsheet, i: int, body: dict[str, Any]) -> dict[str, Any]:
        sheet, rows, cols = self._cells_of(book, body.get("range", {}))
        rule = body.get("rule")
        mask = parse_fields("dataValidation")
        for r in rows:
            for c in cols:
                self._set_fields(sheet, r, c, {"dataValidation": rule} if rule else {}, "dataValidation", mask)
        return {}

    def _addConditionalFormatRule(self, book: Spreadsheet, i: int, body: dict[str, Any]) -> dict[str, Any]:
        rule = copy.deepcopy(body.get("rule", {}))
        ranges = rule.get("ranges") or []
        if not ranges or not ("booleanRule" in rule or "gradientRule" in rule):
            raise ApiFault(400, f"Invalid requests[{i}].addConditionalFormatRule: rule needs ranges and a booleanRule or gradientRule")
        sheet = book.sheet_by_id(ranges[0].get("sheetId", 0))
        for rng in ranges:
            if not rng.get("sheetId"):
                rng.pop("sheetId", None)  # Google leaves out a zero
        index = int(body.get("index", 0))
        sheet.conditional_formats.insert(index, rule)
        return {}

    def _deleteConditionalFormatRule(self, book: Spreadsheet, i: int, body: dict[str, Any]) -> dict[str, Any]:
        sheet = book.sheet_by_id(body.get("sheetId", 0))
        index = int(body.get("index", 0))
        if not 0 <= index < len(sheet.conditional_formats):
            raise ApiFault(400, f"Invalid requests[{i}].deleteConditionalFormatRule: No conditional format on sheet: {sheet.sheet_id} at index: {index}")
        return {"deleteConditionalFormatRule": {"rule": sheet.conditional_formats.pop(index)}}

    def _updateDimensionProperties(self, book: Spreadsheet, i: int, body: dict[str, Any]) -> dict[str, Any]:
        rng = body.get("range", {})
        sheet = book.sheet_by_id(rng.get("sheetId", 0))
        store = sheet.column_props if rng.get("dimension") == "COLUMNS" else sheet.row_props
        fields = [f.strip() for f in body.get("fields", "").split(",") if f.strip()]
        props = body.get("properties", {})
        for index in range(int(rng.get("startIndex", 0)), int(rng.get("endIndex", 0))):
            current = store.setdefault(index, {})
            for f in fields:
                if f in props:
                    current[f] = props[f]
                else:
                    current.pop(f, None)
        return {}

    def _addProtectedRange(self, book: Spreadsheet, i: int, body: dict[str, Any]) -> dict[str, Any]:
        given = copy.deepcopy(body.get("protectedRange", {}))
        rng = given.get("range", {})
        sheet = book.sheet_by_id(rng.get("sheetId", 0))
        if not rng.get("sheetId"):
            rng.pop("sheetId", None)
        stored: dict[str, Any] = {"protectedRangeId": self._new_sheet_id(book), "range": rng}
        for key in ("description", "warningOnly"):
            if given.get(key) not in (None, False, ""):
                stored[key] = given[key]
        stored["requestingUserCanEdit"] = True
        stored["editors"] = {"users": [OWNER]}
        sheet.protected_ranges.append(stored)
        # The answer names no editors for a warning-only range; a later read names the owner.
        answer = copy.deepcopy(stored)
        if given.get("warningOnly"):
            answer["editors"] = {}
        return {"addProtectedRange": {"protectedRange": answer}}

    def _updateProtectedRange(self, book: Spreadsheet, i: int, body: dict[str, Any]) -> dict[str, Any]:
        given = body.get("protectedRange", {})
        wanted = given.get("protectedRangeId")
        found = [(sheet, p) for sheet in book.sheets for p in sheet.protected_ranges if p["protectedRangeId"] == wanted]
        if not found:
            raise ApiFault(400, f"Invalid requests[{i}].updateProtectedRange: No protected range with id: {wanted}")
        sheet, stored = found[0]
        fields = [f.strip() for f in body.get("fields", "").split(",") if f.strip()]
        if not fields:
            raise ApiFault(400, f"Invalid requests[{i}].updateProtectedRange: 'fields' is required")
        for f in fields:
            if f == "range":
                rng = copy.deepcopy(given.get("range", {}))
                target = book.sheet_by_id(rng.get("sheetId", 0))
                if target is not sheet:
                    sheet.protected_ranges.remove(stored)
                    target.protected_ranges.append(stored)
                if not rng.get("sheetId"):
                    rng.pop("sheetId", None)
                stored["range"] = rng
            elif f in ("description", "warningOnly"):
                if given.get(f) in (None, False, ""):
                    stored.pop(f, None)
                else:
                    stored[f] = given[f]
            else:
                raise ApiFault(400, f"Invalid requests[{i}].updateProtectedRange: unsupported field {f!r} in this fake")
        return {}

    @staticmethod
    def _new_sheet_id(book: Spreadsheet) -> int:
        taken = {s.sheet_id for s in book.sheets}
        candidate = 1
        while True:
            candidate = (candidate * 1103515245 + 12345 + len(taken)) % 2_000_000_000
            if candidate and candidate not in taken:
                return candidate

    # -- values
    def _value_range(self, span: Span, query: dict[str, Any]) -> dict[str, Any]:
        value_option = _one(query, "valueRenderOption", "FORMATTED_VALUE")
        date_option = _one(query, "dateTimeRenderOption", "SERIAL_NUMBER")
        major = _one(query, "majorDimension", "ROWS")
        if span.r2 is not None or span.c2 is not None:
            _grid_check(span)
        r1, c1, r2, c2 = span.clipped()
        used_rows, used_cols = span.sheet.used()
        grid: list[list[Any]] = []
        for r in range(r1 - 1, min(r2, used_rows)):
            row = []
            for c in range(c1 - 1, min(c2, used_cols)):
                cell = span.sheet.cells.get((r, c))
                row.append("" if cell is None or cell.is_empty() else _render(cell, value_option, date_option))
            grid.append(row)
        if major == "COLUMNS":
            width = max((len(r) for r in grid), default=0)
            grid = [[r[j] if j < len(r) else "" for r in grid] for j in range(width)]
        for row in grid:
            while row and row[-1] in ("", None):
                row.pop()
        while grid and not grid[-1]:
            grid.pop()
        answer: dict[str, Any] = {"range": span.a1(), "majorDimension": major}
        if grid:
            answer["values"] = grid
        return answer

    def _values_get(self, book: Spreadsheet, query: dict[str, Any], _: Any, rng: str) -> Any:
        return self._value_range(book.resolve(rng), query)

    def _values_batch_get(self, book: Spreadsheet, query: dict[str, Any], payload: Any) -> Any:
        ranges = query.get("ranges") or payload.get("ranges", [])
        options = {**query, **{k: [v] for k, v in payload.items() if k != "ranges"}}
        spans = [book.resolve(r) for r in ranges]
        return {"spreadsheetId": book.spreadsheet_id, "valueRanges": [self._value_range(s, options) for s in spans]}

    def _write(self, book: Spreadsheet, rng: str, values: list[list[Any]], input_option: str,
               major: str = "ROWS") -> dict[str, Any]:
        if input_option not in ("RAW", "USER_ENTERED"):
            raise ApiFault(400, "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
        span = book.resolve(rng)
        if major == "COLUMNS":
            width = max((len(r) for r in values), default=0)
            values = [[col[i] if i < len(col) else None for col in values] for i in range(width)]
        nrows, ncols = len(values), max((len(r) for r in values), default=0)
        if not span.single and span.r2 is not None and span.r1 + nrows - 1 > span.r2:
            last_row = span.r1 + nrows - 1
            raise ApiFault(400, f"Requested writing within range [{rng}], but tried writing to row [{last_row}]")
        if not span.single and span.c2 is not None and span.c1 + ncols - 1 > span.c2:
            raise ApiFault(
                400,
                f"Requested writing within range [{rng}], but tried writing to column "
                f"[{column_letters(span.c1 + ncols - 1)}]",
            )
        _grid_check(Span(span.sheet, span.r1, span.c1, span.r1, span.c1), rows=nrows, cols=ncols)
        cells = 0
        for i, row in enumerate(values):
            for j, value in enumerate(row):
                cells += 1
                if value is not None:
                    span.sheet._put(span.r1 - 1 + i, span.c1 - 1 + j, value, input_option == "USER_ENTERED")
        answer: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id}
        if nrows:
            written = Span(span.sheet, span.r1, span.c1, span.r1 + nrows - 1, span.c1 + max(ncols, 1) - 1)
            answer.update(updatedRange=written.a1(), updatedRows=nrows, updatedColumns=ncols, updatedCells=cells)
        else:
            answer["updatedRange"] = span.a1()
        return answer

    def _values_update(self, book: Spreadsheet, query: dict[str, Any], payload: Any, rng: str) -> Any:
        values = payload.get("values", [])
        if not isinstance(values, list):
            message = f"Invalid value at 'data.values' (type.googleapis.com/google.protobuf.ListValue), {json.dumps(values)}"
            raise ApiFault(400, message)
        answer = self._write(book, rng, payload.get("values", []), _one(query, "valueInputOption", ""),
                             payload.get("majorDimension", "ROWS"))
        if _flag(query, "includeValuesInResponse") and "updatedRows" in answer:
            answer["updatedData"] = self._value_range(book.resolve(answer["updatedRange"]), query)
        return answer

    def _values_batch_update(self, book: Spreadsheet, _: dict[str, Any], payload: Any) -> Any:
        option = payload.get("valueInputOption", "")
        saved = _snapshot(book)
        responses = []
        try:
            # Google validates every range before writing any; check all, then write.
            for entry in payload.get("data", []):
                book.resolve(entry.get("range", ""))
            for entry in payload.get("data", []):
                responses.append(self._write(book, entry["range"], entry.get("values", []), option,
                                             entry.get("majorDimension", "ROWS")))
        except ApiFault:
            _restore(book, saved)
            raise
        updated = [r for r in responses if "updatedRows" in r]
        answer: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id}
        if updated:
            answer.update(
                totalUpdatedRows=sum(r["updatedRows"] for r in updated),
                totalUpdatedColumns=max(r["updatedColumns"] for r in updated),
                totalUpdatedCells=sum(r["updatedCells"] for r in updated),
                totalUpdatedSheets=len({r["updatedRange"].rpartition("!")[0] for r in updated}),
            )
        answer["responses"] = responses
        return answer

    def _values_append(self, book: Spreadsheet, query: dict[str, Any], payload: Any, rng: str) -> Any:
        span = book.resolve(rng)
        values = payload.get("values", [])
        used_rows, _ = span.sheet.used()
        start = max(used_rows + 1, span.r1)
        need = start - 1 + len(values)
        if _one(query, "insertDataOption", "OVERWRITE") == "INSERT_ROWS" or need > span.sheet.rows:
            span.sheet.rows = max(span.sheet.rows, need)
        target = Span(span.sheet, start, span.c1, None, None)
        update = self._write(book, target.a1().split(":")[0], values, _one(query, "valueInputOption", ""))
        table = Span(span.sheet, 1, span.c1, used_rows or 1, span.c1 + max(len(v) for v in values or [[0]]) - 1)
        return {"spreadsheetId": book.spreadsheet_id, "tableRange": table.a1(), "updates": update} if used_rows \
            else {"spreadsheetId": book.spreadsheet_id, "updates": update}

    def _clear(self, span: Span) -> str:
        r1, c1, r2, c2 = span.clipped()
        for key in [k for k in span.sheet.cells if r1 - 1 <= k[0] < r2 and c1 - 1 <= k[1] < c2]:
            cell = span.sheet.cells[key]
            if cell.number_format:  # clearing values keeps formats, as Google does
                span.sheet.cells[key] = Cell(number_format=cell.number_format)
            else:
                del span.sheet.cells[key]
        return span.a1()

    def _values_clear(self, book: Spreadsheet, _: dict[str, Any], __: Any, rng: str) -> Any:
        return {"spreadsheetId": book.spreadsheet_id, "clearedRange": self._clear(book.resolve(rng))}

    def _values_batch_clear(self, book: Spreadsheet, _: dict[str, Any], payload: Any) -> Any:
        spans = [book.resolve(r) for r in payload.get("ranges", [])]
        return {"spreadsheetId": book.spreadsheet_id, "clearedRanges": [self._clear(s) for s in spans]}


def _one(query: dict[str, Any], name: str, default: str) -> str:
    values = query.get(name)
    return str(values[0]) if values else default


def _flag(query: dict[str, Any], name: str) -> bool:
    return _one(query, name, "false").lower() == "true"


def _call_hook(action: Callable[..., Any], request: Request) -> None:
    try:
        takes_request = bool(inspect.signature(action).parameters)
    except (TypeError, ValueError):
        takes_request = False
    action(request) if takes_request else action()


_LAYOUT = ("extras", "grid_extra", "tab_color", "column_props", "row_props", "conditional_formats", "protected_ranges")
_SheetState = tuple[Sheet, str, int, int, dict[tuple[int, int], Cell], list[tuple[int, int, int, int]], dict[str, Any]]
_Snapshot = tuple[list[Sheet], list[_SheetState]]


def _snapshot(book: Spreadsheet) -> _Snapshot:
    """Enough state to undo a failed batch; cells are replaced, never mutated, so a dict copy will do."""
    return list(book.sheets), [
        (s, s.title, s.rows, s.cols, dict(s.cells), list(s.merges), {k: copy.deepcopy(getattr(s, k)) for k in _LAYOUT})
        for s in book.sheets
    ]


def _restore(book: Spreadsheet, saved: _Snapshot) -> None:
    sheets, states = saved
    book.sheets[:] = sheets
    for sheet, title, rows, cols, cells, merges, layout in states:
        sheet.title, sheet.rows, sheet.cols, sheet.cells, sheet.merges = title, rows, cols, cells, merges
        for k, v in layout.items():
            setattr(sheet, k, v)


def _json_answer(status: int, body: Any) -> _Answer:
    return _Answer(status, json.dumps(body, ensure_ascii=False).encode("utf-8"))


def _fault_answer(fault: Fault) -> _Answer:
    if fault.how == "html":
        reason, words = _HTML_WORDS.get(fault.status, ("Error", "Something went wrong."))
        page = _HTML_PAGE.format(status=fault.status, reason=reason, words=words)
        return _Answer(fault.status, page.encode("utf-8"), content_type="text/html; charset=UTF-8")
    message = fault.message or _FAILURE_MESSAGE.get(fault.status, "Error")
    if fault.status == 429 and fault.message is None:
        return _json_answer(429, quota_fault("read", 60).body())
    return _json_answer(fault.status, ApiFault(fault.status, message, word=fault.word,
                                               details=list(fault.details)).body())


class _Body(io.BytesIO):
    """A response body that, when `truncate` is set, breaks off halfway as a dropped connection does."""

    def __init__(self, data: bytes, truncate: bool):
        super().__init__(data)
        self._stop = len(data) // 2 if truncate else None

    def read(self, size: int | None = -1) -> bytes:  # type: ignore[override]
        if self._stop is not None and self.tell() >= self._stop:
            raise ProtocolError("Connection broken: IncompleteRead", ConnectionResetError(104, "Connection reset by peer"))
        if self._stop is not None:
            size = self._stop - self.tell() if size is None or size < 0 else min(size, self._stop - self.tell())
        return super().read(size)


class _Adapter(BaseAdapter):
    def __init__(self, fake: FakeSheets):
        super().__init__()
        self.fake = fake

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        answer = self.fake.serve(request.method or "GET", request.url or "", request.body, request.headers)
        if answer.drop:
            reset = ConnectionResetError(104, "Connection reset by peer")
            raise requests.ConnectionError(ProtocolError("Connection aborted.", reset), request=request)
        # Google compresses only for a client whose User-Agent contains "gzip" (and that accepts it).
        agent = request.headers.get("User-Agent", "")
        accepts = request.headers.get("Accept-Encoding", "")
        headers = {"Content-Type": answer.content_type, "Vary": "Origin, X-Origin, Referer", **answer.headers}
        wire = answer.body
        if "gzip" in agent and "gzip" in accepts:
            wire = gzip.compress(answer.body, compresslevel=6, mtime=0)
            headers["Content-Encoding"] = "gzip"
        headers["Content-Length"] = str(len(wire))
        with self.fake._lock:
            self.fake.bytes_sent += len(wire)
            if self.fake.log:
                self.fake.log[-1].sent_bytes = len(wire)
        reason = _REASONS.get(answer.status, "Error")
        raw = HTTPResponse(body=_Body(wire, answer.truncate), headers=headers, status=answer.status, reason=reason,
                           preload_content=False, decode_content=True)
        response = requests.Response()
        response.status_code = answer.status
        response.reason = reason
        response.headers = requests.structures.CaseInsensitiveDict(headers)
        response.raw = raw
        response.encoding = "utf-8"
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass


class _Refuse(BaseAdapter):
    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        host = urlsplit(request.url or "").netloc
        raise UnexpectedRequest(f"the fake Sheets API refuses a request to {host}: tests never leave the machine")

    def close(self) -> None:
        pass
