"""Stream one worksheet's XML into plain values: the cost follows the cells that exist.

lxml's iterparse walks the rows one at a time and each row is dropped once read, so a sheet
whose only far cell is H1048576 costs one row, not a million. Values are read the way Excel
shows them: shared and inline strings, numbers (dates by their number format), booleans,
saved formula results; errors and formulas without a saved value are `Unreadable`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from sys import intern
from dataclasses import dataclass, field

from lxml import etree

from ..base import CellValue, Unreadable, column_letters, strip_control
from .package import Package, rel_attr

# Excel stores characters XML cannot hold (and a literal "_x" sequence) as _xHHHH_ escapes.
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_FORMULA_PREVIEW = 40
_INTERN = 100
MAX_COLUMN = 16384  # XFD
MAX_ROW = 1048576


def column_index(letters: str) -> int:
    """1-based column number of column letters ("A" -> 1, "XFD" -> 16384)."""
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) & 0x1F)  # upper and lower case alike
    return n


_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]+)$")


def parse_ref(ref: str) -> tuple[int, int]:
    """(row, col) of an A1 reference; (0, 0) when it is not one."""
    match = _REF.match(ref.strip())
    if not match:
        return 0, 0
    return int(match.group(2)), column_index(match.group(1))


def parse_range(ref: str) -> tuple[int, int, int, int] | None:
    """(first row, first col, last row, last col) of "A1:D9" or "B3"; None when unreadable."""
    parts = ref.strip().split(":")
    if not 1 <= len(parts) <= 2:
        return None
    r1, c1 = parse_ref(parts[0])
    r2, c2 = parse_ref(parts[-1])
    if not (r1 and c1 and r2 and c2):
        return None
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def range_ref(r1: int, c1: int, r2: int, c2: int) -> str:
    return f"{column_letters(c1)}{r1}:{column_letters(c2)}{r2}"


def decode_text(raw: str) -> str:
    """Cell text with Excel's _xHHHH_ escapes decoded, then control characters stripped."""
    if raw.isprintable() and "_x" not in raw:
        return raw  # no escapes, no control characters: most text
    if "_x" in raw:
        raw = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), raw)
    return strip_control(raw)


# --- number formats ----------------------------------------------------------------------

_BUILTIN_DATES = {14: "date", 15: "date", 16: "date", 17: "date", 18: "time", 19: "time",
                  20: "time", 21: "time", 22: "datetime", 45: "time", 46: "timedelta", 47: "time"}  # fmt: skip
# Locale built-ins (East Asian date formats) that Excel writes without a format code.
_BUILTIN_DATES.update({i: "date" for i in (27, 28, 29, 30, 31, 34, 35, 36, 50, 51, 52, 53, 54, 57, 58)})
_BUILTIN_DATES.update({32: "time", 33: "time", 55: "time", 56: "time"})
_QUOTED = re.compile(r'"[^"]*"|\\.|_.|\*.')
_BRACKET = re.compile(r"\[[^\]]*\]")


_UTC_LABEL = re.compile(r'"\s*UTC\s*"', re.IGNORECASE)


def format_kind(code: str) -> str:
    """"date", "datetime", "time", "timedelta", "utc" or "" for an Excel number format code.

    "utc" is a date and time labelled "UTC" in the format itself, as sheetsync writes its
    times: such a cell reads back as the text sheetsync wrote ("2026-12-01T09:05Z").
    """
    section = code.split(";", 1)[0]
    if _UTC_LABEL.search(section) and format_kind(_UTC_LABEL.sub("", section)) == "datetime":
        return "utc"
    if re.search(r"\[(h+|m+|s+)\]", section, re.IGNORECASE):
        return "timedelta"
    text = _BRACKET.sub("", _QUOTED.sub("", section)).lower()
    if "general" in text and not re.search(r"[dy]", text.replace("general", "")):
        return ""
    has_date = bool(re.search(r"[dy]", text)) or bool(re.search(r"(^|[^a-z])m{3,}", text))
    has_time = bool(re.search(r"[hs]", text)) or "am/pm" in text or "a/p" in text
    if has_date and has_time:
        return "datetime"
    if has_date:
        return "date"
    if has_time:
        return "time"
    if re.fullmatch(r"[\s\-/.,:]*m{1,2}[\s\-/.,:]*", text):
        return "date"  # a month on its own
    return ""


