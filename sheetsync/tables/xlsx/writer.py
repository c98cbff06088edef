"""New versions of the few parts a write-back edits, spliced into the original bytes.

The articles worksheet is edited as text: only the rows that receive a cell are rebuilt, and in
them only the cells sheetsync writes; every other byte of the part is copied as it was. Cells
are written as inline strings (`t="inlineStr"`), so the shared-string table is never touched
and a value such as "=1+1" stays text.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from ..base import as_number, strip_control
from .links import link_target
from .package import merge_cols
from .reader import column_index, column_letters, parse_range, range_ref

# Characters XML 1.0 cannot carry at all, beyond the C0 controls strip_control removes.
_NOT_XML = re.compile("[\ufffe\uffff\ud800-\udfff]")
# A literal "_x0041_" in text would be read back by Excel as "A": escape its underscore.
_LOOKS_ESCAPED = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_R = re.compile(rb'\sr="([A-Za-z]{1,3})([0-9]+)"')
_ROW_R = re.compile(rb'\sr="([0-9]+)"')
_S = re.compile(rb'\ss="([0-9]+)"')
_SPANS = re.compile(rb'\sspans="[^"]*"')
_HT = re.compile(rb'\sht="([0-9.]+)"')
_CUSTOM_HEIGHT = re.compile(rb'\scustomHeight="[^"]*"')
_REF_ATTR = re.compile(rb'(\sref=")([^"]*)(")')
_WIDE = {"notes": 48, "result_urls": 48, "resulturls": 48}


_PLAIN = re.compile(r"[^\x00-\x1f\x7f&<>_\ud800-\udfff\ufffe\uffff]*\Z")


def xml_text(value: str) -> str:
    """`value` as the escaped content of a <t> element."""
    if _PLAIN.match(value):
        return value  # nothing to strip, escape or protect: the common case
    text = _NOT_XML.sub("", strip_control(value))
    if "_x" in text:
        text = _LOOKS_ESCAPED.sub(r"_x005F_\1", text)
    return escape(text)


@dataclass(frozen=True)
class SheetEdit:
    """What to change in one worksheet: cell texts by row then column ("" clears a cell)."""

    cells: Mapping[int, Mapping[int, str]]
    #: Columns that just received their header: they get a width in <cols>.
    new_columns: Mapping[int, str]
    #: Grow the sheet's autoFilter to this last column (0 = leave it).
    filter_to: int = 0
    #: Row -> the height (points) its written cells need; a row is made taller, never shorter.
    heights: Mapping[int, float] = field(default_factory=dict)
    #: Everything after </sheetData>, when the write changes it (the hyperlinks); None = as it is.
    tail: bytes | None = None
    #: Column -> {style the cell had (or its column gives; None: none) -> style}: in these
    #: columns a UTC minute ("2026-12-01T09:05Z") becomes a date-time cell of that style.
    time_styles: Mapping[int, Mapping[bytes | None, bytes]] = field(default_factory=dict)
    #: Column -> {style -> style}: in these columns a cell that gets a link looks like one,
    #: and (`unlinked_styles`) a cell that has none no longer does.
    link_styles: Mapping[int, Mapping[bytes | None, bytes]] = field(default_factory=dict)
    unlinked_styles: Mapping[int, Mapping[bytes | None, bytes]] = field(default_factory=dict)
    date1904: bool = False


class Splicer:
    """Regexes for one worksheet's element prefix (b"" or b"x:")."""

    def __init__(self, prefix: bytes):
        p = re.escape(prefix)
        self.prefix = prefix
        self.sheet_data = re.compile(rb"<" + p + rb"sheetData\b[^>]*?(/?)>")
        self.sheet_data_end = b"</" + prefix + b"sheetData>"
        self.row = re.compile(rb"<" + p + rb"row\b([^>]*?)(?:/>|>(.*?)</" + p + rb"row>)", re.S)
        self.cell = re.compile(rb"<" + p + rb"c\b([^>]*?)(?:/>|>(.*?)</" + p + rb"c>)", re.S)
        self.dimension = re.compile(rb"<" + p + rb"dimension\b[^>]*?/>")
        self.cols = re.compile(rb"<" + p + rb"cols\b[^>]*>(.*?)</" + p + rb"cols>", re.S)
        self.col = re.compile(rb"<" + p + rb"col\b[^>]*?/>")
        self.autofilter = re.compile(rb"<" + p + rb"autoFilter\b[^>]*?>")
        #: Column -> the style its <col> gives: a new cell below the header takes it, as a
        #: cell a person types into that column would (wrapping, alignment).
        self.column_styles: dict[int, bytes] = {}
        self.time_styles: Mapping[int, Mapping[bytes | None, bytes]] = {}
        self.link_styles: Mapping[int, Mapping[bytes | None, bytes]] = {}
        #: Column -> the styles of its cells among rows that are not in the xml at hand (a
        #: streamed part's skeleton): `stream.scan` found them.
        self.body_styles: Mapping[int, Iterable[bytes | None]] = {}
        self.unlinked_styles: Mapping[int, Mapping[bytes | None, bytes]] = {}
        self.date1904 = False
        self._openers: dict[int, bytes] = {}
        self._row_at = 0
        self._letters: dict[int, bytes] = {}
        #: Every cell of the sheet names itself (r="..." first), so no row needs counting.
        self.cells_named = False
        x = prefix.replace(b"%", b"%%")
        self._template = (
            b"<" + x + b'c r="%s"%s t="inlineStr"><' + x + b'is><' + x + b't xml:space="preserve">%s</'
            + x + b"t></" + x + b"is></" + x + b"c>"
        )

    def new_cell(self, row: int, col: int, text: str, style: bytes | None) -> bytes:
        letters = self._letters.get(col)
        if letters is None:
            letters = self._letters[col] = column_letters(col).encode()
        ref = letters + b"%d" % row
        if style is None and row > 1 and text:
            style = self.column_styles.get(col)
        if row > 1 and col in self.time_styles and text:
            serial = utc_serial(text, self.date1904)
            if serial is not None:
                styles = self.time_styles[col]
                p = self.prefix
                s = styles.get(style) or styles[None]
                return b"<" + p + b'c r="' + ref + b'" s="' + s + b'"><' + p + b"v>" + serial.encode() + b"</" + p + b"v></" + p + b"c>"
        if row > 1 and (col in self.link_styles or col in self.unlinked_styles):
            if link_target(text):
                styles = self.link_styles[col]
                style = styles.get(style) or styles[None]
            elif style is not None:
                style = self.unlinked_styles[col].get(style, style)
        s = b' s="' + style + b'"' if style else b""
        if text == "":
            return b"<" + self.prefix + b'c r="' + ref + b'"' + s + b"/>" if style else b""
        return self._template % (ref, s, xml_text(text).encode("utf-8"))

    def edit_row(
        self, attrs: bytes, inner: bytes | None, number: int, edits: Mapping[int, str], height: float = 0.0
    ) -> bytes:
        """One row with `edits` (column -> text) applied; its other cells copied as they were."""
        pending = sorted(edits.items())
        # "spans" is only a hint to readers; it would be wrong once cells are added.
        attrs = _SPANS.sub(b"", attrs).rstrip(b"/ \t\r\n") if attrs else b""
        attrs = taller(attrs, height)
        p = self.prefix
        if not inner:
            cells = b"".join(self.new_cell(number, c, t, None) for c, t in pending)
            return b"<" + p + b"row" + attrs + b">" + cells + b"</" + p + b"row>"
        fast = self._edit_row_fast(attrs, inner, number, pending)
        if fast is not None:
            return fast
        pieces: list[bytes] = []
        pos = 0
        last_end = 0
        col = 0
        i = 0
        first_col = pending[0][0]
        for m in self.cell.finditer(inner):
            last_end = m.end()
            r = _R.search(m.group(1))
            col = column_index(r.group(1).decode()) if r else col + 1
            if col < first_col or i >= len(pending):
                continue  # copied with the next slice
            pieces.append(inner[pos : m.start()])
            while i < len(pending) and pending[i][0] < col:
                pieces.append(self.new_cell(number, *pending[i], None))
                i += 1
            if i < len(pending) and pending[i][0] == col:
                style = _S.search(m.group(1))
                pieces.append(self.new_cell(number, col, pending[i][1], style.group(1) if style else None))
                i += 1
            else:
                pieces.append(m.group(0))
            pos = m.end()
        pieces.append(inner[pos:last_end])
        pieces.extend(self.new_cell(number, c, t, None) for c, t in pending[i:])
        # Whatever follows the last cell (an <extLst>) stays after the cells.
        pieces.append(inner[last_end:])
        return b"<" + p + b"row" + attrs + b">" + b"".join(pieces) + b"</" + p + b"row>"

    def _edit_row_fast(
        self, attrs: bytes, inner: bytes, number: int, pending: list[tuple[int, str]]
    ) -> bytes | None:
        """The usual row, found by the cells' own references; None when it needs a full scan.

        Every cell names itself (r="J5") in files Excel writes, so each edited cell is found
        with one search, and a missing one goes after the last cell when it is right of it.
        """
        p = self.prefix
        opener = b"<" + p + b'c r="'
        if not self.cells_named and inner.count(opener) != inner.count(b"<" + p + b"c ") + inner.count(b"<" + p + b"c>"):
            return None  # a cell without its reference: positions must be counted
        last = inner.rfind(opener)
        last_col = 0
        if last >= 0:
            r = _R.match(inner, last + len(opener) - 4)
            if r is None:
                return None
            last_col = column_index(r.group(1).decode())
        suffix = b"%d\"" % number
        replaced: list[tuple[int, int, bytes]] = []
        appended: list[bytes] = []
        openers = self._openers
        for col, text in pending:
            start = openers.get(col)
            if start is None:
                start = openers[col] = opener + column_letters(col).encode()
            at = inner.find(start + suffix)
            if at >= 0:
                m = self.cell.match(inner, at)
                if m is None:
                    return None
                style = _S.search(m.group(1))
                replaced.append((at, m.end(), self.new_cell(number, col, text, style.group(1) if style else None)))
            elif col > last_col:
                appended.append(self.new_cell(number, col, text, None))
            else:
                return None  # it goes between existing cells
        pieces = []
        pos = 0
        for start, end, cell in sorted(replaced):
            pieces.append(inner[pos:start])
            pieces.append(cell)
            pos = end
        if appended:
            tail_at = len(inner)
            if last >= 0:
                m = self.cell.match(inner, last)
                if m is None:
                    return None
                tail_at = max(m.end(), pos)
            pieces.append(inner[pos:tail_at])
            pieces.extend(appended)
            pieces.append(inner[tail_at:])
        else:
            pieces.append(inner[pos:])
        return b"<" + p + b"row" + attrs + b">" + b"".join(pieces) + b"</" + p + b"row>"

    def edit(self, xml: bytes, edit: SheetEdit) -> bytes:
        """`xml` with the cells, widths, dimension and filter of `edit` applied."""
        return b"".join(self.edit_pieces(xml, edit))

    def edit_pieces(self, xml: bytes, edit: SheetEdit) -> Iterator[bytes | memoryview]:
        """The new part as pieces to write one after another.

        The unchanged stretches are views of `xml` and each edited row is built only when its
        turn comes, so a large sheet is never held twice in memory.
        """
        opened, lo, hi, tail_at = self._bounds(xml)
        head, tail = self._around(xml, opened, tail_at, edit)
        pending = sorted(edit.cells)
        found = self._find_rows(xml, lo, hi, pending)
        yield head
        yield b"<" + self.prefix + b"sheetData>"
        if found is None:
            yield self._edit_rows(xml[lo:hi], pending, edit.cells, edit.heights)
        else:
            yield from self._edited_rows(xml, hi, found, edit.cells, edit.heights)
        yield self.sheet_data_end
        yield tail

    def edit_stream(self, skeleton: bytes, body: Iterable[bytes], edit: SheetEdit) -> Iterator[bytes | memoryview]:
        """`edit_pieces` for a part given as its `skeleton` (the part without the rows inside
        <sheetData>, see `stream.scan`) and its `body` (those rows, in chunks of any size).

        The rows are cut into runs of whole rows as they arrive and each run is edited as
        `edit_pieces` edits the whole body, so the output is the same byte for byte while only
        about one chunk of the part is held at a time.
        """
        opened, lo, hi, tail_at = self._bounds(skeleton)
        if hi != lo:
            raise ValueError("the skeleton still holds rows")
        head, tail = self._around(skeleton, opened, tail_at, edit)
        yield head
        yield b"<" + self.prefix + b"sheetData>"
        yield from self._stream_rows(body, sorted(edit.cells), edit.cells, edit.heights)
        yield self.sheet_data_end
        yield tail

    def _around(self, xml: bytes, opened: re.Match[bytes], tail_at: int, edit: SheetEdit) -> tuple[bytes, bytes]:
        """The new part's head (before <sheetData>) and tail (after it); sets what new cells need."""
        head = xml[: opened.start()]
        self.column_styles = column_styles(head, self.cols, self.col)
        self.time_styles, self.date1904 = edit.time_styles, edit.date1904
        self.link_styles, self.unlinked_styles = edit.link_styles, edit.unlinked_styles
        tail = xml[tail_at:] if edit.tail is None else edit.tail
        head = self._dimension(head, edit)
        if edit.new_columns:
            head = self._widths(head, edit.new_columns)
        if edit.filter_to:
            tail = self._filter(tail, edit.filter_to)
        return head, tail

    def _stream_rows(
        self, body: Iterable[bytes], pending: list[int], cells: Mapping[int, Mapping[int, str]], heights: Mapping[int, float]
    ) -> Iterator[bytes | memoryview]:
        """The edited rows of a body that arrives in chunks, cut after each run's last </row>.

        A run whose rows all carry their numbers takes the fast path (`_find_rows`); any other
        run is scanned row by row, counting from the row before it, as `_edit_rows` would.
        Either way a row comes out as `edit_row` makes it, so the cut points change nothing.
        """
        close = b"</" + self.prefix + b"row>"
        carry = b""
        i = 0
        number = 0  # the last row number seen, for a row that does not say its own
        for chunk in body:
            if i >= len(pending):
                if carry:
                    yield carry
                    carry = b""
                yield chunk  # every edit is done: the rest is copied as it comes
                continue
            buffer = carry + chunk if carry else bytes(chunk)
            cut = buffer.rfind(close)
            if cut < 0:
                carry = buffer
                continue
            cut += len(close)
            run, carry = buffer[:cut], buffer[cut:]
            pieces, i, number = self._edit_run(run, pending, i, number, cells, heights, final=False)
            yield from pieces
        if i < len(pending) or carry:
            pieces, i, number = self._edit_run(carry, pending, i, number, cells, heights, final=True)
            yield from pieces

    def _edit_run(
        self, run: bytes, pending: list[int], i: int, number: int, cells: Mapping[int, Mapping[int, str]],
        heights: Mapping[int, float], *, final: bool,
    ) -> tuple[list[bytes | memoryview], int, int]:
        """One run of whole rows edited: (pieces, how many of `pending` are done, last row number).

        Rows of `pending` past the run's last row wait for a later run; with `final` (the last
        run) they are appended after it.
        """
        if i >= len(pending):
            return [run], i, number
        p = self.prefix
        opener = b"<" + p + b'row r="'
        self.cells_named = False  # a previous run's answer says nothing about this one
        if run.count(opener) == run.count(b"<" + p + b"row ") + run.count(b"<" + p + b"row>"):
            last = run.rfind(opener)
            last_number = number
            if last >= 0:
                end = run.find(b'"', last + len(opener))
                last_number = int(run[last + len(opener) : end])
            j = i
            while j < len(pending) and (final or pending[j] <= last_number):
                j += 1
            found = self._find_rows(run, 0, len(run), pending[i:j], numbered=True)
            if found is not None:
                return list(self._edited_rows(run, len(run), found, cells, heights)), j, last_number
        out, i, number = self._scan_run(run, pending, i, number, cells, heights, final=final)
        return [out], i, number

    def _scan_run(
        self, run: bytes, pending: list[int], i: int, number: int, cells: Mapping[int, Mapping[int, str]],
        heights: Mapping[int, float], *, final: bool,
    ) -> tuple[bytes, int, int]:
        """`_edit_rows` over one run, numbering from `number`; rows past the run wait unless `final`."""
        pieces: list[bytes] = []
        pos = 0
        for m in self.row.finditer(run):
            if i >= len(pending):
                break
            attrs = m.group(1)
            r = _ROW_R.search(attrs)
            number = int(r.group(1)) if r else number + 1
            if number < pending[i]:
                continue
            pieces.append(run[pos : m.start()])
            while i < len(pending) and pending[i] < number:
                n = pending[i]
                pieces.append(self.edit_row(f' r="{n}"'.encode(), None, n, cells[n], heights.get(n, 0.0)))
                i += 1
            if i < len(pending) and pending[i] == number:
                pieces.append(self.edit_row(attrs, m.group(2), number, cells[number], heights.get(number, 0.0)))
                i += 1
            else:
                pieces.append(m.group(0))
            pos = m.end()
        pieces.append(run[pos:])
        if final:
            for n in pending[i:]:
                pieces.append(self.edit_row(f' r="{n}"'.encode(), None, n, cells[n], heights.get(n, 0.0)))
            i = len(pending)
        return b"".join(pieces), i, number

    def _bounds(self, xml: bytes) -> tuple[re.Match[bytes], int, int, int]:
        """<sheetData>'s opening tag, where its rows start and end, and where the part goes on."""
        opened = self.sheet_data.search(xml)
        if opened is None:
            raise ValueError("the worksheet has no <sheetData>")
        if opened.group(1):  # <sheetData/>: no rows at all
            return opened, opened.end(), opened.end(), opened.end()
        hi = xml.find(self.sheet_data_end, opened.end())
        if hi < 0:
            raise ValueError("the worksheet's <sheetData> is not closed")
        return opened, opened.end(), hi, hi + len(self.sheet_data_end)

    def tail_start(self, xml: bytes) -> int:
        """Where the part goes on after its </sheetData> (or <sheetData/>)."""
        return self._bounds(xml)[3]

    def styles_in_column(self, xml: bytes, col: int) -> set[bytes | None]:
        """The styles the cells of column `col` have now, and the one its <col> gives."""
        opened = self._bounds(xml)[0]
        found: set[bytes | None] = {column_styles(xml[: opened.start()], self.cols, self.col).get(col)}
        # Added in the order the cells came, as the scan below would have added them.
        found.update(self.body_styles.get(col, ()))
        for m in cell_in_column(self.prefix, col).finditer(xml, opened.end()):
            found.add(style_of(m.group(1)))
        return found

    def _find_rows(
        self, xml: bytes, lo: int, hi: int, pending: list[int], *, numbered: bool = False
    ) -> list[tuple[int, ...]] | None:
        """Where each edited row is in xml[lo:hi], found by its own number (r="5" first, as
        Excel writes it): (number, start, end of open tag, end) per row, (number,) for a row
        to append; None when some row needs the full scan. `numbered`: the caller has already
        found that every row says its number."""
        p = self.prefix
        opener = b"<" + p + b'row r="'
        if not numbered and xml.count(opener, lo, hi) != xml.count(b"<" + p + b"row ", lo, hi) + xml.count(b"<" + p + b"row>", lo, hi):
            return None
        close = b"</" + p + b"row>"
        cell = b"<" + p + b'c r="'
        # Checked once for the whole sheet, instead of once per edited row.
        self.cells_named = xml.count(cell, lo, hi) == xml.count(b"<" + p + b"c ", lo, hi) + xml.count(b"<" + p + b"c>", lo, hi)
        last_number = 0
        last = xml.rfind(opener, lo, hi)
        if last >= 0:
            end = xml.find(b'"', last + len(opener), hi)
            last_number = int(xml[last + len(opener) : end])
        found: list[tuple[int, ...]] = []
        pos = lo
        for number in pending:
            if number > last_number:
                found.append((number,))
                continue
            at = xml.find(opener + b'%d"' % number, pos, hi)
            if at < 0:
                return None  # a row between existing ones: the full scan places it
            gt = xml.find(b">", at, hi)
            if xml[gt - 1 : gt] == b"/":
                found.append((number, at, gt, gt + 1))
            else:
                finish = xml.find(close, gt, hi)
                if finish < 0:
                    return None
                found.append((number, at, gt, finish + len(close)))
            pos = found[-1][3]
        self._row_at = lo
        return found

    def _edited_rows(
        self,
        xml: bytes,
        hi: int,
        found: list[tuple[int, ...]],
        cells: Mapping[int, Mapping[int, str]],
        heights: Mapping[int, float],
    ) -> Iterator[bytes | memoryview]:
        view = memoryview(xml)
        close = b"</" + self.prefix + b"row>"
        attr_at = len(b"<" + self.prefix + b"row")
        pos = self._row_at
        appended = []
        for place in found:
            if len(place) == 1:
                appended.append(place[0])
                continue
            number, at, gt, end = place
            if at > pos:
                yield view[pos:at]
            if xml[gt - 1 : gt] == b"/":
                attrs, inner = xml[at + attr_at : gt - 1], None
            else:
                attrs, inner = xml[at + attr_at : gt], xml[gt + 1 : end - len(close)]
            yield self.edit_row(attrs, inner, number, cells[number], heights.get(number, 0.0))
            pos = end
        yield view[pos:hi]
        for number in appended:
            yield self.edit_row(b' r="%d"' % number, None, number, cells[number], heights.get(number, 0.0))

    def _edit_rows(
        self, body: bytes, pending: list[int], cells: Mapping[int, Mapping[int, str]], heights: Mapping[int, float]
    ) -> bytes:
        """Every row scanned in order: for rows without numbers, or new rows between others."""
        return self._scan_run(body, pending, 0, 0, cells, heights, final=True)[0]

    def _dimension(self, head: bytes, edit: SheetEdit) -> bytes:
        m = self.dimension.search(head)
        rows = [r for r, cells in edit.cells.items() if any(cells.values())]
        cols = [c for cells in edit.cells.values() for c, t in cells.items() if t]
        if m is None or not rows:
            return head
        ref = _REF_ATTR.search(m.group(0))
        old = parse_range(ref.group(2).decode()) if ref else None
        r1, c1, r2, c2 = old or (min(rows), min(cols), max(rows), max(cols))
        new = range_ref(min(r1, min(rows)), min(c1, min(cols)), max(r2, max(rows)), max(c2, max(cols)))
        if ref is None:
            return head
        tag = _REF_ATTR.sub(lambda x: x.group(1) + new.encode() + x.group(3), m.group(0), count=1)
        return head[: m.start()] + tag + head[m.end() :]

    def _widths(self, head: bytes, columns: Mapping[int, str]) -> bytes:
        p = self.prefix
        m = self.cols.search(head)
        existing: list[tuple[int, int, bytes]] = []
        if m is not None:
            for col in self.col.finditer(m.group(1)):
                lo = re.search(rb'\smin="([0-9]+)"', col.group(0))
                hi = re.search(rb'\smax="([0-9]+)"', col.group(0))
                if lo and hi:
                    existing.append((int(lo.group(1)), int(hi.group(1)), col.group(0)))
        added = []
        for c, name in sorted(columns.items()):
            if any(lo <= c <= hi for lo, hi, _ in existing):
                continue  # the person already gave that column a width
            width = _WIDE.get(name.strip().lower().replace(" ", "_"), max(12, min(30, len(name) + 6)))
            added.append((c, c, b"<" + p + f'col min="{c}" max="{c}" width="{width}" customWidth="1"/>'.encode()))
        if not added:
            return head
        if m is None:
            return head + b"<" + p + b"cols>" + b"".join(x[2] for x in added) + b"</" + p + b"cols>"
        inner = m.group(1)
        merged = merge_cols(inner, self.col.finditer(inner), [(c, xml) for c, _, xml in added])
        return head[: m.start(1)] + merged + head[m.end(1) :]

    def _filter(self, tail: bytes, last_col: int) -> bytes:
        m = self.autofilter.search(tail)
        if m is None:
            return tail
        tag = _grow_ref_attr(m.group(0), last_col)
        return tail[: m.start()] + tag + tail[m.end() :]


