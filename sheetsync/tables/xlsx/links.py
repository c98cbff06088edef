"""Cell hyperlinks in the articles worksheet: one per result-URL cell of one URL, beside the person's own.

An .xlsx cell holds one link: a `<hyperlink ref="J5" r:id="rId7"/>` in the worksheet and an
external relationship with that id in the worksheet's rels part. sheetsync's links are the
single-cell links in the columns it owns for result URLs (whoever made them: the cell is
sheetsync's); every other `<hyperlink>` and every other relationship is the person's and is
copied byte for byte. Both parts are edited as text, like the rest of the worksheet.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from ..base import column_letters, strip_control
from .reader import parse_range

_LINKABLE = re.compile(r"https?://\S+\Z", re.I)
#: The longest link address Excel keeps; a longer one makes it report the file as damaged.
MAX_URL = 2079
_NOT_XML = re.compile("[\ufffe\uffff\ud800-\udfff]")
# CT_Worksheet's elements after <hyperlinks>: a new <hyperlinks> goes before the first of them.
_AFTER = (
    "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
    "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
    "legacyDrawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts", "extLst",
)  # fmt: skip
_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_ATTR = re.compile(rb'\s([\w.:-]+)="([^"]*)"')


def link_target(text: str) -> str:
    """The address a result-URL cell links to: its URL when it holds exactly one, else "".

    A cell of several URLs (one per line) gets no link: an .xlsx cell holds one, and
    LibreOffice shows a linked cell as a single line, gluing the URLs into one that leads
    nowhere. Those pages are each a link in the Placements tab. An address longer than Excel
    keeps gets no link either (the cell still shows it).
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) != 1 or not _LINKABLE.match(lines[0]):
        return ""
    return lines[0] if len(lines[0]) <= MAX_URL else ""


@dataclass(frozen=True)
class LinkEdit:
    """The worksheet's new tail (everything after </sheetData>) and its new rels part."""

    tail: bytes
    rels: bytes
    rels_created: bool  # the worksheet had no rels part before


def _attrs(tag: bytes) -> dict[bytes, bytes]:
    return {name: value for name, value in _ATTR.findall(tag)}


def _rel_id(attrs: Mapping[bytes, bytes], rel_prefixes: set[bytes]) -> str:
    for name, value in attrs.items():
        prefix, _, local = name.rpartition(b":")
        if local == b"id" and prefix in rel_prefixes:
            return value.decode()
    return ""


def reconcile(
    xml: bytes,
    tail_at: int,
    prefix: bytes,
    rels_xml: bytes | None,
    wanted: Mapping[tuple[int, int], str],
    columns: set[int],
    rel_ns: str,
) -> LinkEdit | None:
    """The hyperlinks of `columns` made to match `wanted` ((row, col) -> URL); None: nothing to do.

    `xml` is the worksheet part and `tail_at` where its </sheetData> ends. A link sheetsync
    made earlier whose cell now holds another URL, or none, is replaced or removed with its
    relationship; a cell inside a person's link over several cells gets no link of its own.
    """
    p = re.escape(prefix)
    tail = bytes(xml[tail_at:])
    declares = re.compile(rb'\sxmlns:([\w.-]+)="' + re.escape(rel_ns.encode()) + rb'"')
    root = re.search(rb"<(?:[\w.-]+:)?worksheet\b[^>]*>", xml)
    declared = declares.findall(root.group(0)) if root else []
    block = re.search(rb"<" + p + rb"hyperlinks\b[^>]*?(?:/>|>.*?</" + p + rb"hyperlinks>)", tail, re.S)
    inner_at = inner_end = 0
    found: list[tuple[int, int, tuple[int, int] | None, str]] = []  # (start, end, own cell, rel id)
    covered: list[tuple[int, int, int, int]] = []  # the person's links over several cells
    if block is not None:
        opener = re.match(rb"<" + p + rb"hyperlinks\b[^>]*?(/?)>", block.group(0))
        assert opener is not None
        inner_at = block.start() + opener.end()
        inner_end = block.end() - (0 if opener.group(1) else len(b"</" + prefix + b"hyperlinks>"))
        # The r:id prefix may be declared on the root, on <hyperlinks> or on each link (openpyxl).
        prefixes = set(declared) | set(declares.findall(opener.group(0)))
        element = re.compile(rb"<" + p + rb"hyperlink\b([^>]*?)(?:/>|>.*?</" + p + rb"hyperlink>)", re.S)
        for m in element.finditer(tail, inner_at, inner_end):
            attrs = _attrs(m.group(1))
            bounds = parse_range(attrs.get(b"ref", b"").decode())
            rel_id = _rel_id(attrs, prefixes | set(declares.findall(m.group(1))) if b"xmlns:" in m.group(1) else prefixes)
            own = None
            if bounds is not None and bounds[1] in columns and bounds[0] >= 2 and bounds[0] == bounds[2] and bounds[1] == bounds[3]:
                own = (bounds[0], bounds[1])
            elif bounds is not None and any(bounds[1] <= c <= bounds[3] for c in columns):
                covered.append(bounds)
            found.append((m.start(), m.end(), own, rel_id))
    rels = _Rels(rels_xml)
    referenced: dict[str, int] = {}
    for _, _, _, rel_id in found:
        if rel_id:
            referenced[rel_id] = referenced.get(rel_id, 0) + 1
    kept: set[tuple[int, int]] = set()
    removed: list[tuple[int, int]] = []
    dropped_rels: set[str] = set()
    for start, end, own, rel_id in found:
        if own is None:
            continue
        url = wanted.get(own, "")
        if url and own not in kept and rels.external_target(rel_id) == url:
            kept.add(own)
            continue
        removed.append((start, end))
        if rel_id and rels.is_hyperlink(rel_id):
            referenced[rel_id] -= 1
            if not referenced[rel_id]:
                dropped_rels.add(rel_id)
    added: list[tuple[tuple[int, int], str]] = []
    for (row, col), url in sorted(wanted.items()):
        if not url or (row, col) in kept:
            continue
        if any(r1 <= row <= r2 and c1 <= col <= c2 for r1, c1, r2, c2 in covered):
            continue  # the person's own link covers the cell
        added.append(((row, col), url))
    if not removed and not added:
        return None
    new_ids = rels.new_ids(len(added))
    r_prefix = declared[0] if declared else b"r"
    declare = b"" if declared else b' xmlns:r="' + rel_ns.encode() + b'"'
    elements = b"".join(
        b"<" + prefix + b'hyperlink ref="' + f"{column_letters(col)}{row}".encode() + b'"' + declare + b" "
        + r_prefix + b':id="' + rel_id.encode() + b'"/>'
        for ((row, col), _), rel_id in zip(added, new_ids)
    )  # fmt: skip
    if block is None:
        new_tail = _insert(tail, b"<" + prefix + b"hyperlinks>" + elements + b"</" + prefix + b"hyperlinks>", prefix)
    else:
        pieces, pos = [], inner_at
        for start, end in removed:
            pieces.append(tail[pos:start])
            pos = end
        pieces.append(tail[pos:inner_end])
        inner = b"".join(pieces) + elements
        if not re.search(rb"<" + p + rb"hyperlink\b", inner):
            new_tail = tail[: block.start()] + tail[block.end() :]  # the schema wants at least one
        elif inner_end == block.end():  # it was <hyperlinks/>
            opener_tag = tail[block.start() : inner_at - 2] + b">"
            new_tail = tail[: block.start()] + opener_tag + inner + b"</" + prefix + b"hyperlinks>" + tail[block.end() :]
        else:
            new_tail = tail[:inner_at] + inner + tail[inner_end:]
    new_rels = rels.edited(dropped_rels, [(rel_id, url) for rel_id, (_, url) in zip(new_ids, added)], rel_ns)
    return LinkEdit(tail=new_tail, rels=new_rels, rels_created=rels_xml is None)