def style_kinds(package: Package) -> list[str]:
    """Per cell style (the `s` index): the kind of date its number format shows, or ""."""
    if not package.styles or not package.has(package.styles):
        return []
    custom: dict[int, str] = {}
    kinds: list[str] = []
    ns = package.main_ns
    depth_xfs = False
    for event, elem in etree.iterparse(
        package.open(package.styles), events=("start", "end"), resolve_entities=False,
        no_network=True, load_dtd=False, huge_tree=True,
    ):  # fmt: skip
        tag = elem.tag
        if tag == f"{{{ns}}}cellXfs":
            depth_xfs = event == "start"
        elif event == "end" and tag == f"{{{ns}}}numFmt":
            try:
                custom[int(elem.get("numFmtId", "-1"))] = format_kind(elem.get("formatCode", ""))
            except ValueError:
                pass
        elif event == "end" and tag == f"{{{ns}}}xf" and depth_xfs:
            try:
                fmt = int(elem.get("numFmtId", "0") or 0)
            except ValueError:
                fmt = 0
            kinds.append(custom[fmt] if fmt in custom else _BUILTIN_DATES.get(fmt, ""))
    return kinds


_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)


def from_serial(value: float, kind: str, date1904: bool) -> CellValue:
    """A date/time serial number as Excel shows it under a format of `kind`."""
    if kind == "timedelta":
        return str(dt.timedelta(days=value))
    epoch = _EPOCH_1904 if date1904 else _EPOCH_1900
    if kind == "utc" and value >= 60:
        try:
            moment = epoch + dt.timedelta(minutes=round(value * 1440))
        except (OverflowError, ValueError):
            return value
        return moment.strftime("%Y-%m-%dT%H:%MZ")
    try:
        day, fraction = divmod(value, 1)
        diff = dt.timedelta(milliseconds=round(fraction * 86400 * 1000))
        if 0 <= value < 1 and diff.days == 0:
            return str((dt.datetime.min + diff).time())
        if 0 < value < 60 and not date1904:
            day += 1  # Excel's 1900 counts a 29 February that never was
        moment = epoch + dt.timedelta(days=day) + diff
    except (OverflowError, ValueError):
        return value  # a serial number outside the calendar: show the number
    if kind == "date" and moment.time() == dt.time():
        return moment.date()
    return moment


def _number(raw: str) -> int | float | None:
    try:
        if "." in raw or "E" in raw or "e" in raw:
            return float(raw)
        return int(raw)
    except ValueError:
        pass
    try:
        return float(raw)
    except ValueError:
        return None


# --- strings -----------------------------------------------------------------------------


def _rich_text(elem: etree._Element, ns: str) -> str:
    """Text of an <si> or <is>: its <t> runs, phonetic guides (<rPh>) left out."""
    first = elem[0] if len(elem) else None
    if first is not None and len(elem) == 1 and first.tag == f"{{{ns}}}t":
        return first.text or ""
    parts = []
    for child in elem:
        tag = child.tag
        if tag == f"{{{ns}}}t":
            parts.append(child.text or "")
        elif tag == f"{{{ns}}}r":
            for t in child.iter(f"{{{ns}}}t"):
                parts.append(t.text or "")
    return "".join(parts)


def shared_strings(package: Package) -> list[str]:
    """The workbook's shared-string table, decoded."""
    if not package.shared_strings or not package.has(package.shared_strings):
        return []
    ns = package.main_ns
    out: list[str] = []
    T = f"{{{ns}}}t"
    for _, si in etree.iterparse(
        package.open(package.shared_strings), events=("end",), tag=f"{{{ns}}}si",
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True,
    ):  # fmt: skip
        first = si[0] if len(si) == 1 else None
        text = (first.text or "") if first is not None and first.tag == T else _rich_text(si, ns)
        out.append(text if text.isprintable() and "_x" not in text else decode_text(text))
        si.clear()
        while si.getprevious() is not None:
            del si.getparent()[0]
    return out


# --- the worksheet -----------------------------------------------------------------------


@dataclass
class Sheet:
    """What one streaming pass over a worksheet found."""

    #: Row number -> values by column (index 0 = column A), up to the row's last value.
    rows: dict[int, tuple[CellValue, ...]] = field(default_factory=dict)
    #: Rightmost column holding a value in any row.
    width: int = 0
    merges: list[str] = field(default_factory=list)
    #: Ranges that shared and array formulas fill ("J2:J100").
    formula_ranges: list[str] = field(default_factory=list)
    #: Every cell holding a formula, as (row, col).
    formula_cells: set[tuple[int, int]] = field(default_factory=set)
    autofilter: str = ""
    table_rel_ids: list[str] = field(default_factory=list)
    max_row: int = 0