def cell_in_column(prefix: bytes, col: int) -> re.Pattern[bytes]:
    """The opening tag of a cell of column `col` that names itself; group 1: its attributes."""
    letters = re.escape(column_letters(col).encode())
    return re.compile(rb"<" + re.escape(prefix) + rb'c r="' + letters + rb'[0-9]+"([^>]*)')


def style_of(attrs: bytes) -> bytes | None:
    """The s="..." of a cell's attributes (None: it has none)."""
    s = _S.search(attrs)
    return s.group(1) if s else None


def taller(attrs: bytes, height: float) -> bytes:
    """Row attributes with a height of at least `height` points (0: unchanged)."""
    if height <= 0:
        return attrs
    current = _HT.search(attrs)
    if current is not None and float(current.group(1)) >= height:
        return attrs
    attrs = _CUSTOM_HEIGHT.sub(b"", _HT.sub(b"", attrs))
    return attrs + f' ht="{height:g}" customHeight="1"'.encode()


def column_styles(head: bytes, cols: re.Pattern[bytes], col: re.Pattern[bytes]) -> dict[int, bytes]:
    """Column -> style index, from the <col> elements that give one (up to 512 columns each)."""
    m = cols.search(head)
    out: dict[int, bytes] = {}
    if m is None:
        return out
    for element in col.finditer(m.group(1)):
        tag = element.group(0)
        style = re.search(rb'\sstyle="([0-9]+)"', tag)
        lo = re.search(rb'\smin="([0-9]+)"', tag)
        hi = re.search(rb'\smax="([0-9]+)"', tag)
        if style and lo and hi and style.group(1) != b"0":
            first = int(lo.group(1))
            for c in range(first, min(int(hi.group(1)), first + 511) + 1):
                out[c] = style.group(1)
    return out


