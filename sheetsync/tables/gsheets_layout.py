"""The sheet's layout (`layout.py`) as Google Sheets batchUpdate requests. Pure: no I/O.

`set_up_requests` looks at what the tab already has (as two reads return it) and asks only for
what is missing, so `init` run twice sends nothing the second time, and a person's own notes,
header formats, widths, validations and colours are never replaced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import columns as C
from . import layout as L
from .gsheets_cells import DATE_TIME_FORMAT

#: Google's default column width: a column still at it was never sized by anyone.
DEFAULT_PIXELS = 100
PROTECTION_NOTE = "sheetsync writes these columns; type in the blue ones instead."


def rgb(hex_colour: str) -> dict[str, float]:
    """'DDEBF7' -> Google's {red, green, blue} in 0..1."""
    return {
        name: int(hex_colour[i : i + 2], 16) / 255 for name, i in (("red", 0), ("green", 2), ("blue", 4))
    }


@dataclass
class TabState:
    """What the articles tab has now, as far as the layout cares."""

    sheet_id: int
    rows: int
    cols: int
    header: list[str]
    #: 0-based column -> the header cell's CellData (note, userEnteredFormat, ...).
    header_cells: dict[int, Mapping[str, Any]] = field(default_factory=dict)
    #: 0-based column -> the first data cell's CellData (its dataValidation).
    first_cells: dict[int, Mapping[str, Any]] = field(default_factory=dict)
    widths: dict[int, int] = field(default_factory=dict)  # 0-based column -> pixels
    frozen_rows: int = 0
    conditional_ranges: list[Mapping[str, Any]] = field(default_factory=list)
    protected: list[Mapping[str, Any]] = field(default_factory=list)


def header_format(layout: L.ColumnLayout) -> dict[str, Any]:
    return {
        "backgroundColor": rgb(L.OWNED_FILL if layout.owned else L.INPUT_FILL),
        "textFormat": {"bold": True, "foregroundColor": rgb(L.HEADER_FONT)},
        "verticalAlignment": "TOP",
        "wrapStrategy": "WRAP",
    }


_HEADER_FIELDS = "userEnteredFormat(backgroundColor,textFormat,verticalAlignment,wrapStrategy)"


#: Columns whose cells sheetsync writes as date-times on Google (in the sheet's time zone).
TIME_COLUMNS = (C.LAST_SYNCED,)


def body_format(layout: L.ColumnLayout) -> dict[str, Any]:
    fmt: dict[str, Any] = {"verticalAlignment": "TOP", "wrapStrategy": "WRAP" if layout.wrap else "CLIP"}
    if layout.center:
        fmt["horizontalAlignment"] = "CENTER"
    if layout.name in TIME_COLUMNS:
        fmt["numberFormat"] = dict(DATE_TIME_FORMAT)
    return fmt


def _body_fields(layout: L.ColumnLayout) -> str:
    names = ["verticalAlignment", "wrapStrategy"] + (["horizontalAlignment"] if layout.center else [])
    if layout.name in TIME_COLUMNS:
        names.append("numberFormat")
    return f"userEnteredFormat({','.join(names)})"


def note(layout: L.ColumnLayout) -> str:
    """The header note on Google: times there are in the spreadsheet's own time zone."""
    if layout.name in TIME_COLUMNS:
        return note_line(f"{layout.name}: {layout.note}").removeprefix(f"{layout.name}: ")
    return layout.note


def _span(sheet_id: int, rows: tuple[int, int], cols: tuple[int, int]) -> dict[str, int]:
    return {
        "sheetId": sheet_id, "startRowIndex": rows[0], "endRowIndex": rows[1],
        "startColumnIndex": cols[0], "endColumnIndex": cols[1],
    }  # fmt: skip


def _body(sheet_id: int, col: int) -> dict[str, int]:
    """A column below its header, to the last row: no end, so the range is the same size (and
    the request the same bytes) whatever the rows, and Google keeps rules and validations on
    it for rows people add later."""
    return {"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": col, "endColumnIndex": col + 1}