def _insert(tail: bytes, element: bytes, prefix: bytes) -> bytes:
    """`tail` with `element` (<hyperlinks>) before the first element the schema puts after it."""
    p = re.escape(prefix)
    best = -1
    for name in _AFTER[1:]:
        m = re.search(rb"<" + p + name.encode() + rb"[\s/>]", tail)
        if m is not None and (best < 0 or m.start() < best):
            best = m.start()
    if best < 0:
        best = tail.rfind(b"</" + prefix + b"worksheet>")
    return tail[:best] + element + tail[best:]


class _Rels:
    """A worksheet's relationships part, read enough to add and drop hyperlink targets."""

    def __init__(self, xml: bytes | None):
        self.xml = xml
        self.spans: dict[str, tuple[int, int]] = {}
        self.attrs: dict[str, dict[bytes, bytes]] = {}
        if xml is None:
            return
        for m in re.finditer(rb"<(?:[\w.-]+:)?Relationship\b([^>]*?)(?:/>|>.*?</(?:[\w.-]+:)?Relationship>)", xml, re.S):
            attrs = _attrs(m.group(1))
            rel_id = attrs.get(b"Id", b"").decode()
            self.spans[rel_id] = (m.start(), m.end())
            self.attrs[rel_id] = attrs

    def is_hyperlink(self, rel_id: str) -> bool:
        attrs = self.attrs.get(rel_id)
        return attrs is not None and attrs.get(b"Type", b"").endswith(b"/hyperlink")

    def external_target(self, rel_id: str) -> str | None:
        """The URL of hyperlink relationship `rel_id`; None for anything else."""
        attrs = self.attrs.get(rel_id)
        if attrs is None or not self.is_hyperlink(rel_id) or attrs.get(b"TargetMode") != b"External":
            return None
        return html.unescape(attrs.get(b"Target", b"").decode("utf-8", "replace"))

    def new_ids(self, count: int) -> list[str]:
        """`count` relationship ids that no relationship of the part has."""
        taken = set(self.spans)
        out: list[str] = []
        k = len(taken) + 1
        while len(out) < count:
            if f"rId{k}" not in taken:
                out.append(f"rId{k}")
            k += 1
        return out

    def edited(self, dropped: set[str], added: list[tuple[str, str]], rel_ns: str) -> bytes:
        new = "".join(
            f'<Relationship Id="{rel_id}" Type="{rel_ns}/hyperlink" '
            f'Target={quoteattr(_NOT_XML.sub("", strip_control(url)))} TargetMode="External"/>'
            for rel_id, url in added
        ).encode("utf-8")
        if self.xml is None:
            return (
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                + f'<Relationships xmlns="{_RELS_NS}">'.encode() + new + b"</Relationships>"
            )  # fmt: skip
        xml = self.xml
        pieces, pos = [], 0
        for start, end in sorted(self.spans[r] for r in dropped):
            pieces.append(xml[pos:start])
            pos = end
        pieces.append(xml[pos:])
        xml = b"".join(pieces)
        m = re.search(rb"<(?:([\w.-]+):)?Relationships\b[^>]*?(/?)>", xml)
        if m is None:
            return xml
        if new and m.group(1):
            new = new.replace(b"<Relationship ", b"<" + m.group(1) + b":Relationship ")
        if m.group(2):  # <Relationships .../>
            name = (m.group(1) + b":" if m.group(1) else b"") + b"Relationships"
            return xml[: m.start()] + m.group(0)[:-2] + b">" + new + b"</" + name + b">" + xml[m.end() :]
        close = xml.rfind(b"</")
        return xml[:close] + new + xml[close:]
