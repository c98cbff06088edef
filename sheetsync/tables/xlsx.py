"""The .xlsx/.xlsm backend: one openpyxl load per read, one atomic save per write.

The workbook is loaded once with formulas kept (`data_only=False`), so that saving it does not
turn formulas into constants. The values Excel saved for formula cells are then read straight
from the sheet's XML, and only when the sheet has formulas: a second openpyxl load with
`data_only=True` would cost a whole second parse of the file.

openpyxl saves formulas without their values. So that the next run (or any other reader) can
still read the articles tab, the values read before are put back into the saved XML, and the
workbook is marked for recalculation when Excel or LibreOffice next open it.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import posixpath
import re
import tempfile
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape as xml_escape

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.reader.strings import read_string_table
from openpyxl.styles.numbers import is_datetime
from openpyxl.utils.datetime import from_excel
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import SheetBusyError, TableError
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

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_DOC_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
# Excel stores control characters as _xHHHH_ escapes, which openpyxl leaves in the text.
_ESCAPED_CONTROL = re.compile(r"_x(00[01][0-9A-Fa-f]|007[Ff])_")
# A formula cell as openpyxl writes it: no type, an empty <v/>.
_SAVED_FORMULA = re.compile(r'<c r="([A-Z]{1,3}[0-9]+)"([^>]*)>(<f\b[^>]*?(?:/>|>[^<]*</f>))<v\s*/></c>')
_FORMULA_PREVIEW = 40
_MAX_MERGE_NOTES = 5


@dataclass
class _Loaded:
    """One version of the file: its bytes, the workbook loaded from them, and what we learnt."""

    workbook: Workbook
    data: bytes
    notes: list[str]
    #: Per tab: cell reference -> (type, saved value) of its formula cells, parsed on demand.
    cached: dict[str, dict[str, tuple[str, str | None]]] = field(default_factory=dict)
    #: Per tab: rightmost column holding a value, once known.
    widths: dict[str, int] = field(default_factory=dict)


class XlsxTable(Table):
    """One worksheet of an .xlsx or .xlsm file."""

    def __init__(self, path: str | os.PathLike[str], worksheet: str | None = None, *, force: bool = False):
        self.path = Path(path).expanduser()
        self.worksheet = worksheet
        self.force = force
        self._loaded: _Loaded | None = None
        # The whole file is saved on every write, whichever tab is synced: the file is the unit
        # that must not be synced twice at once.
        self.identity = f"xlsx:{self.path.resolve()}"
        self.display_name = f"{self.path.name} ({worksheet})" if worksheet else self.path.name

    # --- Table -------------------------------------------------------------------------------

    def read(self) -> Grid:
        """Header and rows of the worksheet; reloads the file only if it changed on disk."""
        self._check_lock()
        loaded = self._current()
        ws = self._sheet(loaded)
        rows = [list(r) for r in ws.iter_rows()]
        if not rows:
            return Grid(header=(), rows=(), notes=tuple(loaded.notes))
        header_cells = rows[0]
        header = [cell_text(self._value(loaded, ws, c)) for c in header_cells]
        while header and not header[-1]:
            header.pop()
        width = len(header)
        used = width
        data: list[tuple[CellValue, ...]] = []
        for cells in rows[1:]:
            values = [self._value(loaded, ws, c) for c in cells[:width]]
            values += [None] * (width - len(values))
            data.append(tuple(values))
            used = max(used, _rightmost(cells, width))
        loaded.widths[ws.title] = max(used, _rightmost(rows[0], width))
        while data and all(v is None for v in data[-1]):
            data.pop()
        notes = list(loaded.notes) + self._merge_notes(ws)
        return Grid(header=tuple(header), rows=tuple(data), notes=tuple(notes))

    def _reread(self, key_column: str, anchor_column: str) -> Columns:
        self._check_lock()
        loaded = self._current()
        ws = self._sheet(loaded)
        header = tuple(
            cell_text(self._value(loaded, ws, ws.cell(1, c)))
            for c in range(1, ws.max_column + 1)
        )
        wanted = {header_key(key_column): 0, header_key(anchor_column): 0}
        for i, text in enumerate(header):
            k = header_key(text)
            if text.strip() and k in wanted and not wanted[k]:
                wanted[k] = i + 1

        def column(name: str) -> tuple[str, ...]:
            col = wanted[header_key(name)]
            if not col:
                return ("",) * max(int(ws.max_row) - 1, 0)
            return tuple(
                cell_text(self._value(loaded, ws, ws.cell(r, col)))
                for r in range(2, ws.max_row + 1)
            )

        width = loaded.widths.get(ws.title)
        if width is None:
            width = max((_rightmost(row, 0) for row in ws.iter_rows()), default=0)
            loaded.widths[ws.title] = width
        return Columns(header=header, keys=column(key_column), anchors=column(anchor_column), width=width)

    def _write_cells(self, cells: Sequence[CellWrite], tab: Tab | None) -> list[str]:
        # The cells were placed against the workbook `_reread` just loaded: write into that one,
        # not a newer file, so that a row inserted meanwhile cannot shift them onto another
        # row. `_save` then refuses if the file changed on disk since.
        loaded = self._loaded or self._current()
        ws = self._sheet(loaded)
        notes = list(loaded.notes)
        for c in cells:
            target = ws.cell(c.row, c.col)
            if isinstance(target, MergedCell):
                notes.append(
                    f"Row {c.row}: {target.coordinate} is inside merged cells, so it was left "
                    "unchanged; unmerge those cells and run again."
                )
                continue
            _set_text(target, c.value)
            if c.value and c.col > loaded.widths.get(ws.title, c.col):
                loaded.widths[ws.title] = c.col
        if tab is not None:
            self._replace_tab(loaded.workbook, ws, tab)
        self._save(loaded)
        return notes

    # --- loading -----------------------------------------------------------------------------

    def _current(self) -> _Loaded:
        """The loaded workbook, reloaded when the file on disk is no longer the one we hold.

        The bytes are compared, not only mtime and size: a save within the same clock tick
        that keeps the size (a sort, say) would otherwise go unnoticed.
        """
        data = self._read_bytes()
        if self._loaded is None or self._loaded.data != data:
            self.close()
            self._loaded = self._load(data)
        return self._loaded

    def _read_bytes(self) -> bytes:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            raise TableError(f"{self.path} does not exist; check the path and run again.") from None
        except IsADirectoryError:
            raise TableError(f"{self.path} is a folder, not a workbook; pass the .xlsx file inside it.") from None
        except OSError as exc:
            raise TableError(f"{self.path} cannot be read ({exc.strerror}); check its permissions.") from None

    def _load(self, data: bytes) -> _Loaded:
        # The workbook and the cached formula values both come from these bytes, so they
        # agree even if someone saves the file meanwhile.
        keep_vba = self.path.suffix.lower() == ".xlsm"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                wb = openpyxl.load_workbook(io.BytesIO(data), keep_vba=keep_vba, rich_text=False)
            except Exception as exc:  # openpyxl reports a damaged file in many ways
                reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:120]
                raise TableError(
                    f"{self.path.name} is not a readable .xlsx/.xlsm workbook ({reason}); "
                    "open it in Excel or LibreOffice and save it as .xlsx."
                ) from None
        notes: list[str] = []
        for w in caught:
            # openpyxl's own words say what it cannot keep ("... and will be removed").
            text = (
                f"{self.path.name}: openpyxl, which writes the file, says: {w.message}; keep a "
                "copy of the file if you rely on that."
            )
            if text not in notes:
                notes.append(text)
        return _Loaded(wb, data, notes)

    def _sheet(self, loaded: _Loaded) -> Worksheet:
        wb = loaded.workbook
        if not wb.worksheets:
            raise TableError(f"{self.path.name} has no worksheets; add one and run again.")
        if self.worksheet is None:
            ws = wb.worksheets[0]
            # Pinned by title from now on: a tab someone adds in front of it before the
            # write-back must not become "the first sheet" that the results go into.
            self.worksheet = ws.title
        else:
            by_title = {s.title: s for s in wb.worksheets}
            folded = [s for s in wb.worksheets if s.title.casefold() == self.worksheet.casefold()]
            if self.worksheet in by_title:
                ws = by_title[self.worksheet]
            elif len(folded) == 1:
                ws = folded[0]
            else:
                tabs = ", ".join(repr(s.title) for s in wb.worksheets)
                raise TableError(
                    f"{self.path.name} has no tab {self.worksheet!r}; its tabs are {tabs}. "
                    "Pass one of them as the worksheet."
                )
        return ws

    def _check_lock(self) -> None:
        if self.force:
            return
        name = self.path.name
        for lock, app in ((f"~${name}", "Excel"), (f".~lock.{name}#", "LibreOffice")):
            if (self.path.parent / lock).exists():
                raise SheetBusyError(
                    f"{name} looks open in {app} (found {lock} beside it); close the file in "
                    f"{app} and run again, or, if nobody has it open, delete {lock} (a crash "
                    "leaves it behind) or pass --force."
                )

    # --- values ------------------------------------------------------------------------------

    def _value(self, loaded: _Loaded, ws: Worksheet, cell: Any) -> CellValue:
        """What a person sees in `cell`, as a plain Python value."""
        value: CellValue = cell.value
        if value is None:
            return None
        kind = cell.data_type
        # The common cases first: this runs once per cell of the sheet.
        if kind == "s" and isinstance(value, str):
            return _text(value) or None
        if kind in ("n", "b"):
            return value
        if kind == "f" or isinstance(value, (ArrayFormula, DataTableFormula)):
            return self._cached(loaded, ws, cell)
        if kind == "e":
            return _error(cell.coordinate, str(value))
        return _plain(value, cell.number_format)

    def _cached(self, loaded: _Loaded, ws: Worksheet, cell: Any) -> CellValue:
        if ws.title not in loaded.cached:
            loaded.cached[ws.title] = _cached_values(loaded.data, ws.title)
        kind, raw = loaded.cached[ws.title].get(cell.coordinate, ("", None))
        if kind == "e":
            return _error(cell.coordinate, raw or "an error")
        if kind in ("str", "inlineStr"):
            return (_text(raw) or None) if raw else None
        if raw is None or raw == "":
            formula = cell.value.text if isinstance(cell.value, ArrayFormula) else str(cell.value)
            if not formula.startswith("="):
                formula = "=" + formula
            if len(formula) > _FORMULA_PREVIEW:
                formula = formula[: _FORMULA_PREVIEW - 1] + "…"
            return Unreadable(
                f"the formula {formula} in {cell.coordinate} has no saved value; open the file "
                "in Excel or LibreOffice, save it, and run again"
            )
        if kind == "b":
            return raw.strip() in ("1", "true", "TRUE")
        if kind == "s":
            return Unreadable(
                f"the saved value of {cell.coordinate} points at text missing from the file; open "
                "the file in Excel or LibreOffice, save it, and run again"
            )
        number = _number(raw)
        if number is None:
            return _text(raw)
        return _plain(number, cell.number_format, loaded.workbook.epoch)

    @staticmethod
    def _merge_notes(ws: Worksheet) -> list[str]:
        ranges = [str(r) for r in ws.merged_cells.ranges]
        if not ranges:
            return []
        shown = ", ".join(ranges[:_MAX_MERGE_NOTES])
        more = f" and {len(ranges) - _MAX_MERGE_NOTES} more" if len(ranges) > _MAX_MERGE_NOTES else ""
        return [
            f"{ws.title}: cells {shown}{more} are merged, so only the top-left cell of each is "
            "read; unmerge them if every row needs its own value."
        ]

    # --- writing -----------------------------------------------------------------------------

    def _replace_tab(self, wb: Workbook, main: Worksheet, tab: Tab) -> None:
        existing = [s for s in wb.worksheets if s.title.casefold() == tab.title.casefold()]
        if existing and existing[0] is main:
            raise TableError(
                f"The tab {tab.title!r} holds the articles, so it cannot also hold {tab.title!r} "
                "details; rename the articles tab and run again."
            )
        if existing:
            sheet = existing[0]
            # The tab is the tool's own: merges a person added there would block the rewrite.
            for merged in list(sheet.merged_cells.ranges):
                sheet.unmerge_cells(str(merged))
            for row in sheet.iter_rows():
                for cell in row:
                    cell.value = None
        else:
            sheet = wb.create_sheet(tab.title)
        for r, values in enumerate((tab.header, *tab.rows), start=1):
            for c, value in enumerate(values, start=1):
                _set_text(sheet.cell(r, c), value)

    def _save(self, loaded: _Loaded) -> None:
        """Save next to the file, then rename over it: a crash leaves the old file or the new."""
        self._check_lock()
        ws = self._sheet(loaded)
        known = {
            ref: (kind, raw)
            for ref, (kind, raw) in loaded.cached.get(ws.title, {}).items()
            if raw and kind in ("n", "str", "b", "e")
        }
        if known:
            loaded.workbook.calculation.fullCalcOnLoad = True
        buffer = io.BytesIO()
        loaded.workbook.save(buffer)
        data = buffer.getvalue()
        if known:
            data = _with_saved_values(data, ws.title, known)
        folder = self.path.parent
        try:
            mode = self.path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o644
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise TableError(
                f"Could not save {self.path.name} ({exc.strerror}); check the folder is writable "
                "and run again."
            ) from None
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            # Saving a large workbook takes seconds; a save by someone else meanwhile must not
            # be silently replaced by ours.
            if self._read_bytes() != loaded.data:
                raise SheetBusyError(
                    f"{self.path.name} was saved by another program while sheetsync was writing "
                    "it, so nothing was written; run again to write the results."
                )
            os.replace(tmp, self.path)
        except BaseException as exc:
            _remove(tmp)
            if isinstance(exc, OSError):
                raise TableError(
                    f"Could not save {self.path.name} ({exc.strerror or exc}); close it in other "
                    "programs, check the folder is writable, and run again."
                ) from None
            raise
        _fsync_dir(folder)
        # What we just saved is what we hold, so the next write needs no reload.
        loaded.data = data

    def close(self) -> None:
        if self._loaded is not None:
            # keep_vba gives the workbook an in-memory zip of the macros that nothing closes.
            vba = getattr(self._loaded.workbook, "vba_archive", None)
            if vba is not None:
                vba.close()
        self._loaded = None


# --- pure helpers ----------------------------------------------------------------------------


def _set_text(cell: Any, value: str) -> None:
    """Store `value` as a text cell; '=1+1' stays the text '=1+1', never a formula."""
    text = strip_control(str(value))
    if text == "":
        cell.value = None
        return
    cell.value = text
    cell.data_type = "s"


def _rightmost(cells: Sequence[Any], start: int) -> int:
    """1-based column of the last cell holding a value, looking only right of `start` cells."""
    for i in range(len(cells) - 1, start - 1, -1):
        if cells[i].value is not None:
            return i + 1
    return start


def _text(raw: str) -> str:
    """Cell text with Excel's control-character escapes decoded, then the controls stripped."""
    if "_x" in raw:
        raw = _ESCAPED_CONTROL.sub(lambda m: chr(int(m.group(1), 16)), raw)
    return strip_control(raw)


