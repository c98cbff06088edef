"""The sheet's layout (`tables/layout.py`) spliced into a workbook package, as text.

Styles are appended to the styles part (an identical entry already there is reused, so a second
`init` adds nothing); the articles worksheet gains column widths, a frozen header, header
colours, the `ready` TRUE/FALSE list and the status colours, each only where the person has
not set one of their own (the header notes are cell notes: `notes.py`). Nothing already in
either part is rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from ...errors import TableError
from .. import layout as L
from .package import Package, element_prefix, merge_cols, parse
from .reader import MAX_ROW, column_index, column_letters, parse_range

# The order CT_Worksheet requires: a new element goes before the first one that follows it.
WORKSHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState",
    "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting",
    "dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter",
    "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags",
    "drawing", "legacyDrawing", "legacyDrawingHF", "picture", "oleObjects", "controls",
    "webPublishItems", "tableParts", "extLst",
)
_STYLES_ORDER = (
    "numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
    "tableStyles", "colors", "extLst",
)
_PROMPT_LIMIT = 255  # characters Excel keeps of a validation's input message
_TITLE_LIMIT = 32


class Styles:
    """The workbook's styles part, to which entries are appended (never rewritten)."""

    def __init__(self, xml: bytes):
        self.xml = xml
        self.original = xml
        m = re.search(rb"<(?:([\w.-]+):)?styleSheet\b", xml)
        if m is None:
            raise TableError("The workbook's styles could not be read; open it in Excel, save it, and run again.")
        self.prefix = (m.group(1) + b":") if m.group(1) else b""
        self.ns = etree.QName(parse(xml)).namespace or ""

    @property
    def changed(self) -> bool:
        return self.xml != self.original

    def ensure(self, list_name: str, item: str) -> int:
        """Index of `item` (XML without prefix) in list `list_name`, appending it when absent."""
        p = self.prefix.decode()
        fragment = re.sub(r"<(/?)(\w)", lambda m: f"<{m.group(1)}{p}{m.group(2)}", item)
        wanted = self._canonical(fragment)
        existing = self._children(list_name)
        for i, child in enumerate(existing):
            if child == wanted:
                return i
        self._append(list_name, fragment.encode(), len(existing) + 1)
        return len(existing)

    def number_format(self, code: str) -> int:
        """The id of custom number format `code`, added (with a free id) when absent."""
        root = parse(self.xml)
        found = root.find(f"{{{self.ns}}}numFmts")
        ids = []
        for fmt in found if found is not None else []:
            if isinstance(fmt.tag, str):
                if fmt.get("formatCode") == code:
                    return int(fmt.get("numFmtId", "0"))
                ids.append(int(fmt.get("numFmtId", "0") or 0))
        new_id = max(ids + [163]) + 1  # ids below 164 are Excel's built-in formats
        self.ensure("numFmts", f"<numFmt numFmtId=\"{new_id}\" formatCode={quoteattr(code)}/>")
        return new_id

    def _canonical(self, fragment: str) -> bytes:
        ns = f' xmlns{":" + self.prefix.decode()[:-1] if self.prefix else ""}="{self.ns}"'
        root = parse(f"<{self.prefix.decode()}w{ns}>{fragment}</{self.prefix.decode()}w>".encode())
        return etree.tostring(root[0], method="c14n", exclusive=True)

    def _children(self, list_name: str) -> list[bytes]:
        root = parse(self.xml)
        found = root.find(f"{{{self.ns}}}{list_name}")
        if found is None:
            return []
        out = []
        for child in found:
            if isinstance(child.tag, str):
                child.tail = None
                # Exclusive: the namespaces the root declares (Excel's x14ac, mc, ...) are no
                # part of an entry, or no entry of a file Excel saved would ever match.
                out.append(etree.tostring(child, method="c14n", exclusive=True))
        return out

    def _append(self, list_name: str, fragment: bytes, count: int) -> None:
        p = re.escape(self.prefix)
        tag = self.prefix + list_name.encode()
        opened = re.search(rb"<" + p + list_name.encode() + rb"\b([^>]*?)(/?)>", self.xml)
        if opened is None:
            new = b"<" + tag + f' count="{count}">'.encode() + fragment + b"</" + tag + b">"
            self.xml = insert_in_order(self.xml, list_name, new, _STYLES_ORDER, self.prefix, b"styleSheet")
            return
        attrs = re.sub(rb'\scount="[0-9]*"', b"", opened.group(1))
        head = b"<" + tag + attrs + f' count="{count}">'.encode()
        if opened.group(2):  # <dxfs count="0"/>
            self.xml = self.xml[: opened.start()] + head + fragment + b"</" + tag + b">" + self.xml[opened.end() :]
            return
        close = self.xml.find(b"</" + tag + b">", opened.end())
        self.xml = self.xml[: opened.start()] + head + self.xml[opened.end() : close] + fragment + self.xml[close:]