def _grow_ref_attr(tag: bytes, last_col: int) -> bytes:
    def grow(m: re.Match[bytes]) -> bytes:
        bounds = parse_range(m.group(2).decode())
        if bounds is None:
            return m.group(0)
        r1, c1, r2, c2 = bounds
        return m.group(1) + range_ref(r1, c1, r2, max(c2, last_col)).encode() + m.group(3)

    return _REF_ATTR.sub(grow, tag, count=1)


def grow_table(xml: bytes, headers: Sequence[tuple[int, str]]) -> bytes:
    """A table part whose ref, filter and columns also cover the new `headers` (col, text)."""
    last = max(c for c, _ in headers)
    opened = re.search(rb"<(?:([\w.-]+):)?table\b[^>]*>", xml)
    if opened is None:
        return xml
    prefix = (opened.group(1) + b":") if opened.group(1) else b""
    p = re.escape(prefix)
    out = xml[: opened.start()] + _grow_ref_attr(opened.group(0), last)
    rest = xml[opened.end() :]
    rest = re.sub(rb"<" + p + rb"autoFilter\b[^>]*?>", lambda m: _grow_ref_attr(m.group(0), last), rest, count=1)
    ids = [int(x) for x in re.findall(rb'<' + p + rb'tableColumn\b[^>]*?\sid="([0-9]+)"', rest)]
    next_id = max(ids, default=0) + 1
    added = b"".join(
        b"<" + prefix + f"tableColumn id=\"{next_id + i}\" name={_attr(name)}/>".encode("utf-8")
        for i, (_, name) in enumerate(sorted(headers))
    )
    close = re.search(rb"</" + p + rb"tableColumns>", rest)
    if close is None:
        return xml
    rest = rest[: close.start()] + added + rest[close.start() :]
    rest = re.sub(
        rb"(<" + p + rb'tableColumns\b[^>]*?\scount=")([0-9]+)(")',
        lambda m: m.group(1) + str(int(m.group(2)) + len(headers)).encode() + m.group(3),
        rest,
        count=1,
    )
    return out + rest


