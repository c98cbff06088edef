"""`XlsxTable`: one tab of an .xlsx/.xlsm file, read by streaming, written by editing parts.

A write changes the articles worksheet part (only sheetsync's cells, the dimension, widths of
new columns, and the Table or AutoFilter that should cover them), the tab's notes and their
drawing when new columns get header notes (`notes.py`), the part of the tab sheetsync owns,
and, only when that tab is new, the sheet list, its relationships and the content types.
Everything else in the package is copied part for part. What cannot be edited safely is
refused when the file is read, before anything is sent.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ... import columns as C
from ...errors import SheetBusyError, TableError
from .. import layout as L
from ..base import CellValue, CellWrite, Columns, Grid, SetUpResult, Tab, Table, cell_text, header_key, number_columns
from . import save, stream
from .links import link_target, reconcile
from .link_style import link_style_id, link_styles
from .times import utc_styles
from .package import (
    CONTENT_TYPES, MAIN_NAMESPACES, REL_NAMESPACES, WORKSHEET_TYPE, Package, SheetEntry, element_prefix, parse, rels_path,
)
from .reader import MAX_COLUMN, Sheet, column_letters, parse_range, read_sheet
from .layout import Styles, header_style_id, howto_worksheet, lay_out, utc_time_style_id
from .notes import add_header_notes
from .writer import SheetEdit, Splicer, grow_defined_range, grow_table, hyperlink_rels, tab_links, utc_serial
from .writer import worksheet as tab_worksheet

_MAX_MERGE_NOTES = 5
_OWNED = tuple(dict.fromkeys(header_key(c) for c in C.OUTPUT_COLUMNS))


@dataclass
class _State:
    """One version of the file: its bytes, its package, and what reading its tab found."""

    data: bytes
    package: Package
    entry: SheetEntry
    sheet: Sheet
    notes: list[str] = field(default_factory=list)
    xml: bytearray | None = None  # the articles part, once a write needed it


class XlsxTable(Table):
    """One worksheet of an .xlsx or .xlsm file."""

    checked_writes = True  # the save refuses when the file changed on disk since it was read

    def __init__(self, path: str | os.PathLike[str], worksheet: str | None = None, *, force: bool = False):
        self.path = Path(path).expanduser()
        self.worksheet = worksheet
        self.force = force
        self._state: _State | None = None
        # The whole file is rewritten on every write, whichever tab is synced: the file is the
        # unit that must not be synced twice at once.
        self.identity = f"xlsx:{self.path.resolve()}"
        self.display_name = f"{self.path.name} ({worksheet})" if worksheet else self.path.name

    # --- Table -------------------------------------------------------------------------------

    def read(self) -> Grid:
        """Header and rows of the worksheet; re-parses the file only if it changed on disk."""
        self._check_lock()
        save.clean_leftovers(self.path)
        state = self._current()
        sheet = state.sheet
        first = sheet.rows.get(1, [])
        header = [cell_text(v) for v in first]
        while header and not header[-1]:
            header.pop()
        self._explain_merged_header(state, header)
        width = len(header)
        blank = (None,) * width
        last = 0
        for number in sorted(sheet.rows, reverse=True):
            if number > 1 and any(v is not None for v in sheet.rows[number][:width]):
                last = number
                break
        data: list[tuple[CellValue, ...]] = []
        for number in range(2, last + 1):
            values = sheet.rows.get(number)
            if values is None:
                data.append(blank)
                continue
            if len(values) == width:
                data.append(values)  # the tuple read is the row: no copy
            elif len(values) > width:
                data.append(values[:width])
            else:
                data.append(values + (None,) * (width - len(values)))
        notes = list(state.notes) + self._merge_notes(state)
        return Grid(header=tuple(header), rows=tuple(data), notes=tuple(notes),
                    title=state.entry.name)

    def tab_header(self, title: str) -> tuple[str, ...] | None:
        """From the file as last read (parsing only that tab)."""
        rows = self._tab_rows(self._state or self._current(), title, 1)
        return None if rows is None else (rows[0] if rows else ())

    def read_tab(self, title: str) -> tuple[tuple[str, ...], ...] | None:
        return self._tab_rows(self._current(), title, None)

    def _tab_rows(self, state: _State, title: str, limit: int | None) -> tuple[tuple[str, ...], ...] | None:
        entry = next((e for e in state.package.sheets if e.name.casefold() == title.casefold()), None)
        if entry is None:
            return None
        if entry.kind != "worksheet" or not state.package.has(entry.part):
            return ((f"({entry.kind})",),)  # not a grid: certainly not sheetsync's tab
        sheet = state.sheet if entry.part == state.entry.part else read_sheet(state.package, entry.part)
        last = max(sheet.rows, default=0)
        out = []
        for n in range(1, (last if limit is None else min(last, limit)) + 1):
            texts = [cell_text(v) for v in sheet.rows.get(n, [])]
            while texts and not texts[-1]:
                texts.pop()
            out.append(tuple(texts))
        return tuple(out)

    def check_writable(self) -> None:
        """TableError now, before anything is sent, when the file could not be written."""
        save.refuse_read_only(self.path)

    def _reread(self, key_column: str, anchor_column: str) -> Columns:
        self._check_lock()
        state = self._current()
        sheet = state.sheet
        header = tuple(cell_text(v) for v in sheet.rows.get(1, []))
        wanted = {header_key(key_column): 0, header_key(anchor_column): 0}
        for i, text in enumerate(header):
            k = header_key(text)
            if text.strip() and k in wanted and not wanted[k]:
                wanted[k] = i + 1
        numbers = range(2, sheet.max_row + 1)

        def column(name: str) -> tuple[str, ...]:
            col = wanted[header_key(name)]
            if not col:
                return ("",) * len(numbers)
            out = []
            for n in numbers:
                values = sheet.rows.get(n)
                out.append(cell_text(values[col - 1]) if values and col <= len(values) else "")
            return tuple(out)

        return Columns(header=header, keys=column(key_column), anchors=column(anchor_column), width=sheet.width)

    def _write_cells(self, cells: Sequence[CellWrite], tab: Tab | None) -> list[str]:
        # The cells were placed against the file `_reread` just parsed: write into that one,
        # not a newer file, so that a row inserted meanwhile cannot shift them onto another
        # row. The save then refuses if the file changed on disk since.
        state = self._state or self._current()
        self.check_writable()
        package, sheet = state.package, state.sheet
        notes = list(state.notes)
        too_far = [c for c in cells if c.col > MAX_COLUMN]
        if too_far:
            raise TableError(self._no_room_message(state, len({c.col for c in too_far})))
        merged = self._merged_cells(sheet)
        edits: dict[int, dict[int, str]] = {}
        for c in cells:
            top_left = merged.get((c.row, c.col))
            if top_left is not None:
                notes.append(
                    f"Row {c.row}: {column_letters(c.col)}{c.row} is inside merged cells, so it was "
                    "left unchanged; unmerge those cells and run again."
                )
                continue
            edits.setdefault(c.row, {})[c.col] = c.value
        new_columns = {col: text for col, text in edits.get(1, {}).items() if text}
        replaced: dict[str, save.Content] = {}
        added: dict[str, bytes] = {}
        workbook_xml = package.workbook_xml
        filter_to = 0
        if new_columns:
            filter_to, workbook_xml = self._grow_tables(state, new_columns, replaced, workbook_xml)
        if edits:
            found = None
            if not new_columns and state.xml is None:
                # The usual write: the part is read in chunks and written as it passes.
                found = stream.scan(package, state.entry.part, self._time_columns(state, edits) | self._link_columns(state, edits))
            xml = found.skeleton if found else state.xml if state.xml is not None else package.read_large(state.entry.part)
            if new_columns:
                # Columns a sync adds look as `init` would have made them: widths, header colour
                # and note, wrapping, status colours. First, so that their new cells take the style.
                placed = self._placed(new_columns)
                xml, noted, prompts = self._header_notes(state, xml, placed, replaced, added, notes)
                xml, styles = lay_out(package, xml, placed, freeze=False, prompts=prompts, noted=noted)
                if styles.changed:
                    replaced[package.styles] = styles.xml
            splicer = Splicer(found.prefix if found else element_prefix(xml))
            if found:
                splicer.body_styles = found.styles
            tail = self._result_links(state, xml, splicer, edits, replaced, added)
            times = self._time_styles(state, xml, splicer, edits, replaced)
            edit = SheetEdit(
                cells=edits, new_columns=new_columns, filter_to=filter_to, heights=self._heights(sheet, edits),
                tail=tail, time_styles=times, date1904=package.date1904,
                **self._link_styles(state, xml, splicer, edits, replaced),
            )
            if found:
                body = stream.body(package, state.entry.part, found.lo, found.hi)
                replaced[state.entry.part] = splicer.edit_stream(xml, body, edit)
            else:
                replaced[state.entry.part] = splicer.edit_pieces(xml, edit)
            overwritten = {(r, c) for r, c in sheet.formula_cells if c in edits.get(r, ())}
            if overwritten:
                self._drop_from_calc_chain(state, overwritten, replaced)
        if tab is not None:
            workbook_xml = self._replace_tab(state, tab, replaced, added, workbook_xml)
        if workbook_xml is not package.workbook_xml:
            replaced[package.workbook_part] = workbook_xml
        if not replaced and not added:
            return notes
        data = save.rebuild(package, replaced, added)
        self._check_lock()
        save.write_atomically(self.path, data, state.data, self._read_bytes, SheetBusyError)
        # What we just saved is what we hold, so the next write needs no re-parse.
        state.data = data
        state.package = Package(data, self.path.name)
        state.entry = next(e for e in state.package.sheets if e.part == state.entry.part)
        state.xml = None  # read again from the new package when a later write needs it
        if filter_to:
            r1, c1, r2, _ = parse_range(sheet.autofilter) or (1, 1, 1, 1)
            sheet.autofilter = f"{column_letters(c1)}{r1}:{column_letters(filter_to)}{r2}"
        for r, row in edits.items():
            values = list(sheet.rows.get(r, ()))
            for col, text in row.items():
                if col > len(values):
                    values.extend([None] * (col - len(values)))
                values[col - 1] = text or None
                if sheet.formula_cells:
                    sheet.formula_cells.discard((r, col))
            while values and values[-1] is None:
                values.pop()
            if values:
                sheet.rows[r] = tuple(values)
                sheet.width = max(sheet.width, len(values))
            else:
                sheet.rows.pop(r, None)
            sheet.max_row = max(sheet.max_row, r)
        return notes

    # --- reading -----------------------------------------------------------------------------

    def _current(self) -> _State:
        """The parsed file, re-parsed when the file on disk is no longer the one we hold.

        The bytes are compared, not only mtime and size: a save within the same clock tick
        that keeps the size (a sort, say) would otherwise go unnoticed.
        """
        data = self._read_bytes()
        if self._state is None or self._state.data != data:
            self._state = None
            self._state = self._load(data)
        return self._state

    def _read_bytes(self) -> bytes:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            raise TableError(f"{self.path} does not exist; check the path and run again.") from None
        except IsADirectoryError:
            raise TableError(f"{self.path} is a folder, not a workbook; pass the .xlsx file inside it.") from None
        except OSError as exc:
            raise TableError(f"{self.path} cannot be read ({exc.strerror}); check its permissions.") from None

    def _load(self, data: bytes) -> _State:
        package = Package(data, self.path.name)
        entry = self._entry(package)
        try:
            sheet = read_sheet(package, entry.part)
        except (etree.XMLSyntaxError, KeyError, ValueError) as exc:
            reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:120]
            raise TableError(
                f"{self.path.name} is not a readable .xlsx/.xlsm workbook ({reason}); open it in "
                "Excel or LibreOffice and save it as .xlsx."
            ) from None
        state = _State(data, package, entry, sheet)
        self._refuse_unsafe(state)
        state.notes.extend(self._table_notes(state))
        return state

    def _entry(self, package: Package) -> SheetEntry:
        sheets = package.sheets
        if not sheets:
            raise TableError(f"{self.path.name} has no worksheets; add one and run again.")
        if self.worksheet is None:
            entry = next((s for s in sheets if s.kind == "worksheet"), sheets[0])
            # Pinned by title from now on: a tab someone adds in front of it before the
            # write-back must not become "the first sheet" that the results go into.
            self.worksheet = entry.name
        else:
            exact = [s for s in sheets if s.name == self.worksheet]
            folded = [s for s in sheets if s.name.casefold() == self.worksheet.casefold()]
            if exact:
                entry = exact[0]
            elif len(folded) == 1:
                entry = folded[0]
            else:
                tabs = ", ".join(repr(s.name) for s in sheets)
                raise TableError(
                    f"{self.path.name} has no tab {self.worksheet!r}; its tabs are {tabs}. "
                    "Pass one of them as the worksheet."
                )
        if entry.kind != "worksheet" or not package.has(entry.part):
            what = {"chartsheet": "a chart sheet", "dialogsheet": "a dialog sheet", "macrosheet": "a macro sheet"}
            raise TableError(
                f"The tab {entry.name!r} of {self.path.name} is {what.get(entry.kind, 'not a worksheet')}, "
                "not a grid of cells, so it cannot hold articles; pass the tab that holds them "
                "as the worksheet (--worksheet)."
            )
        return entry

    def _refuse_unsafe(self, state: _State) -> None:
        """Refuse what a write could only damage: formulas filling sheetsync's columns, no room."""
        sheet = state.sheet
        header = [header_key(cell_text(v)) for v in sheet.rows.get(1, [])]
        owned = {i + 1: h for i, h in enumerate(header) if h in _OWNED}
        for ref in sheet.formula_ranges:
            bounds = parse_range(ref)
            if bounds is None:
                continue
            r1, c1, r2, c2 = bounds
            hit = [col for col in owned if c1 <= col <= c2 and r2 >= 2]
            if hit:
                name = sheet.rows[1][hit[0] - 1]
                raise TableError(
                    f"{state.entry.name}!{ref} is one shared or array formula that fills "
                    f"sheetsync's column {column_letters(hit[0])} ({name}); sheetsync would have to "
                    "break it to write there. Move the formula to another column (or convert it "
                    "to values), then run again."
                )
        missing = len([h for h in _OWNED if h not in header])
        if missing and max(sheet.width, len(header)) + missing > MAX_COLUMN:
            raise TableError(self._no_room_message(state, missing))

    def _no_room_message(self, state: _State, count: int) -> str:
        sheet = state.sheet
        far = next((n for n in sorted(sheet.rows) if len(sheet.rows[n]) >= sheet.width), 1)
        return (
            f"{state.entry.name}: row {far} has a value in column {column_letters(sheet.width)}, "
            f"so there is no room after it for sheetsync's {count} column(s) (Excel stops at "
            f"column {column_letters(MAX_COLUMN)}); delete or move that value and run again."
        )

    def _tables(self, state: _State) -> list[tuple[str, bytes]]:
        """(zip path, xml) of each Excel Table on the articles tab."""
        rels = {r.id: r for r in state.package.rels(state.entry.part)}
        out = []
        for rel_id in state.sheet.table_rel_ids:
            rel = rels.get(rel_id)
            if rel and rel.type == "table" and state.package.has(rel.target):
                out.append((rel.target, state.package.read(rel.target)))
        return out

    def _table_notes(self, state: _State) -> list[str]:
        """Say now when a Table or filter cannot take in sheetsync's columns, before a write."""
        notes = []
        header = [cell_text(v) for v in state.sheet.rows.get(1, [])]
        last = max(state.sheet.width, len(header))
        for _, xml in self._tables(state):
            root = parse(xml)
            bounds = parse_range(root.get("ref", ""))
            if bounds is None:
                continue
            r1, c1, r2, c2 = bounds
            owned_inside = any(header_key(h) in _OWNED for h in header[c1 - 1 : c2])
            owned_outside = any(
                header_key(h) in _OWNED for i, h in enumerate(header) if not c1 - 1 <= i < c2
            )
            if owned_inside and not owned_outside:
                continue
            if (r1 != 1 or c2 < last) or owned_outside:
                name = root.get("displayName") or root.get("name") or "a table"
                notes.append(
                    f"{state.entry.name}: the table {name} ({root.get('ref')}) does not reach "
                    "sheetsync's columns, so sorting it moves the articles without their task ids; "
                    "sheetsync then holds such rows with a note. Resize the table over sheetsync's "
                    "columns to keep them together."
                )
        return notes

    def _explain_merged_header(self, state: _State, header: list[str]) -> None:
        """A required column missing from a header row with merged cells: say the merge is why.

        Only the first cell of a merge holds its text, so a header merged over several
        columns leaves the others without one; "no article_body column" alone would not tell
        the person what to change.
        """
        merged = [ref for ref in state.sheet.merges if (b := parse_range(ref)) and b[0] == 1 and b[3] > b[1]]
        if not merged:
            return
        from ...sheet import map_header  # the core's own header rules, so the two never disagree

        try:
            map_header(header)
        except TableError as exc:
            shown = ", ".join(merged[:_MAX_MERGE_NOTES])
            raise TableError(
                f"{str(exc).rstrip('.')}. {state.entry.name}: header cells {shown} are merged, so "
                "only the first cell of each has a header; unmerge them and give every column its "
                "own header in row 1."
            ) from None

    @staticmethod
    def _merged_cells(sheet: Sheet) -> dict[tuple[int, int], tuple[int, int]]:
        """Every merged cell other than a top-left one -> its top-left cell."""
        out: dict[tuple[int, int], tuple[int, int]] = {}
        for ref in sheet.merges:
            bounds = parse_range(ref)
            if bounds is None:
                continue
            r1, c1, r2, c2 = bounds
            if (r2 - r1 + 1) * (c2 - c1 + 1) > 1_000_000:
                continue  # nobody merges a million cells on purpose; do not spend memory on it
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    if (r, c) != (r1, c1):
                        out[(r, c)] = (r1, c1)
        return out

    def _merge_notes(self, state: _State) -> list[str]:
        ranges = [r for r in state.sheet.merges if r]
        if not ranges:
            return []
        notes = []
        header_merges = []
        for ref in ranges:
            bounds = parse_range(ref)
            if bounds and bounds[0] == 1 and bounds[3] > bounds[1]:
                header_merges.append(ref)
        if header_merges:
            shown = ", ".join(header_merges[:_MAX_MERGE_NOTES])
            notes.append(
                f"{state.entry.name}: header cells {shown} are merged, so only the first cell of "
                "each names a column and the columns under the rest have no header; unmerge them "
                "and give every column its own header in row 1."
            )
        header = [header_key(cell_text(v)) for v in state.sheet.rows.get(1, ())]
        owned = {i + 1 for i, h in enumerate(header) if h in _OWNED}
        blocked = []
        for ref in ranges:
            bounds = parse_range(ref)
            if bounds and bounds[2] >= 2 and any(bounds[1] <= c <= bounds[3] for c in owned):
                blocked.append(ref)
        if blocked:
            notes.append(
                f"{state.entry.name}: cells {', '.join(blocked[:_MAX_MERGE_NOTES])} are merged in "
                "sheetsync's columns, so the rows under them cannot get their own task ids and "
                "statuses there; unmerge them."
            )
        shown = ", ".join(ranges[:_MAX_MERGE_NOTES])
        more = f" and {len(ranges) - _MAX_MERGE_NOTES} more" if len(ranges) > _MAX_MERGE_NOTES else ""
        notes.append(
            f"{state.entry.name}: cells {shown}{more} are merged, so only the top-left cell of each is "
            "read; unmerge them if every row needs its own value."
        )
        return notes

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

    # --- writing -----------------------------------------------------------------------------

    def _grow_tables(
        self, state: _State, new_columns: dict[int, str], replaced: dict[str, save.Content], workbook_xml: bytes
    ) -> tuple[int, bytes]:
        """Let a Table or AutoFilter that ends just left of the new columns take them in."""
        first, last = min(new_columns), max(new_columns)
        if sorted(new_columns) != list(range(first, last + 1)):
            return 0, workbook_xml
        for part, xml in self._tables(state):
            root = parse(xml)
            bounds = parse_range(root.get("ref", ""))
            if bounds is None or root.get("headerRowCount", "1") == "0":
                continue
            r1, c1, r2, c2 = bounds
            if r1 == 1 and c2 + 1 == first:
                replaced[part] = grow_table(xml, sorted(new_columns.items()))
        filter_to = 0
        bounds = parse_range(state.sheet.autofilter) if state.sheet.autofilter else None
        if bounds is not None and bounds[0] == 1 and bounds[3] + 1 == first:
            filter_to = last
            workbook_xml = self._grow_filter_name(state, workbook_xml, last)
        return filter_to, workbook_xml

    def _grow_filter_name(self, state: _State, workbook_xml: bytes, last: int) -> bytes:
        """The hidden _FilterDatabase name Excel keeps for an AutoFilter, grown with it."""
        pattern = re.compile(
            rb'(<(?:[\w.-]+:)?definedName\b[^>]*\bname="_xlnm\._FilterDatabase"[^>]*\blocalSheetId="'
            + str(state.entry.index).encode()
            + rb'"[^>]*>)([^<]*)(<)'
        )
        alt = re.compile(
            rb'(<(?:[\w.-]+:)?definedName\b[^>]*\blocalSheetId="'
            + str(state.entry.index).encode()
            + rb'"[^>]*\bname="_xlnm\._FilterDatabase"[^>]*>)([^<]*)(<)'
        )

        def grow(m: re.Match[bytes]) -> bytes:
            return m.group(1) + grow_defined_range(m.group(2).decode(), last).encode() + m.group(3)

        new, n = pattern.subn(grow, workbook_xml, count=1)
        if not n:
            new, n = alt.subn(grow, workbook_xml, count=1)
        return new if n else workbook_xml

    def _drop_from_calc_chain(self, state: _State, cells: set[tuple[int, int]], replaced: dict[str, save.Content]) -> None:
        """Excel reports a damaged file when its calculation chain names a cell without a formula."""
        chain = next((r.target for r in state.package.workbook_rels if r.type == "calcChain"), "")
        if not chain or not state.package.has(chain):
            return
        xml = state.package.read(chain)
        refs = {f"{column_letters(c)}{r}".encode() for r, c in cells}
        sheet_id = str(state.entry.sheet_id).encode()
        current = b""
        kept_sheet = b""
        out = []
        pos = 0
        for m in re.finditer(rb"<(?:[\w.-]+:)?c\b[^>]*?/>", xml):
            tag = m.group(0)
            i = re.search(rb'\si="([0-9]+)"', tag)
            if i:
                current = i.group(1)
            r = re.search(rb'\sr="([A-Za-z]+[0-9]+)"', tag)
            out.append(xml[pos : m.start()])
            pos = m.end()
            if current == sheet_id and r and r.group(1) in refs:
                continue
            if not i and current != kept_sheet:
                # The entry relied on a removed one for its sheet: name the sheet itself.
                tag = tag[:2] + b' i="' + current + b'"' + tag[2:] if tag[1:2] == b"c" else tag
            kept_sheet = current
            out.append(tag)
        out.append(xml[pos:])
        replaced[chain] = b"".join(out)

    def _replace_tab(
        self, state: _State, tab: Tab, replaced: dict[str, save.Content], added: dict[str, bytes], workbook_xml: bytes
    ) -> bytes:
        package = state.package
        rows = [tab.header, *tab.rows]
        header_style = link_style = None
        times = None
        links = tab_links(rows, "result_url")
        if tab.widths and package.styles and package.has(package.styles):
            styles = Styles(replaced.get(package.styles) or package.read(package.styles))
            header_style = header_style_id(styles)
            if links:
                link_style = link_style_id(styles)
            if any(h in C.PLACEMENT_TIME_COLUMNS for h in tab.header):
                times = (C.PLACEMENT_TIME_COLUMNS, utc_time_style_id(styles), package.date1904)
            if styles.changed:
                replaced[package.styles] = styles.xml

        def worksheet(rows: list[tuple[str, ...]], ns: str) -> bytes:
            return tab_worksheet(rows, ns, tab.widths, header_style, links, times, number_columns(tab), link_style)

        def link_targets(part: str) -> None:
            # The tab is sheetsync's whole: its relationships are its links and nothing else.
            rels = rels_path(part)
            if links or package.has(rels) or rels in added:
                (replaced if package.has(rels) else added)[rels] = hyperlink_rels(links)
            if links:
                _know_rels_parts(package, replaced)

        existing = [s for s in package.sheets if s.name.casefold() == tab.title.casefold()]
        if existing and existing[0].part == state.entry.part:
            raise TableError(
                f"The tab {tab.title!r} holds the articles, so it cannot also hold {tab.title!r} "
                "details; rename the articles tab and run again."
            )
        if existing and existing[0].kind == "worksheet" and package.has(existing[0].part):
            replaced[existing[0].part] = worksheet(rows, package.main_ns)
            link_targets(existing[0].part)
            return workbook_xml
        if existing:
            raise TableError(
                f"{self.path.name} has a tab {existing[0].name!r} that is not a worksheet; rename "
                f"it so sheetsync can add its {tab.title!r} tab, then run again."
            )
        folder = os.path.dirname(package.workbook_part)
        n = 1
        while package.has(f"{folder}/worksheets/sheet{n}.xml") or f"{folder}/worksheets/sheet{n}.xml" in added:
            n += 1
        part = f"{folder}/worksheets/sheet{n}.xml".lstrip("/")
        added[part] = worksheet(rows, package.main_ns)
        link_targets(part)
        # The relationship: a fresh id, the same relationship namespace as the other sheets.
        rels_part = rels_path(package.workbook_part)
        rels_xml = package.read(rels_part)
        ids = set(re.findall(rb'\sId="([^"]+)"', rels_xml))
        k = len(ids) + 1
        while f"rId{k}".encode() in ids:
            k += 1
        rel_id = f"rId{k}"
        sample = re.search(rb'Type="([^"]*/)worksheet"', rels_xml)
        base = sample.group(1).decode() if sample else "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
        rel = f'<Relationship Id="{rel_id}" Type="{base}worksheet" Target="worksheets/sheet{n}.xml"/>'
        replaced[rels_part] = _insert_before_close(rels_xml, b"Relationships", rel.encode())
        types = replaced.get(CONTENT_TYPES) or package.read(CONTENT_TYPES)
        override = f'<Override PartName="/{part}" ContentType="{WORKSHEET_TYPE}"/>'
        replaced[CONTENT_TYPES] = _insert_before_close(types, b"Types", override.encode())
        # The sheet list.
        root = parse(workbook_xml)
        r_prefix = next((p for p, uri in (root.nsmap or {}).items() if uri and uri.endswith("relationships") and p), None)
        sheet_ids = [int(s.get("sheetId", "0") or 0) for s in root.iter(f"{{{package.main_ns}}}sheet")]
        main_prefix = next((p for p, uri in (root.nsmap or {}).items() if uri == package.main_ns and p), None)
        el = f"{main_prefix}:sheet" if main_prefix else "sheet"
        if r_prefix:
            r_attr = f'{r_prefix}:id="{rel_id}"'
        else:
            ns = next((uri for uri in (root.nsmap or {}).values() if uri and uri.endswith("relationships")), None)
            ns = ns or "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
            r_attr = f'xmlns:sr="{ns}" sr:id="{rel_id}"'
        name = tab.title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        state = ' state="hidden"' if tab.hidden else ""
        entry = f'<{el} name="{name}" sheetId="{max(sheet_ids, default=0) + 1}"{state} {r_attr}/>'
        close = b"sheets" if not main_prefix else f"{main_prefix}:sheets".encode()
        return _insert_before_close(workbook_xml, close, entry.encode())

    def _result_links(
        self,
        state: _State,
        xml: bytes,
        splicer: Splicer,
        edits: dict[int, dict[int, str]],
        replaced: dict[str, save.Content],
        added: dict[str, bytes],
    ) -> bytes | None:
        """The worksheet's new tail when the result-URL cells' hyperlinks must change, else None.

        Every result-URL cell of the tab is compared with its link, not only the cells written
        now, so that a sheet synced before links existed gets them with its next write.
        """
        package, sheet = state.package, state.sheet
        header = {i + 1: cell_text(v) for i, v in enumerate(sheet.rows.get(1, []))}
        header.update(edits.get(1, {}))
        columns = {c for c, text in header.items() if text and getattr(L.column_for(text), "name", "") == C.RESULT_URLS}
        if not columns:
            return None
        wanted: dict[tuple[int, int], str] = {}
        for number, values in sheet.rows.items():
            for c in columns:
                if number > 1 and c <= len(values) and isinstance(values[c - 1], str):
                    url = link_target(values[c - 1])
                    if url:
                        wanted[(number, c)] = url
        for number, row in edits.items():
            for c in columns & row.keys():
                url = link_target(row[c]) if number > 1 else ""
                if url:
                    wanted[(number, c)] = url
                else:
                    wanted.pop((number, c), None)
        tail_at = splicer.tail_start(xml)
        if not wanted and xml.find(b"hyperlink", tail_at) < 0:
            return None
        part = rels_path(state.entry.part)
        # The header notes of columns added in this write may have made or changed the rels.
        rels = replaced.get(part) or added.get(part) or (package.read(part) if package.has(part) else None)
        strict = package.main_ns == MAIN_NAMESPACES[1]
        edit = reconcile(xml, tail_at, splicer.prefix, bytes(rels) if rels else None, wanted, columns, REL_NAMESPACES[1 if strict else 0])
        if edit is None:
            return None
        if edit.rels_created or part in added:
            added[part] = edit.rels
            _know_rels_parts(package, replaced)
        else:
            replaced[part] = edit.rels
        return edit.tail

    @staticmethod
    def _columns_named(state: _State, edits: dict[int, dict[int, str]], name: str) -> set[int]:
        header = {i + 1: cell_text(v) for i, v in enumerate(state.sheet.rows.get(1, []))}
        header.update(edits.get(1, {}))
        return {c for c, text in header.items() if text and getattr(L.column_for(text), "name", "") == name}

    def _time_columns(self, state: _State, edits: dict[int, dict[int, str]]) -> set[int]:
        """The last_synced column(s) about to receive a UTC time."""
        columns = self._columns_named(state, edits, C.LAST_SYNCED)
        return {c for c in columns if any(utc_serial(row.get(c, "")) for n, row in edits.items() if n > 1)}

    def _link_columns(self, state: _State, edits: dict[int, dict[int, str]]) -> set[int]:
        """The result-URL column(s) written now: their cells gain or lose the look of a link."""
        columns = self._columns_named(state, edits, C.RESULT_URLS)
        return {c for c in columns if any(c in row for n, row in edits.items() if n > 1)}

    def _time_styles(
        self, state: _State, xml: bytes, splicer: Splicer, edits: dict[int, dict[int, str]], replaced: dict[str, save.Content]
    ) -> dict[int, dict[bytes | None, bytes]]:
        """The last_synced column(s) about to receive a UTC time -> the styles their cells take."""
        columns = self._time_columns(state, edits)
        styles = self._styles_now(state, replaced) if columns else None
        if styles is None:
            return {}
        out = {c: utc_styles(styles, splicer.styles_in_column(xml, c)) for c in sorted(columns)}
        if styles.changed:
            replaced[state.package.styles] = styles.xml
        return out

    def _link_styles(
        self, state: _State, xml: bytes, splicer: Splicer, edits: dict[int, dict[int, str]], replaced: dict[str, save.Content]
    ) -> dict[str, dict[int, dict[bytes | None, bytes]]]:
        """`SheetEdit.link_styles` and `unlinked_styles` for the result-URL columns written now."""
        columns = self._link_columns(state, edits)
        styles = self._styles_now(state, replaced) if columns else None
        if styles is None:
            return {}
        out: dict[str, dict[int, dict[bytes | None, bytes]]] = {"link_styles": {}, "unlinked_styles": {}}
        for c in sorted(columns):
            written = [row[c] for n, row in edits.items() if n > 1 and c in row]
            used = splicer.styles_in_column(xml, c)
            if any(link_target(text) for text in written):
                out["link_styles"][c] = link_styles(styles, used)
            if any(not link_target(text) for text in written):
                out["unlinked_styles"][c] = link_styles(styles, used, linked=False)
        if styles.changed:
            replaced[state.package.styles] = styles.xml
        return out

    @staticmethod
    def _styles_now(state: _State, replaced: dict[str, save.Content]) -> Styles | None:
        """The styles part as this write has it so far; None when the workbook has none."""
        package = state.package
        if not package.styles or not package.has(package.styles):
            return None
        existing = replaced.get(package.styles)
        return Styles(existing if isinstance(existing, bytes) else package.read(package.styles))

    # --- layout ------------------------------------------------------------------------------

    @staticmethod
    def _heights(sheet: Sheet, edits: dict[int, dict[int, str]]) -> dict[int, float]:
        """Rows whose written cells (result URLs one per line, long notes) need more than a line."""
        header = {i + 1: cell_text(v) for i, v in enumerate(sheet.rows.get(1, []))}
        header.update(edits.get(1, {}))
        layouts = {col: L.column_for(text) for col, text in header.items() if text}
        # A cell needs a second line only when it holds a line break or is wider than its
        # column: most rows are ruled out by that alone.
        fits = {c: max(1, lay.width - 1) for c, lay in layouts.items() if lay is not None and lay.wrap}
        out = {}
        for row, cells in edits.items():
            if row == 1 or not any(c in fits and ("\n" in t or len(t) > fits[c]) for c, t in cells.items()):
                continue
            wrapped = [(layouts[c], t) for c, t in cells.items() if t and layouts.get(c) is not None]
            points = L.row_points([(lay, t) for lay, t in wrapped if lay is not None])
            if points > L.LINE_POINTS + 2:
                out[row] = points
        return out

    @staticmethod
    def _placed(new_columns: dict[int, str]) -> list[L.Placed]:
        out = []
        for col, text in sorted(new_columns.items()):
            layout = L.column_for(text)
            if layout is not None:
                out.append(L.Placed(col, text, layout))
        return out

    def _header_notes(
        self, state: _State, xml: bytes, placed: Sequence[L.Placed], replaced: dict, added: dict, notes: list[str]
    ) -> tuple[bytes, tuple[int, ...], tuple[int, ...]]:
        """`xml` with the header notes of `placed` added as cell notes where the header has none,
        the columns whose header got one, and those whose note must be an input message
        instead (`notes` says why)."""
        done = add_header_notes(
            state.package, state.entry.part, xml, placed, replaced, added,
            widths={p.col: p.layout.width + 0.7 for p in placed},
        )
        if done.reason:
            notes.append(
                f"The header notes show when a header cell is selected (as input messages), not as "
                f"notes on the header cells: {done.reason}. The tab's own notes were left as they are."
            )
        return done.xml, done.noted, done.prompts

    def set_up(self) -> SetUpResult:
        """`sheetsync init`: missing columns, header colours and notes, widths, frozen header,
        the ready list, status colours and the "How to fill this in" tab, in one save.

        Only what is missing is added, so a second run writes nothing.
        """
        self._check_lock()
        self.check_writable()
        state = self._current()
        package, sheet = state.package, state.sheet
        header = [cell_text(v) for v in sheet.rows.get(1, [])]
        plan = L.plan_set_up(header, sheet.width)
        xml = state.xml if state.xml is not None else package.read(state.entry.part)
        replaced: dict[str, bytes] = {}
        added: dict[str, bytes] = {}
        notes = list(state.notes)
        new_xml, noted, prompts = self._header_notes(state, xml, plan.columns, replaced, added, notes)
        new_xml, styles = lay_out(package, new_xml, plan.columns, freeze=True, prompts=prompts, noted=noted)
        workbook_xml = package.workbook_xml
        if plan.added:
            cells = {1: {p.col: p.header for p in plan.added}}
            too_far = [p for p in plan.added if p.col > MAX_COLUMN]
            if too_far:
                raise TableError(self._no_room_message(state, len(too_far)))
            new_columns = {p.col: p.header for p in plan.added}
            filter_to, workbook_xml = self._grow_tables(state, new_columns, replaced, workbook_xml)
            new_xml = Splicer(element_prefix(new_xml)).edit(new_xml, SheetEdit(cells=cells, new_columns={}, filter_to=filter_to))
        howto = next((e for e in package.sheets if e.name.casefold() == L.HOWTO_TAB.casefold()), None)
        howto_xml = howto_worksheet(package.main_ns, styles)
        if howto is None:
            before = set(added)
            workbook_xml = self._replace_tab(state, Tab(L.HOWTO_TAB, (), ()), replaced, added, workbook_xml)
            part = next(p for p in added if p not in before and not p.endswith(".rels"))
            added[part] = howto_xml
        elif howto.kind == "worksheet" and package.has(howto.part):
            rows = self._tab_rows(state, howto.name, 1) or ()
            first = rows[0][0] if rows and rows[0] else ""
            if first.casefold() != L.HOWTO_TAB.casefold():
                notes.append(
                    f"The tab {howto.name!r} is not sheetsync's, so it was left as it is; rename it "
                    "and run init again to get sheetsync's instructions."
                )
            elif package.read(howto.part) != howto_xml:
                replaced[howto.part] = howto_xml
        if new_xml != xml:
            replaced[state.entry.part] = new_xml
        if styles.changed:
            replaced[package.styles] = styles.xml
        if workbook_xml is not package.workbook_xml:
            replaced[package.workbook_part] = workbook_xml
        if replaced or added:
            data = save.rebuild(package, replaced, added)
            self._check_lock()
            save.write_atomically(self.path, data, state.data, self._read_bytes, SheetBusyError)
            self._state = None
        return SetUpResult(
            added=tuple(p.header for p in plan.added), changed=bool(replaced or added), notes=tuple(notes)
        )

    def close(self) -> None:
        self._state = None


def _know_rels_parts(package: Package, replaced: dict[str, save.Content]) -> None:
    """The content types name relationships parts, as a new rels part needs."""
    types = replaced.get(CONTENT_TYPES) or package.read(CONTENT_TYPES)
    if not re.search(rb'Extension="rels"', bytes(types)):
        default = b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        replaced[CONTENT_TYPES] = _insert_before_close(bytes(types), b"Types", default)


def _insert_before_close(xml: bytes, element: bytes, addition: bytes) -> bytes:
    """`xml` with `addition` inserted just before `</element>`."""
    end = xml.rfind(b"</" + element + b">")
    if end < 0:
        # A self-closing root (<Relationships .../>) opens up to take the addition.
        m = re.search(rb"<" + re.escape(element) + rb"\b([^>]*?)/>", xml)
        if m is None:
            raise TableError(f"The workbook's {element.decode()} list could not be found; open it in Excel, save it, and run again.")
        return xml[: m.start()] + b"<" + element + m.group(1) + b">" + addition + b"</" + element + b">" + xml[m.end() :]
    return xml[:end] + addition + xml[end:]


__all__ = ["XlsxTable"]