def insert_in_order(
    xml: bytes, name: str, element: bytes, order: Sequence[str], prefix: bytes, root: bytes
) -> bytes:
    """`xml` with `element` inserted among the children of `root` where `order` puts `name`."""
    later = {(prefix + other.encode()) for other in order[order.index(name) + 1 :]}
    best = next((start for tag, start in children(xml, prefix + root) if tag in later), -1)
    if best < 0:
        best = xml.rfind(b"</" + prefix + root + b">")
    return xml[:best] + element + xml[best:]


# A start or end tag (attribute values may hold '>'), or what may hold a '<' that is no tag.
_TAG = re.compile(rb"""<(/?)([A-Za-z_][\w.:-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(/?)>|<!--.*?-->|<\?.*?\?>|<!\[CDATA\[.*?\]\]>""", re.S)


def children(xml: bytes, root: bytes) -> Iterator[tuple[bytes, int]]:
    """(tag, start offset) of each child element of the element `root` (tag with its prefix).

    Only children count: a data bar's own <extLst> inside a conditional format is no place for
    a worksheet element. The cells are skipped, not scanned.
    """
    opened = re.search(rb"<" + re.escape(root) + rb"[\s/>]", xml)
    if opened is None:
        return
    start = _TAG.match(xml, opened.start())
    if start is None or start.group(4):
        return
    pos, depth = start.end(), 0
    while True:
        m = _TAG.search(xml, pos)
        if m is None:
            return
        pos = m.end()
        if m.group(2) is None:
            continue  # a comment, processing instruction or CDATA section
        tag = m.group(2)
        if m.group(1):
            if depth == 0:
                return  # the root's own end tag
            depth -= 1
            continue
        if depth == 0:
            yield tag, m.start()
            if tag.endswith(b"sheetData") and not m.group(4):
                close = xml.find(b"</" + tag + b">", pos)
                if close < 0:
                    return
                pos = close + len(tag) + 3
                continue
        if not m.group(4):
            depth += 1


@dataclass
class _Ids:
    header_input: int = 0
    header_owned: int = 0
    body: dict[tuple[bool, bool, bool], int] = field(default_factory=dict)  # (wrap, center, boolean) -> xf
    dxfs: dict[L.StatusRule, int] = field(default_factory=dict)


def _style_ids(styles: Styles) -> _Ids:
    ids = _Ids()
    font = styles.ensure(
        "fonts",
        f'<font><b/><sz val="11"/><color rgb="FF{L.HEADER_FONT}"/><name val="Calibri"/><family val="2"/></font>',
    )
    for owned in (False, True):
        colour = L.OWNED_FILL if owned else L.INPUT_FILL
        fill = styles.ensure(
            "fills", f'<fill><patternFill patternType="solid"><fgColor rgb="FF{colour}"/><bgColor indexed="64"/></patternFill></fill>'
        )
        xf = styles.ensure(
            "cellXfs",
            f'<xf numFmtId="0" fontId="{font}" fillId="{fill}" borderId="0" xfId="0" applyFont="1" '
            'applyFill="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>',
        )
        if owned:
            ids.header_owned = xf
        else:
            ids.header_input = xf
    # A TRUE/FALSE cell reads TRUE or FALSE everywhere (LibreOffice shows a bare boolean as 1 or 0).
    boolean = styles.number_format('"TRUE";"TRUE";"FALSE"')
    for layout in L.COLUMNS:
        key = (layout.wrap, layout.center, layout.boolean)
        if key in ids.body:
            continue
        align = (' horizontal="center"' if layout.center else "") + ' vertical="top"' + (' wrapText="1"' if layout.wrap else "")
        fmt = f'numFmtId="{boolean}" applyNumberFormat="1"' if layout.boolean else 'numFmtId="0"'
        ids.body[key] = styles.ensure(
            "cellXfs",
            f'<xf {fmt} fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1"><alignment{align}/></xf>',
        )
    for rule in (r for rules in L.COLOUR_RULES.values() for r in rules):
        ids.dxfs[rule] = styles.ensure(
            "dxfs",
            f'<dxf><font><color rgb="FF{rule.font}"/></font><fill><patternFill><bgColor rgb="FF{rule.fill}"/>'
            "</patternFill></fill></dxf>",
        )
    return ids