def _attr(text: str) -> str:
    return quoteattr(_NOT_XML.sub("", strip_control(text)))


def grow_defined_range(formula: str, last_col: int) -> str:
    """'Sheet'!$A$1:$D$9 grown to `last_col` (the hidden name behind an AutoFilter)."""

    def grow(m: re.Match[str]) -> str:
        return f"{m.group(1)}${column_letters(max(column_index(m.group(2)), last_col))}${m.group(3)}"

    return re.sub(r"(:)\$([A-Z]{1,3})\$([0-9]+)$", grow, formula.strip())


_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_LINKABLE = re.compile(r"https?://[^\s]+\Z", re.I)


def tab_links(rows: Sequence[Sequence[str]], column: str) -> list[tuple[str, str]]:
    """(cell ref, URL) for each web address under the header `column` (the first row)."""
    if not rows or column not in rows[0]:
        return []
    col = list(rows[0]).index(column)
    letters = column_letters(col + 1)
    return [
        (f"{letters}{number}", r[col])
        for number, r in enumerate(rows[1:], start=2)
        if col < len(r) and _LINKABLE.match(r[col]) and len(r[col]) <= 2079  # Excel's longest link
    ]


def hyperlink_rels(links: Sequence[tuple[str, str]]) -> bytes:
    """The relationships part behind `worksheet(..., links=links)`: one external target each."""
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL_NS}/hyperlink" Target={quoteattr(_NOT_XML.sub("", strip_control(url)))} '
        'TargetMode="External"/>'
        for i, (_ref, url) in enumerate(links, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>'
    ).encode("utf-8")


