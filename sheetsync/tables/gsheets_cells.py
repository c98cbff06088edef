"""Cells as a Google Sheets write sends them: plain text, text links, date-times. Pure: no I/O.

Most cells are plain text and go through `values.batchUpdate` (valueInputOption=RAW). Two kinds
need more than a value and go as `updateCells` in one `spreadsheets.batchUpdate` instead:

- result URLs, one per line, each a text link run (`textFormatRuns` with `format.link.uri`):
  clickable without a HYPERLINK formula, the value still a literal `stringValue`;
- times sheetsync writes ("2026-12-01T09:05Z", UTC), stored as a serial number in the
  spreadsheet's own time zone with a DATE_TIME format, so the sheet shows its local time and
  can sort and filter by it. Reading turns the cell back into the same UTC text.

A write is sent in one form or the other as a whole, so it stays one request per body.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .base import column_letters

TEXT, LINKS, TIME = "text", "links", "time"
#: How a time sheetsync writes shows in a Google cell: the spreadsheet's local time.
DATE_TIME_FORMAT = {"type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm"}
_EPOCH = dt.datetime(1899, 12, 30)  # Sheets' day 0 for serial dates
_UTC_MINUTE = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)Z\Z")
_HTTP = re.compile(r"https?://\S+\Z", re.IGNORECASE)


def zone_of(name: str | None) -> dt.tzinfo | None:
    """The spreadsheet's `properties.timeZone` as a tzinfo; None when unknown here."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def serial_of(text: str, zone: dt.tzinfo | None) -> float | None:
    """A UTC minute as sheetsync writes it, as a serial in `zone`; None to keep it as text.

    None too for a wall time that `zone` shows twice (the hour a DST change repeats): the
    serial could not say which of the two it was, so the exact text is written instead.
    """
    m = _UTC_MINUTE.match(text)
    if m is None or zone is None:
        return None
    try:
        moment = dt.datetime(*(int(g) for g in m.groups()), tzinfo=dt.timezone.utc)
    except ValueError:
        return None
    local = moment.astimezone(zone)
    wall = local.replace(tzinfo=None)
    if wall.replace(tzinfo=zone, fold=1 - local.fold).utcoffset() != local.utcoffset():
        return None  # ambiguous in this zone
    minutes = (wall - _EPOCH) // dt.timedelta(minutes=1)
    return minutes / 1440


def moment_of(serial: float, zone: dt.tzinfo) -> dt.datetime:
    """A DATE_TIME serial of a sheet in `zone` as an aware moment (to the millisecond)."""
    wall = _EPOCH + dt.timedelta(milliseconds=round(float(serial) * 86_400_000))
    return wall.replace(tzinfo=zone)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def link_runs(text: str) -> list[dict[str, Any]] | None:
    """One link run per line when every line is an http(s) URL; None otherwise (plain text).

    Only http(s) is ever linked: a result URL comes from a server and must not become a
    `javascript:` link. Offsets are UTF-16 code units, as Google counts them. The link alone is
    sent: Google gives linked text its link colour and underline itself.
    """
    lines = text.split("\n")
    if not text or not all(_HTTP.match(line) for line in lines):
        return None
    runs, start = [], 0
    for line in lines:
        runs.append({"startIndex": start, "format": {"link": {"uri": line}}})
        start += utf16_length(line) + 1
    return runs


def cell_data(value: str | int | float, kind: str, zone: dt.tzinfo | None, dated: bool = False) -> dict[str, Any]:
    """The CellData an `updateCells` writes for `value` in a column of `kind`.

    `dated`: the cell has a DATE_TIME format already, so a time sends its value alone.
    """
    if isinstance(value, (int, float)):  # a number cell of a tab sheetsync owns (`Tab.numbers`)
        return {"userEnteredValue": {"numberValue": value}}
    if not value:
        return {}  # with the fields named, an absent value clears the cell
    if kind == TIME:
        serial = serial_of(value, zone)
        if serial is not None and dated:
            return {"userEnteredValue": {"numberValue": serial}}
        if serial is not None:
            return {"userEnteredValue": {"numberValue": serial},
                    "userEnteredFormat": {"numberFormat": dict(DATE_TIME_FORMAT)}}
    data: dict[str, Any] = {"userEnteredValue": {"stringValue": value}}
    if kind == LINKS:
        runs = link_runs(value)
        if runs:
            data["textFormatRuns"] = runs
    return data