#: How a UTC time sheetsync writes shows in a cell: the zone in the cell itself.
UTC_FORMAT = 'yyyy-mm-dd hh:mm "UTC"'


def utc_time_style_id(styles: Styles) -> int:
    """The style of a date-time cell holding a UTC time (for the tabs sheetsync owns)."""
    fmt = styles.number_format(UTC_FORMAT)
    return styles.ensure(
        "cellXfs",
        f'<xf numFmtId="{fmt}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" '
        'applyAlignment="1"><alignment horizontal="left" vertical="top"/></xf>',
    )


def header_style_id(styles: Styles) -> int:
    """The style of a header sheetsync writes (bold, green): for the tabs it owns."""
    return _style_ids(styles).header_owned


class _Sheet:
    """The articles worksheet's bytes and the few regexes its elements need."""

    def __init__(self, xml: bytes):
        self.xml = xml
        self.prefix = element_prefix(xml)
        self.p = re.escape(self.prefix)

    def find(self, name: str) -> re.Match[bytes] | None:
        """The first element `name`, whole (self-closing or with its content)."""
        return re.search(
            rb"<" + self.p + name.encode() + rb"\b[^>]*?(?:/>|>.*?</" + self.p + name.encode() + rb">)", self.xml, re.S
        )

    def findall(self, name: str) -> list[re.Match[bytes]]:
        return list(
            re.finditer(
                rb"<" + self.p + name.encode() + rb"\b[^>]*?(?:/>|>.*?</" + self.p + name.encode() + rb">)", self.xml, re.S
            )
        )

    def insert(self, name: str, element: bytes) -> None:
        self.xml = insert_in_order(self.xml, name, element, WORKSHEET_ORDER, self.prefix, b"worksheet")

    def el(self, text: str) -> bytes:
        """`text` (XML written without prefix) with the worksheet's element prefix."""
        p = self.prefix.decode()
        return re.sub(r"<(/?)(\w)", lambda m: f"<{m.group(1)}{p}{m.group(2)}", text).encode("utf-8")


def _covered_columns(sheet: _Sheet) -> dict[int, bytes]:
    """Columns that have a <col> of their own -> that element (the person's widths stay)."""
    out: dict[int, bytes] = {}
    cols = sheet.find("cols")
    if cols is None:
        return out
    for col in re.finditer(rb"<" + sheet.p + rb"col\b[^>]*?/?>", cols.group(0)):
        lo = re.search(rb'\smin="([0-9]+)"', col.group(0))
        hi = re.search(rb'\smax="([0-9]+)"', col.group(0))
        if lo and hi:
            for c in range(int(lo.group(1)), min(int(hi.group(1)), int(lo.group(1)) + 512) + 1):
                out[c] = col.group(0)
    return out


def _add_widths(sheet: _Sheet, columns: Sequence[L.Placed], ids: _Ids) -> None:
    covered = _covered_columns(sheet)
    added = []
    for placed in sorted(columns, key=lambda p: p.col):
        if placed.col in covered:
            continue
        style = ids.body[(placed.layout.wrap, placed.layout.center, placed.layout.boolean)]
        added.append(
            (placed.col, sheet.el(f'<col min="{placed.col}" max="{placed.col}" width="{placed.layout.width + 0.7:.2f}" style="{style}" customWidth="1"/>'))
        )
    if not added:
        return
    cols = sheet.find("cols")
    if cols is None:
        sheet.insert("cols", sheet.el("<cols>") + b"".join(x for _, x in added) + sheet.el("</cols>"))
        return
    inner_start = sheet.xml.index(b">", cols.start()) + 1
    inner_end = cols.end() - len(b"</" + sheet.prefix + b"cols>")
    inner = sheet.xml[inner_start:inner_end]
    merged = merge_cols(inner, re.finditer(rb"<" + sheet.p + rb"col\b[^>]*?/?>", inner), added)
    sheet.xml = sheet.xml[:inner_start] + merged + sheet.xml[inner_end:]