_UTC_MINUTE = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)Z\Z")


@functools.lru_cache(maxsize=1024)  # a sync stamps its rows with one minute: one parse per minute
def utc_serial(text: str, date1904: bool = False) -> str | None:
    """A UTC minute as sheetsync writes it ("2026-12-01T09:00Z") as an Excel serial, or None."""
    m = _UTC_MINUTE.match(text)
    if m is None:
        return None
    try:
        moment = dt.datetime(*(int(g) for g in m.groups()))
    except ValueError:
        return None
    epoch = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
    minutes = (moment - epoch) // dt.timedelta(minutes=1)
    return repr(minutes / 1440)


def worksheet(
    rows: Sequence[Sequence[str]],
    namespace: str,
    widths: Sequence[int] = (),
    header_style: int | None = None,
    links: Sequence[tuple[str, str]] = (),
    times: tuple[Sequence[str], int, bool] | None = None,
    numbers: Collection[int] = (),
    link_style: int | None = None,
) -> bytes:
    """A whole worksheet part holding `rows` as inline strings (a tab sheetsync owns).

    With `widths` (characters per column) the header row is frozen and styled `header_style`.
    `links` (from `tab_links`) become cell hyperlinks whose targets `hyperlink_rels` holds: a
    click opens the page, and the cell stays plain text (never a HYPERLINK formula).
    `times` (header names, style, date1904): those columns' UTC minutes become date-time cells.
    In the `numbers` columns (0-based) a text that reads as a number is a number cell.
    Linked cells take `link_style`.
    """
    splicer = Splicer(b"")
    out = [
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        f'<worksheet xmlns="{namespace}">'.encode(),
    ]
    width = max((len(r) for r in rows), default=0)
    if rows and width:
        out.append(f'<dimension ref="A1:{column_letters(width)}{len(rows)}"/>'.encode())
    if widths:
        out.append(b'<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                   b'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><cols>')
        out.extend(f'<col min="{i}" max="{i}" width="{w + 0.7:.2f}" customWidth="1"/>'.encode() for i, w in enumerate(widths, start=1))
        out.append(b"</cols>")
    out.append(b"<sheetData>")
    head = str(header_style).encode() if header_style is not None else None
    time_cols: set[int] = set()
    if times and rows:
        time_cols = {c for c, h in enumerate(rows[0], start=1) if h in times[0]}
    linked = {ref for ref, _url in links}
    link = str(link_style).encode() if link_style is not None else None
    for number, values in enumerate(rows, start=1):
        style = head if number == 1 else None
        cells = []
        for c, v in enumerate(values, start=1):
            text = str(v)
            serial = utc_serial(text, times[2]) if times and number > 1 and c in time_cols else None
            if serial is not None:
                cells.append(f'<c r="{column_letters(c)}{number}" s="{times[1]}"><v>{serial}</v></c>'.encode())
            elif number > 1 and c - 1 in numbers and as_number(text) is not None:
                cells.append(f'<c r="{column_letters(c)}{number}"><v>{as_number(text)}</v></c>'.encode())
            elif text:
                linked_here = link is not None and f"{column_letters(c)}{number}" in linked
                cells.append(splicer.new_cell(number, c, text, link if linked_here else style))
        out.append(f'<row r="{number}">'.encode() + b"".join(cells) + b"</row>")
    out.append(b"</sheetData>")
    if links:
        out.append(f'<hyperlinks xmlns:r="{_REL_NS}">'.encode())
        out.extend(f'<hyperlink ref="{ref}" r:id="rId{i}"/>'.encode() for i, (ref, _url) in enumerate(links, start=1))
        out.append(b"</hyperlinks>")
    out.append(b"</worksheet>")
    return b"".join(out)