def column_requests(
    sheet_id: int, rows: int, placed: Sequence[L.Placed], state: TabState | None = None, *, write_header: bool
) -> list[dict[str, Any]]:
    """Header (value, note, colour), width and body wrapping for `placed` columns.

    With `state`, what a column already has is left alone; without, the columns are new.
    """
    out: list[dict[str, Any]] = []
    for p in placed:
        c = p.col - 1
        existing = state.header_cells.get(c, {}) if state else {}
        data: dict[str, Any] = {}
        fields: list[str] = []
        if write_header:
            data["userEnteredValue"] = {"stringValue": p.header}
            fields.append("userEnteredValue")
        if not existing.get("note"):
            data["note"] = note(p.layout)
            fields.append("note")
        fresh = not existing.get("userEnteredFormat")
        if fresh:
            data["userEnteredFormat"] = header_format(p.layout)
            fields.append(_HEADER_FIELDS)
        if fields:
            out.append({"updateCells": {
                "range": _span(sheet_id, (0, 1), (c, c + 1)), "rows": [{"values": [data]}], "fields": ",".join(fields),
            }})  # fmt: skip
        if fresh and rows > 1:
            # The body is wrapped only when the column is sheetsync's to set up: a header the
            # person formatted says the column's look is theirs.
            out.append({"repeatCell": {
                "range": _body(sheet_id, c),
                "cell": {"userEnteredFormat": body_format(p.layout)}, "fields": _body_fields(p.layout),
            }})  # fmt: skip
        if state is None or state.widths.get(c, DEFAULT_PIXELS) == DEFAULT_PIXELS:
            out.append({"updateDimensionProperties": {
                "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": c, "endIndex": c + 1},
                "properties": {"pixelSize": p.layout.pixels}, "fields": "pixelSize",
            }})  # fmt: skip
        if p.layout.name == C.READY and not (state and state.first_cells.get(c, {}).get("dataValidation")):
            out.append({"setDataValidation": {
                "range": _body(sheet_id, c),
                "rule": {"condition": {"type": "BOOLEAN"}, "showCustomUi": True, "strict": False,
                         "inputMessage": "Tick when the row may be sent on the next sync."},
            }})  # fmt: skip
        if p.layout.name in L.COLOUR_RULES and not (state and _coloured(state, c)):
            out.extend(status_rules(sheet_id, c, L.COLOUR_RULES[p.layout.name]))
    return out


def _coloured(state: TabState, col: int) -> bool:
    return any(
        r.get("sheetId", 0) == state.sheet_id and r.get("startColumnIndex", 0) <= col < r.get("endColumnIndex", col + 1)
        for r in state.conditional_ranges
    )


def status_rules(sheet_id: int, col: int, rules: Sequence[L.StatusRule] = L.STATUS_RULES) -> list[dict[str, Any]]:
    """A column's colours; first match wins, so "Published (sandbox)" is grey, not green."""
    out = []
    for i, rule in enumerate(rules):
        condition = {"type": "TEXT_CONTAINS" if rule.contains else "TEXT_EQ", "values": [{"userEnteredValue": rule.text}]}
        out.append({"addConditionalFormatRule": {"index": i, "rule": {
            "ranges": [_body(sheet_id, col)],
            "booleanRule": {"condition": condition, "format": {
                "backgroundColor": rgb(rule.fill), "textFormat": {"foregroundColor": rgb(rule.font)}}},
        }}})  # fmt: skip
    return out


def _runs(columns: Sequence[int]) -> list[list[int]]:
    """The columns (0-based) in contiguous runs, left to right."""
    runs: list[list[int]] = []
    for c in sorted(columns):
        if runs and runs[-1][-1] + 1 == c:
            runs[-1].append(c)
        else:
            runs.append([c])
    return runs


def protection_requests(sheet_id: int, rows: int, owned: Sequence[int], state: TabState | None) -> list[dict[str, Any]]:
    """Warning-only protected ranges over sheetsync's columns (0-based), one per contiguous run."""
    if state is not None and any(str(p.get("description", "")).startswith("sheetsync") for p in state.protected):
        return []
    out = []
    runs = _runs(owned)
    for run in runs:
        whole = {"sheetId": sheet_id, "startColumnIndex": run[0], "endColumnIndex": run[-1] + 1}  # every row, ever
        out.append({"addProtectedRange": {"protectedRange": {
            "range": whole,
            "description": PROTECTION_NOTE, "warningOnly": True,
        }}})  # fmt: skip
    return out


def note_line(line: str) -> str:
    """A line of the how-to tab as it reads on Google (times in the sheet's zone, not UTC)."""
    for name in TIME_COLUMNS:
        if line.startswith(f"{name}:"):
            return line.replace("(UTC)", "(in this spreadsheet's time zone: File > Settings)")
    return line