def _freeze_header(sheet: _Sheet) -> None:
    views = sheet.find("sheetViews")
    if views is not None and re.search(rb"<" + sheet.p + rb"pane\b", views.group(0)):
        return  # the person froze (or split) the view their own way
    pane = sheet.el('<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>')
    if views is None:
        sheet.insert("sheetViews", sheet.el('<sheetViews><sheetView workbookViewId="0">') + pane + sheet.el("</sheetView></sheetViews>"))
        return
    view = re.search(rb"<" + sheet.p + rb"sheetView\b[^>]*?(/?)>", sheet.xml[views.start() :])
    if view is None:
        return
    start, end = views.start() + view.start(), views.start() + view.end()
    tag = sheet.xml[start:end]
    if view.group(1):
        new = tag[:-2] + b">" + pane + b"</" + sheet.prefix + b"sheetView>"
    else:
        new = tag + pane
    sheet.xml = sheet.xml[:start] + new + sheet.xml[end:]


def _style_header(sheet: _Sheet, columns: Sequence[L.Placed], ids: _Ids) -> None:
    """Header cells without a style of their own get sheetsync's blue or green."""
    wanted = {p.col: (ids.header_owned if p.layout.owned else ids.header_input) for p in columns}
    if not wanted:
        return
    data = re.search(rb"<" + sheet.p + rb"sheetData\b[^>]*?(/?)>", sheet.xml)
    if data is None:
        return
    row_re = re.compile(rb"<" + sheet.p + rb"row\b([^>]*?)(?:/>|>(.*?)</" + sheet.p + rb"row>)", re.S)
    first = row_re.search(sheet.xml, data.end()) if not data.group(1) else None
    number = re.search(rb'\sr="([0-9]+)"', first.group(1)) if first else None
    if first is None or (number is not None and number.group(1) != b"1"):
        cells = b"".join(sheet.el(f'<c r="{column_letters(c)}1" s="{s}"/>') for c, s in sorted(wanted.items()))
        row = sheet.el('<row r="1">') + cells + sheet.el("</row>")
        if data.group(1):
            sheet.xml = sheet.xml[: data.start()] + sheet.el("<sheetData>") + row + sheet.el("</sheetData>") + sheet.xml[data.end() :]
        else:
            sheet.xml = sheet.xml[: data.end()] + row + sheet.xml[data.end() :]
        return
    inner = first.group(2) or b""
    cell_re = re.compile(rb"<" + sheet.p + rb"c\b([^>]*?)(/?)>", re.S)
    out, pos, col = [], 0, 0
    pending = dict(wanted)
    for m in cell_re.finditer(inner):
        if m.group(0).startswith(b"<" + sheet.prefix + b"col"):
            continue
        ref = re.search(rb'\sr="([A-Za-z]{1,3})[0-9]+"', m.group(1))
        col = column_index(ref.group(1).decode()) if ref else col + 1
        for c in sorted(k for k in pending if k < col):
            out.append(inner[pos : m.start()])
            out.append(sheet.el(f'<c r="{column_letters(c)}1" s="{pending.pop(c)}"/>'))
            pos = m.start()
        if col in pending:
            style = pending.pop(col)
            has = re.search(rb'\ss="([0-9]+)"', m.group(1))
            if has is None or has.group(1) == b"0":
                attrs = re.sub(rb'\ss="0"', b"", m.group(1))
                out.append(inner[pos : m.start()])
                out.append(b"<" + sheet.prefix + b"c" + attrs + f' s="{style}"'.encode() + m.group(2) + b">")
                pos = m.end()
    out.append(inner[pos:])
    out.extend(sheet.el(f'<c r="{column_letters(c)}1" s="{s}"/>') for c, s in sorted(pending.items()))
    attrs = re.sub(rb'\sspans="[^"]*"', b"", first.group(1)).rstrip(b"/ ")
    new_row = b"<" + sheet.prefix + b"row" + attrs + b">" + b"".join(out) + b"</" + sheet.prefix + b"row>"
    sheet.xml = sheet.xml[: first.start()] + new_row + sheet.xml[first.end() :]


def _validated_cells(sheet: _Sheet) -> list[tuple[int, int, int, int]]:
    out = []
    for m in re.finditer(rb"<" + sheet.p + rb'dataValidation\b[^>]*?\ssqref="([^"]*)"', sheet.xml):
        for ref in m.group(1).decode().split():
            bounds = parse_range(ref)
            if bounds:
                out.append(bounds)
    return out


