"""New versions of the few parts a write-back edits, spliced into the original bytes.

The articles worksheet is edited as text: only the rows that receive a cell are rebuilt, and in
them only the cells sheetsync writes; every other byte of the part is copied as it was. Cells
are written as inline strings (`t="inlineStr"`), so the shared-string table is never touched
and a value such as "=1+1" stays text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from ..base import strip_control
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


def xml_text(value: str) -> str:
    """`value` as the escaped content of a <t> element."""
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

    def new_cell(self, row: int, col: int, text: str, style: bytes | None) -> bytes:
        ref = f"{column_letters(col)}{row}".encode()
        if style is None and row > 1 and text:
            style = self.column_styles.get(col)
        s = b' s="' + style + b'"' if style else b""
        if text == "":
            return b"<" + self.prefix + b'c r="' + ref + b'"' + s + b"/>" if style else b""
        p = self.prefix
        return (
            b"<" + p + b'c r="' + ref + b'"' + s + b' t="inlineStr"><' + p + b'is><' + p
            + b't xml:space="preserve">' + xml_text(text).encode("utf-8") + b"</" + p + b"t></"
            + p + b"is></" + p + b"c>"
        )

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

    def edit(self, xml: bytes, edit: SheetEdit) -> bytes:
        """`xml` with the cells, widths, dimension and filter of `edit` applied."""
        opened = self.sheet_data.search(xml)
        if opened is None:
            raise ValueError("the worksheet has no <sheetData>")
        head = xml[: opened.start()]
        self.column_styles = column_styles(head, self.cols, self.col)
        if opened.group(1):  # <sheetData/>: no rows at all
            body, tail = b"", xml[opened.end() :]
        else:
            end = xml.find(self.sheet_data_end, opened.end())
            if end < 0:
                raise ValueError("the worksheet's <sheetData> is not closed")
            body, tail = xml[opened.end() : end], xml[end + len(self.sheet_data_end) :]
        pieces: list[bytes] = []
        pending = sorted(edit.cells)
        i = 0
        pos = 0
        number = 0
        p = self.prefix
        for m in self.row.finditer(body):
            if i >= len(pending):
                break
            attrs = m.group(1)
            r = _ROW_R.search(attrs)
            number = int(r.group(1)) if r else number + 1
            if number < pending[i]:
                continue
            pieces.append(body[pos : m.start()])
            while i < len(pending) and pending[i] < number:
                n = pending[i]
                pieces.append(self.edit_row(f' r="{n}"'.encode(), None, n, edit.cells[n], edit.heights.get(n, 0.0)))
                i += 1
            if i < len(pending) and pending[i] == number:
                pieces.append(self.edit_row(attrs, m.group(2), number, edit.cells[number], edit.heights.get(number, 0.0)))
                i += 1
            else:
                pieces.append(m.group(0))
            pos = m.end()
        pieces.append(body[pos:])
        for number in pending[i:]:
            pieces.append(self.edit_row(f' r="{number}"'.encode(), None, number, edit.cells[number], edit.heights.get(number, 0.0)))
        new_body = b"".join(pieces)
        head = self._dimension(head, edit)
        if edit.new_columns:
            head = self._widths(head, edit.new_columns)
        if edit.filter_to:
            tail = self._filter(tail, edit.filter_to)
        return head + b"<" + p + b"sheetData>" + new_body + self.sheet_data_end + tail

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
        # Excel wants <col> elements in column order: each new one goes before the first
        # existing element that starts right of it.
        pieces = []
        pos = 0
        queue = list(added)
        for col in self.col.finditer(inner):
            lo = re.search(rb'\smin="([0-9]+)"', col.group(0))
            start = int(lo.group(1)) if lo else 0
            while queue and queue[0][0] < start:
                pieces.append(inner[pos : col.start()])
                pieces.append(queue.pop(0)[2])
                pos = col.start()
        pieces.append(inner[pos:])
        pieces.extend(x[2] for x in queue)
        start, end = m.start(1), m.end(1)
        return head[:start] + b"".join(pieces) + head[end:]

    def _filter(self, tail: bytes, last_col: int) -> bytes:
        m = self.autofilter.search(tail)
        if m is None:
            return tail
        tag = _grow_ref_attr(m.group(0), last_col)
        return tail[: m.start()] + tag + tail[m.end() :]


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


def worksheet(
    rows: Sequence[Sequence[str]], namespace: str, widths: Sequence[int] = (), header_style: int | None = None
) -> bytes:
    """A whole worksheet part holding `rows` as inline strings (a tab sheetsync owns).

    With `widths` (characters per column) the header row is frozen and styled `header_style`.
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
    for number, values in enumerate(rows, start=1):
        style = head if number == 1 else None
        cells = b"".join(splicer.new_cell(number, c, str(v), style) for c, v in enumerate(values, start=1) if str(v))
        out.append(f'<row r="{number}">'.encode() + cells + b"</row>")
    out.append(b"</sheetData></worksheet>")
    return b"".join(out)