def _plain(value: object, number_format: str, epoch: dt.datetime | None = None) -> CellValue:
    if isinstance(value, str):
        text = _text(value)
        return text if text else None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if epoch is None or not is_datetime(number_format):
            return value
        try:
            moment = from_excel(value, epoch=epoch)
        except (ValueError, OverflowError):
            return value  # a serial number outside the calendar: show the number
        value = moment
    if isinstance(value, dt.datetime):
        if is_datetime(number_format) == "date" and value.time() == dt.time():
            return value.date()
        return value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (dt.time, dt.timedelta)):
        return str(value)
    return strip_control(str(value))


def _number(raw: str) -> int | float | None:
    text = raw.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def _error(coordinate: str, code: str) -> Unreadable:
    return Unreadable(f"{coordinate} shows the error {code}; fix that cell in the sheet and run again")


def _cached_values(data: bytes, title: str) -> dict[str, tuple[str, str | None]]:
    """Cell reference -> (type, saved value) for every formula cell of the tab `title`."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        part, strings_part = _sheet_part(archive, title)
        values: dict[str, tuple[str, str | None]] = {}
        shared: list[str] | None = None
        if part is None:
            return values
        with archive.open(part) as fh:
            for _, elem in ElementTree.iterparse(fh, events=("end",)):
                tag = elem.tag
                if tag == f"{_MAIN}c":
                    if elem.find(f"{_MAIN}f") is not None:
                        v = elem.find(f"{_MAIN}v")
                        values[elem.get("r", "")] = (elem.get("t", "n"), v.text if v is not None else None)
                elif tag == f"{_MAIN}row":
                    elem.clear()
        if strings_part and any(kind == "s" for kind, _ in values.values()):
            with archive.open(strings_part) as fh:
                shared = [str(s) for s in read_string_table(fh)]
            for ref, (kind, raw) in list(values.items()):
                if kind == "s" and raw is not None and raw.strip().isdigit() and int(raw) < len(shared):
                    values[ref] = ("str", shared[int(raw)])
        return values


def _with_saved_values(data: bytes, title: str, known: Mapping[str, tuple[str, str]]) -> bytes:
    """`data` (a workbook openpyxl saved) with the formula values in `known` written back."""

    def fill(match: re.Match[str]) -> str:
        ref, attrs, formula = match.groups()
        kind, raw = known.get(ref, ("", ""))
        if not raw:
            return match.group(0)
        typed = "" if kind == "n" else f' t="{kind}"'
        return f'<c r="{ref}"{attrs}{typed}>{formula}<v>{xml_escape(raw)}</v></c>'

    with zipfile.ZipFile(io.BytesIO(data)) as source:
        part, _ = _sheet_part(source, title)
        if part is None:
            return data
        xml, count = _SAVED_FORMULA.subn(fill, source.read(part).decode("utf-8"))
        if not count:
            return data
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                target.writestr(info, xml.encode("utf-8") if info.filename == part else source.read(info))
    return out.getvalue()


def _sheet_part(archive: zipfile.ZipFile, title: str) -> tuple[str | None, str | None]:
    """Zip paths of the worksheet named `title` and of the shared strings, from the package rels."""
    root_rels = ElementTree.fromstring(archive.read("_rels/.rels"))
    workbook = next(
        (r.get("Target", "") for r in root_rels if r.get("Type", "").endswith("/officeDocument")),
        "xl/workbook.xml",
    ).lstrip("/")
    folder = posixpath.dirname(workbook)
    rels_path = posixpath.join(folder, "_rels", posixpath.basename(workbook) + ".rels")
    targets: dict[str, str] = {}
    strings = None
    for r in ElementTree.fromstring(archive.read(rels_path)):
        target = r.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        targets[r.get("Id", "")] = target
        if r.get("Type", "").endswith("/sharedStrings"):
            strings = target
    book = ElementTree.fromstring(archive.read(workbook))
    for sheet in book.iter(f"{_MAIN}sheet"):
        if sheet.get("name") == title:
            return targets.get(sheet.get(f"{_DOC_REL}id", "")), strings
    return None, strings


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not every platform lets a directory be opened.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