def _inside(bounds: list[tuple[int, int, int, int]], row: int, col: int) -> bool:
    return any(r1 <= row <= r2 and c1 <= col <= c2 for r1, c1, r2, c2 in bounds)


def _attr(text: str) -> str:
    return quoteattr(text.replace("\n", " "))


def _own_prompt(sheet: _Sheet, placed: L.Placed) -> bytes:
    """The input message sheetsync puts on a header cell whose note cannot be a cell note."""
    return sheet.el(
        f'<dataValidation allowBlank="1" showInputMessage="1" promptTitle={_attr(placed.header[:_TITLE_LIMIT])} '
        f'prompt={_attr(placed.layout.note[:_PROMPT_LIMIT])} sqref="{column_letters(placed.col)}1"/>'
    )


def _drop_own_prompts(sheet: _Sheet, columns: Sequence[L.Placed]) -> None:
    """Take out sheetsync's own input message from header cells that now have its note.

    Earlier versions put every header note there; with the note on the cell as well, both
    would pop up with the same words. Only the element exactly as sheetsync writes it goes.
    """
    existing = sheet.find("dataValidations")
    if existing is None or not columns:
        return
    block = existing.group(0)
    kept = block
    for placed in columns:
        kept = kept.replace(_own_prompt(sheet, placed), b"", 1)
    if kept == block:
        return
    left = len(re.findall(rb"<" + sheet.p + rb"dataValidation\b", kept))
    if not left:
        new = b""  # the schema wants at least one: the whole list goes
    else:
        new = re.sub(rb'(<' + sheet.p + rb'dataValidations\b[^>]*?\scount=")[0-9]*"', rb"\g<1>" + str(left).encode() + b'"', kept, count=1)
    sheet.xml = sheet.xml[: existing.start()] + new + sheet.xml[existing.end() :]


def _add_validations(sheet: _Sheet, columns: Sequence[L.Placed], prompts: Collection[int]) -> None:
    taken = _validated_cells(sheet)
    new: list[bytes] = []
    for placed in columns:
        letter = column_letters(placed.col)
        if placed.col in prompts and not _inside(taken, 1, placed.col):
            # A header note that could not be a cell note: shown when the header cell is
            # selected instead, in Excel and LibreOffice.
            new.append(_own_prompt(sheet, placed))
        if placed.layout.name == L.C.READY and not _inside(taken, 2, placed.col):
            new.append(sheet.el(
                '<dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1" '
                'errorTitle="ready" error="Choose TRUE when the row may be sent, FALSE (or leave it empty) while drafting." '
                f'promptTitle="ready" prompt="TRUE = send this row on the next sync" sqref="{letter}2:{letter}{MAX_ROW}">'
                '<formula1>"TRUE,FALSE"</formula1></dataValidation>'
            ))
    if not new:
        return
    existing = sheet.find("dataValidations")
    if existing is None:
        sheet.insert("dataValidations", sheet.el(f'<dataValidations count="{len(new)}">') + b"".join(new) + sheet.el("</dataValidations>"))
        return
    block = existing.group(0)
    count = re.search(rb'\scount="([0-9]+)"', block)
    total = (int(count.group(1)) if count else len(re.findall(rb"<" + sheet.p + rb"dataValidation\b", block))) + len(new)
    opened = re.match(rb"<" + sheet.p + rb"dataValidations\b([^>]*?)(/?)>", block)
    assert opened is not None
    attrs = re.sub(rb'\scount="[0-9]*"', b"", opened.group(1))
    head = b"<" + sheet.prefix + b"dataValidations" + attrs + f' count="{total}">'.encode()
    close = b"</" + sheet.prefix + b"dataValidations>"
    inner = b"" if opened.group(2) else block[opened.end() : -len(close)]
    sheet.xml = sheet.xml[: existing.start()] + head + inner + b"".join(new) + close + sheet.xml[existing.end() :]