class _Strings:
    """The shared strings, loaded only when a cell first needs one."""

    def __init__(self, package: Package):
        self.package = package
        self.items: list[str] | None = None

    def get(self, index: str) -> str | None:
        if self.items is None:
            self.items = shared_strings(self.package)
        try:
            return self.items[int(index)]
        except (ValueError, IndexError):
            return None


def read_sheet(package: Package, part: str) -> Sheet:
    """Values, merges, formulas, filter and tables of the worksheet in `part`."""
    ns = package.main_ns
    strings = _Strings(package)
    kinds = style_kinds(package)
    date1904 = package.date1904
    sheet = Sheet()
    ROW, C, V, F, IS = (f"{{{ns}}}{t}" for t in ("row", "c", "v", "f", "is"))
    T = f"{{{ns}}}t"
    wanted = [ROW, f"{{{ns}}}mergeCell", f"{{{ns}}}autoFilter", f"{{{ns}}}tablePart"]
    rows = sheet.rows
    width = 0
    previous_row = 0
    col_of: dict[str, int] = {}
    kind_of: dict[str | None, str] = {None: ""}
    for _, elem in etree.iterparse(
        package.open(part), events=("end",), tag=wanted, resolve_entities=False,
        no_network=True, load_dtd=False, huge_tree=True,
    ):  # fmt: skip
        tag = elem.tag
        if tag != ROW:
            if tag == wanted[1]:
                sheet.merges.append(elem.get("ref", ""))
            elif tag == wanted[2]:
                sheet.autofilter = elem.get("ref", "")
            elif tag == wanted[3]:
                sheet.table_rel_ids.append(rel_attr(elem, "id"))
            continue
        r_attr = elem.get("r")
        number = int(r_attr) if r_attr else previous_row + 1
        previous_row = number
        values: list[CellValue] = []
        col = 0
        for c in elem.iterchildren(C):
            ref = c.get("r")
            if ref:
                letters = ref.rstrip("0123456789")
                known = col_of.get(letters)
                if known is None:
                    known = col_of[letters] = column_index(letters)
                col = known
            else:
                col += 1
            n = len(c)
            if n == 0:
                continue  # a formatted empty cell
            t = c.get("t")
            if n == 1 and t == "inlineStr":
                child = c[0]
                text = child.findtext(T) if len(child) == 1 else None
                if text is not None and child.tag == IS:
                    if not (text.isprintable() and "_x" not in text):
                        text = decode_text(text)
                    if len(text) <= _INTERN:
                        # Columns repeat their values (dates, site ids, statuses): keep one copy.
                        text = intern(text)
                    if text:
                        if col == len(values) + 1:
                            values.append(text)
                        else:
                            _put(values, col, text)
                    continue
            if n == 1 and t != "inlineStr":
                raw = c.findtext(V)
                if raw is None:  # the only child is a formula, or something unknown
                    formula = c.find(F)
                    if formula is None:
                        continue
                    value = _formula_cell(sheet, formula, None, t, number, col)
                    _put(values, col, value)
                    continue
                # The common cases first: this runs once per cell of the sheet.
                if t == "s":
                    value = strings.get(raw)
                    if value is None:
                        value = _missing_string(number, col)
                    elif value == "":
                        continue
                    if col == len(values) + 1:
                        values.append(value)
                    else:
                        _put(values, col, value)
                    continue
                if t is None or t == "n":
                    s = c.get("s")
                    kind = kind_of.get(s)
                    if kind is None:
                        kind = kind_of[s] = kinds[int(s)] if s.isdigit() and int(s) < len(kinds) else ""
                    value = _numeric(raw, kind, date1904)
                else:
                    value = _typed(raw, t, number, col)
                if value is not None:
                    if col == len(values) + 1:
                        values.append(value)
                    else:
                        _put(values, col, value)
                continue
            raw, formula, inline = None, None, None
            for child in c:
                ctag = child.tag
                if ctag == V:
                    raw = child.text
                elif ctag == F:
                    formula = child
                elif ctag == IS:
                    inline = child
            if formula is not None:
                value = _formula_cell(sheet, formula, raw, t, number, col, strings, kinds, kind_of, c, date1904)
            elif t == "inlineStr":
                value = decode_text(_rich_text(inline, ns)) if inline is not None else (decode_text(raw) if raw else "")
                value = value or None
            elif raw is None:
                continue
            elif t == "s":
                value = strings.get(raw)
                value = _missing_string(number, col) if value is None else (value or None)
            elif t is None or t == "n":
                s = c.get("s")
                kind = kinds[int(s)] if s and s.isdigit() and int(s) < len(kinds) else ""
                value = _numeric(raw, kind, date1904)
            else:
                value = _typed(raw, t, number, col)
            if value is not None:
                _put(values, col, value)
        if values:
            rows[number] = tuple(values)
            if len(values) > width:
                width = len(values)
        elem.clear()
        while elem.getprevious() is not None:
            del elem.getparent()[0]
    sheet.width = width
    sheet.max_row = max(rows, default=0)
    return sheet