def is_rich(value: str, kind: str, zone: dt.tzinfo | None) -> bool:
    """Whether the cell needs `updateCells` (a link or a date-time), not a plain value."""
    if not isinstance(value, str):
        return False  # a number cell of a tab sheetsync owns goes either way
    if kind == TIME:
        return serial_of(value, zone) is not None
    return kind == LINKS and link_runs(value) is not None


@dataclass
class Block:
    """Cells of one tab in a rectangle: top-left (1-based), rows of text, each column's kind."""

    sheet_id: int
    title: str
    row: int
    col: int
    values: list[list[str]]
    kinds: tuple[str, ...] = ()
    #: Its time cells have a DATE_TIME format already (the column's, from the layout): their
    #: values go alone, a third of the bytes. Else each carries its format (a sheet from before).
    dated: bool = False

    def kind(self, i: int) -> str:
        return self.kinds[i] if i < len(self.kinds) else TEXT

    def rich(self, zone: dt.tzinfo | None) -> bool:
        return any(
            is_rich(v, self.kind(i), zone) for row in self.values for i, v in enumerate(row) if self.kind(i) != TEXT
        )

    def a1(self, quote: Any) -> str:
        last_row, last_col = self.row + len(self.values) - 1, self.col + len(self.values[0]) - 1
        return f"{quote(self.title)}!{column_letters(self.col)}{self.row}:{column_letters(last_col)}{last_row}"

    def fields(self) -> str:
        names = ["userEnteredValue"]
        if LINKS in self.kinds:
            names.append("textFormatRuns")
        if TIME in self.kinds and not self.dated:
            names.append("userEnteredFormat.numberFormat")
        return ",".join(names)

    def row_data(self, values: Sequence[str], zone: dt.tzinfo | None) -> dict[str, Any]:
        return {"values": [cell_data(v, self.kind(i), zone, self.dated) for i, v in enumerate(values)]}

    def update_cells(self, zone: dt.tzinfo | None) -> dict[str, Any]:
        """This block as one `updateCells` request (by sheetId: a rename cannot misdirect it)."""
        width = len(self.values[0])
        return {"updateCells": {
            "range": {"sheetId": self.sheet_id, "startRowIndex": self.row - 1, "endRowIndex": self.row - 1 + len(self.values),
                      "startColumnIndex": self.col - 1, "endColumnIndex": self.col - 1 + width},
            "rows": [self.row_data(r, zone) for r in self.values],
            "fields": self.fields(),
        }}  # fmt: skip


def wire_size(value: Any) -> int:
    """Bytes of `value` in a request body as requests sends it (JSON, non-ASCII escaped)."""
    return len(json.dumps(value))


def compact(value: Any) -> bytes:
    """`value` as the JSON body of an updateCells write: no spaces (cell data is mostly
    punctuation, so that saves a good share of the bytes), non-ASCII escaped as requests does."""
    return json.dumps(value, separators=(",", ":")).encode("ascii")


def pack(blocks: Sequence[Block], limit: int, rich: bool, zone: dt.tzinfo | None) -> Iterator[list[Block]]:
    """Blocks grouped into request bodies of at most `limit` bytes; big blocks split by rows.

    Each row is measured in the form it is sent in (`rich`: compact updateCells, else a value
    range).
    """

    def cost(block: Block, values: Sequence[str]) -> int:
        return (len(compact(block.row_data(values, zone))) if rich else wire_size(values)) + 2

    pieces: list[tuple[Block, int]] = []
    for block in blocks:
        costs = [cost(block, r) for r in block.values]
        size = sum(costs) + 200
        if size <= limit // 2 or len(block.values) == 1:
            pieces.append((block, size))
            continue
        band: list[list[str]] = []
        band_size = 0
        top = block.row
        for values, c in zip(block.values, costs):
            if band and band_size + c > limit // 2:
                pieces.append((Block(block.sheet_id, block.title, top, block.col, band, block.kinds, block.dated),
                               band_size + 200))
                top += len(band)
                band, band_size = [], 0
            band.append(values)
            band_size += c
        pieces.append((Block(block.sheet_id, block.title, top, block.col, band, block.kinds, block.dated), band_size + 200))
    body: list[Block] = []
    size = 0
    for block, c in pieces:
        if body and size + c > limit - 1000:
            yield body
            body, size = [], 0
        body.append(block)
        size += c
    if body:
        yield body