def _add_colours(sheet: _Sheet, status: L.Placed, rules_: Sequence[L.StatusRule], ids: _Ids) -> None:
    """The column's colour rules, unless the column has conditional formats already."""
    letter = column_letters(status.col)
    for block in sheet.findall("conditionalFormatting"):
        sqref = re.search(rb'\ssqref="([^"]*)"', block.group(0))
        if sqref and any(
            (b := parse_range(ref)) and b[1] <= status.col <= b[3] and b[0] <= 2 <= b[2]
            for ref in sqref.group(1).decode().split()
        ):
            return  # the column already has colours (sheetsync's, or the person's own)
    priorities = [int(x) for x in re.findall(rb'<' + sheet.p + rb'cfRule\b[^>]*?\spriority="([0-9]+)"', sheet.xml)]
    first = max(priorities, default=0) + 1
    rules = []
    for i, rule in enumerate(rules_):
        dxf, text = ids.dxfs[rule], escape(rule.text)
        if rule.contains:
            rules.append(
                f'<cfRule type="containsText" dxfId="{dxf}" priority="{first + i}" stopIfTrue="1" operator="containsText" '
                f'text={quoteattr(rule.text)}><formula>NOT(ISERROR(SEARCH("{text}",{letter}2)))</formula></cfRule>'
            )
        else:
            rules.append(
                f'<cfRule type="cellIs" dxfId="{dxf}" priority="{first + i}" stopIfTrue="1" operator="equal">'
                f'<formula>"{text}"</formula></cfRule>'
            )
    element = sheet.el(f'<conditionalFormatting sqref="{letter}2:{letter}{MAX_ROW}">' + "".join(rules) + "</conditionalFormatting>")
    sheet.insert("conditionalFormatting", element)


def lay_out(
    package: Package, xml: bytes, columns: Iterable[L.Placed], *, freeze: bool, styles: Styles | None = None,
    prompts: Collection[int] = (), noted: Collection[int] = (),
) -> tuple[bytes, Styles]:
    """The worksheet `xml` with the layout of `columns` (and the frozen header) added.

    The header notes are cell notes (`notes.py`); the columns in `prompts`, whose note could
    not be one, get it as the header cell's input message, and those in `noted`, whose header
    got its note now, lose the input message an earlier version put there. Returns the new worksheet bytes and
    the styles; `styles.changed` says whether the styles part must be written.
    """
    placed = list(columns)
    if styles is None:
        if not package.styles or not package.has(package.styles):
            raise TableError(
                f"{package.name} has no styles part, so sheetsync cannot colour its header; open it "
                "in Excel or LibreOffice, save it as .xlsx, and run again."
            )
        styles = Styles(package.read(package.styles))
    ids = _style_ids(styles)
    sheet = _Sheet(xml)
    _add_widths(sheet, placed, ids)
    if freeze:
        _freeze_header(sheet)
    _style_header(sheet, placed, ids)
    _drop_own_prompts(sheet, [p for p in placed if p.col in noted])
    _add_validations(sheet, placed, prompts)
    for p in placed:
        if p.layout.name in L.COLOUR_RULES:
            _add_colours(sheet, p, L.COLOUR_RULES[p.layout.name], ids)
    return sheet.xml, styles


#: Characters a line of the How-to column holds: more than its width of 110, since the
#: average letter is narrower than the digit the width is measured in (kept short of the ~140 seen).
_HOWTO_CHARS = 125


def howto_worksheet(namespace: str, styles: Styles) -> bytes:
    """The "How to fill this in" tab: one wide wrapped column, the first line bold."""
    from .writer import Splicer

    ids = _style_ids(styles)
    title, body = str(ids.header_input).encode(), ids.body[(True, False, False)]
    lines = L.howto_lines()
    splicer = Splicer(b"")
    rows = []
    for number, line in enumerate(lines, start=1):
        cell = splicer.new_cell(number, 1, line, title if number == 1 else str(body).encode()) if line else b""
        # Heights are given: LibreOffice does not grow every wrapped row by itself, and the
        # second line of a long one would be drawn over the next row.
        lines_used = L.lines_needed(line, _HOWTO_CHARS)
        height = f' ht="{lines_used * L.LINE_POINTS + 2:g}" customHeight="1"' if lines_used > 1 else ""
        rows.append(f'<row r="{number}"{height}>'.encode() + cell + b"</row>")
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        + f'<worksheet xmlns="{namespace}"><dimension ref="A1:A{len(lines)}"/>'.encode()
        + f'<cols><col min="1" max="1" width="110" style="{body}" customWidth="1"/></cols><sheetData>'.encode()
        + b"".join(rows)
        + b"</sheetData></worksheet>"
    )