def _put(values: list[CellValue], col: int, value: CellValue) -> None:
    if col > len(values):
        values.extend([None] * (col - len(values)))
    values[col - 1] = value


def _numeric(raw: str, kind: str, date1904: bool) -> CellValue:
    if raw == "":
        return None
    if kind == "utc":
        return _utc_text(raw, date1904)
    number = _number(raw)
    if number is None:
        return decode_text(raw) or None
    return from_serial(number, kind, date1904) if kind else number


@functools.lru_cache(maxsize=1024)  # sheetsync stamps many rows with the same minute
def _utc_text(raw: str, date1904: bool) -> CellValue:
    number = _number(raw)
    return decode_text(raw) or None if number is None else from_serial(number, "utc", date1904)


def _missing_string(row: int, col: int) -> Unreadable:
    return Unreadable(
        f"the saved value of {column_letters(col)}{row} points at text missing from the file; "
        "open the file in Excel or LibreOffice, save it, and run again"
    )


def _typed(raw: str, t: str, row: int, col: int) -> CellValue:
    """A cell of type str, b, e or d (and anything unknown, as text)."""
    if t == "str":
        return decode_text(raw) or None
    if t == "b":
        return raw.strip() in ("1", "true", "TRUE")
    if t == "e":
        return Unreadable(
            f"{column_letters(col)}{row} shows the error {raw or 'an error'}; fix that cell in the "
            "sheet and run again"
        )
    if t == "d":
        return _iso(raw)
    return decode_text(raw) or None


def _formula_cell(
    sheet: Sheet,
    formula: etree._Element,
    raw: str | None,
    t: str | None,
    row: int,
    col: int,
    strings: "_Strings | None" = None,
    kinds: list[str] | None = None,
    kind_of: dict[str | None, str] | None = None,
    cell: etree._Element | None = None,
    date1904: bool = False,
) -> CellValue:
    """The value Excel saved with a formula, or why it cannot be known."""
    sheet.formula_cells.add((row, col))
    if formula.get("ref") and formula.get("t") in ("shared", "array"):
        sheet.formula_ranges.append(formula.get("ref", ""))
    if t == "e":
        return _typed(raw or "", "e", row, col)
    if raw is None or raw == "":
        if t == "str" and raw == "":
            return None  # a formula whose result is empty text
        return _no_value(formula, row, col)
    if t == "s" and strings is not None:
        text = strings.get(raw)
        return _missing_string(row, col) if text is None else (text or None)
    if t is None or t == "n":
        s = cell.get("s") if cell is not None else None
        kind = kinds[int(s)] if kinds and s and s.isdigit() and int(s) < len(kinds) else ""
        return _numeric(raw, kind, date1904)
    return _typed(raw, t, row, col)


def _no_value(formula: etree._Element, row: int, col: int) -> Unreadable:
    text = (formula.text or "").strip()
    where = f"{column_letters(col)}{row}"
    if not text:
        return Unreadable(
            f"the formula in {where} has no saved value; open the file in Excel or LibreOffice, "
            "save it, and run again"
        )
    shown = "=" + text if not text.startswith("=") else text
    if len(shown) > _FORMULA_PREVIEW:
        shown = shown[: _FORMULA_PREVIEW - 1] + "…"
    return Unreadable(
        f"the formula {shown} in {where} has no saved value; open the file in Excel or "
        "LibreOffice, save it, and run again"
    )


def _iso(raw: str) -> CellValue:
    try:
        moment = dt.datetime.fromisoformat(raw.strip().rstrip("Z"))
    except ValueError:
        return decode_text(raw) or None
    if moment.time() == dt.time() and "T" not in raw:
        return moment.date()
    return moment