def howto_requests(sheet_id: int) -> list[dict[str, Any]]:
    """The "How to fill this in" tab, created with its text in the same batch."""
    lines = [note_line(line) for line in L.howto_lines()]
    rows = [{"values": [{"userEnteredValue": {"stringValue": line}}] if line else []} for line in lines]
    return [
        {"addSheet": {"properties": {"sheetId": sheet_id, "title": L.HOWTO_TAB,
                                     "gridProperties": {"rowCount": max(50, len(lines) + 5), "columnCount": 2}}}},
        {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0}, "rows": rows,
                         "fields": "userEnteredValue"}},
        {"repeatCell": {"range": _span(sheet_id, (0, 1), (0, 1)),
                        "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}}, "fields": "userEnteredFormat(textFormat)"}},
        {"repeatCell": {"range": _span(sheet_id, (1, len(lines)), (0, 1)),
                        "cell": {"userEnteredFormat": {"wrapStrategy": "WRAP"}}, "fields": "userEnteredFormat(wrapStrategy)"}},
        {"updateDimensionProperties": {"range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1},
                                       "properties": {"pixelSize": 800}, "fields": "pixelSize"}},
    ]  # fmt: skip


def set_up_requests(state: TabState, plan: L.SetUp, howto_id: int | None) -> list[dict[str, Any]]:
    """Everything `init` asks of one tab, given what it has (`howto_id`: create that tab)."""
    out: list[dict[str, Any]] = []
    need_cols = max([p.col for p in plan.columns] + [0])
    if need_cols > state.cols:
        out.append({"appendDimension": {"sheetId": state.sheet_id, "dimension": "COLUMNS", "length": need_cols - state.cols}})
    added = {p.col for p in plan.added}
    old = [p for p in plan.columns if p.col not in added]
    out += column_requests(state.sheet_id, state.rows, old, state, write_header=False)
    out += column_requests(state.sheet_id, state.rows, list(plan.added), state, write_header=True)
    if state.frozen_rows < 1:
        out.append({"updateSheetProperties": {"properties": {"sheetId": state.sheet_id, "gridProperties": {"frozenRowCount": 1}},
                                              "fields": "gridProperties.frozenRowCount"}})  # fmt: skip
    owned = [p.col - 1 for p in plan.columns if p.layout.owned]
    out += protection_requests(state.sheet_id, state.rows, owned, state)
    if howto_id is not None:
        out += howto_requests(howto_id)
    return out


def grow_protection(sheet_id: int, protected: Sequence[dict[str, Any]], owned: Sequence[int]) -> list[dict[str, Any]]:
    """sheetsync's protected ranges taking in the owned columns (0-based) a sync adds.

    A range that ends where new columns begin is widened (`protected` is updated to match);
    new columns elsewhere get a range of their own. A sheet without sheetsync's protection
    (never `init`) gets none.
    """
    mine = [p for p in protected if int(p.get("range", {}).get("sheetId", 0)) == sheet_id]
    if not mine or not owned:
        return []
    out: list[dict[str, Any]] = []
    runs = _runs(owned)
    for run in runs:
        touching = next((p for p in mine if p.get("range", {}).get("endColumnIndex") == run[0]), None)
        if touching is None:
            out += protection_requests(sheet_id, 0, run, None)
            continue
        grown = {**touching["range"], "sheetId": sheet_id, "endColumnIndex": run[-1] + 1}
        touching["range"] = grown
        out.append({"updateProtectedRange": {
            "protectedRange": {"protectedRangeId": touching["protectedRangeId"], "range": grown}, "fields": "range",
        }})  # fmt: skip
    return out


def owned_tab_requests(sheet_id: int, widths: Sequence[int], header: Sequence[str] = (),
                       rows: int = 0) -> list[dict[str, Any]]:
    """A tab sheetsync owns (Placements, Sites, Summary): bold green frozen header, column widths,
    and its time columns (`C.PLACEMENT_TIME_COLUMNS`) as date-times in the sheet's zone."""
    out: list[dict[str, Any]] = [
        {"updateSheetProperties": {"properties": {"sheetId": sheet_id, "gridProperties": {"frozenRowCount": 1}},
                                   "fields": "gridProperties.frozenRowCount"}},
        {"repeatCell": {"range": _span(sheet_id, (0, 1), (0, len(widths))),
                        "cell": {"userEnteredFormat": {"backgroundColor": rgb(L.OWNED_FILL), "textFormat": {"bold": True}}},
                        "fields": "userEnteredFormat(backgroundColor,textFormat)"}},
    ]  # fmt: skip
    for i, width in enumerate(widths):
        out.append({"updateDimensionProperties": {
            "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": i, "endIndex": i + 1},
            "properties": {"pixelSize": width * 7 + 10}, "fields": "pixelSize",
        }})  # fmt: skip
    for i, name in enumerate(header):
        if name in C.PLACEMENT_TIME_COLUMNS and rows > 1:
            out.append({"repeatCell": {
                "range": _span(sheet_id, (1, rows), (i, i + 1)),
                "cell": {"userEnteredFormat": {"numberFormat": dict(DATE_TIME_FORMAT), "horizontalAlignment": "LEFT"}},
                "fields": "userEnteredFormat(numberFormat,horizontalAlignment)",
            }})  # fmt: skip
    return out
