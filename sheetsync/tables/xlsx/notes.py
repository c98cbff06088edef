"""Header notes as Excel stores a cell's note: a comments part and its legacy VML drawing.

A note goes only on a header cell that has none: a cell the person commented (a note or a
threaded comment) keeps theirs. Their comments part and drawing keep every byte; sheetsync's
author, comments and shapes are appended. A part that cannot be added to safely is left alone
and named in `HeaderNotes.reason`; the caller then shows those notes as input messages.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree

from .. import layout as L
from ..base import column_letters
from .layout import WORKSHEET_ORDER, insert_in_order
from .package import CONTENT_TYPES, REL_NAMESPACES, Package, element_prefix, parse, rels_path, resolve
from .reader import column_index

COMMENTS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_TYPE = "application/vnd.openxmlformats-officedocument.vmlDrawing"
RELS_TYPE = "application/vnd.openxmlformats-package.relationships+xml"
AUTHOR = "sheetsync"
_VML = {"v": "urn:schemas-microsoft-com:vml", "o": "urn:schemas-microsoft-com:office:office",
        "x": "urn:schemas-microsoft-com:office:excel"}
_BLOCK = 1024  # shape ids per o:idmap block: block n holds n*1024 .. n*1024+1023
_NOTE_PX = 260  # width of a note box when shown
_CHARS_PER_LINE = 42  # of 9-point Tahoma in that width
_LINE_PX = 15
_DEFAULT_COL_PX = 64  # a column of Excel's default width (8.43 characters)
_ROW_PX = 20


@dataclass(frozen=True)
class HeaderNotes:
    """What `add_header_notes` did to the worksheet."""

    xml: bytes  # the worksheet, with <legacyDrawing> where the drawing is new
    noted: tuple[int, ...]  # columns whose header cell got sheetsync's note
    prompts: tuple[int, ...]  # columns whose note must be shown another way (see reason)
    reason: str = ""


class _CannotMerge(Exception):
    """A part of the person's that sheetsync does not add to; the message says which and why."""


class _Parts:
    """The package's parts as this write leaves them so far; `put` holds a part until `commit`,
    so a part found unmergeable half way leaves the write as it was."""

    def __init__(self, package: Package, replaced: dict, added: dict):
        self.package, self.replaced, self.added = package, replaced, added
        self.pending: dict[str, bytes] = {}

    def get(self, name: str) -> bytes | None:
        for where in (self.pending, self.replaced, self.added):
            value = where.get(name)
            if isinstance(value, (bytes, bytearray)):
                return bytes(value)
        return self.package.read(name) if self.package.has(name) else None

    def exists(self, name: str) -> bool:
        return name in self.pending or name in self.added or self.package.has(name)

    def put(self, name: str, data: bytes) -> None:
        self.pending[name] = data

    def commit(self) -> None:
        for name, data in self.pending.items():
            (self.replaced if self.package.has(name) else self.added)[name] = data

    def names(self) -> list[str]:
        return list(dict.fromkeys([*self.package.infos, *self.added, *self.pending]))

    def free(self, pattern: str) -> str:
        n = 1
        while self.exists(pattern.format(n)):
            n += 1
        return pattern.format(n)


@dataclass(frozen=True)
class _Rel:
    id: str
    kind: str  # last word of the type: comments, vmlDrawing, threadedComment, ...
    target: str  # zip path ("" when external)


def _rels(parts: _Parts, part: str) -> list[_Rel]:
    xml = parts.get(rels_path(part))
    if xml is None:
        return []
    out = []
    for r in parse(xml):
        external = r.get("TargetMode", "") == "External"
        out.append(_Rel(r.get("Id", ""), r.get("Type", "").rsplit("/", 1)[-1],
                        "" if external else resolve(part, r.get("Target", ""))))
    return out


def add_header_notes(
    package: Package, part: str, xml: bytes, columns: Sequence[L.Placed], replaced: dict, added: dict,
    widths: Mapping[int, float] | None = None,
) -> HeaderNotes:
    """Add each of `columns`' header notes to worksheet `part` (its bytes `xml`) as a cell note.

    New and changed parts go into `replaced` / `added` (as `save.rebuild` takes them).
    `widths` (column -> characters) places each note box beside its cell.
    """
    parts = _Parts(package, replaced, added)
    try:
        done = _add(parts, part, xml, columns, widths or {})
    except _CannotMerge as exc:
        return HeaderNotes(xml, (), tuple(p.col for p in columns), str(exc))
    parts.commit()
    return done


def _add(parts: _Parts, part: str, xml: bytes, columns: Sequence[L.Placed], widths: Mapping[int, float]) -> HeaderNotes:
    rels = _rels(parts, part)
    by_id = {r.id: r for r in rels}
    comments = next((r for r in rels if r.kind == "comments"), None)
    prefix = element_prefix(xml)
    drawing = re.search(rb"<" + re.escape(prefix) + rb"legacyDrawing\b[^>]*?\s[\w.-]+:id=\"([^\"]*)\"", xml)
    taken = set()
    for rel in rels:
        if rel.kind in ("comments", "threadedComment"):
            taken |= _refs(parts, rel.target)
    wanted = [p for p in columns if f"{column_letters(p.col)}1" not in taken]
    if not wanted:
        return HeaderNotes(xml, (), ())
    if drawing is not None:
        vml_rel = by_id.get(drawing.group(1).decode())
        if vml_rel is None or vml_rel.kind != "vmlDrawing" or not vml_rel.target or parts.get(vml_rel.target) is None:
            raise _CannotMerge("the tab's legacy drawing (its notes' shapes) could not be found in the file")
        vml_part = vml_rel.target
    elif comments is not None:
        raise _CannotMerge(f"the tab's notes ({comments.target}) have no drawing for their boxes")
    else:
        vml_part = ""
    base = _rel_base(parts)
    new_rels: list[tuple[str, str]] = []  # (type, target)
    # The comments part: the person's, with sheetsync's appended, or a new one.
    if comments is not None:
        old = parts.get(comments.target)
        if old is None:
            raise _CannotMerge(f"the tab's notes part {comments.target} is missing from the file")
        comments_part, comments_xml = comments.target, _append_comments(old, wanted, comments.target)
    else:
        folder = posixpath.dirname(posixpath.dirname(part)) or "xl"
        comments_part = parts.free(folder + "/comments{}.xml")
        comments_xml = _new_comments(wanted)
        new_rels.append((base + "comments", comments_part))
    # The drawing: the person's, with sheetsync's boxes appended, or a new one.
    geometry = _Geometry(xml, widths)
    if vml_part:
        vml = _append_shapes(parts, vml_part, wanted, geometry)
    else:
        folder = posixpath.dirname(posixpath.dirname(part)) or "xl"
        vml_part = parts.free(folder + "/drawings/vmlDrawing{}.vml")
        vml = _new_vml(_free_block(parts), wanted, geometry)
        new_rels.append((base + "vmlDrawing", vml_part))
    parts.put(comments_part, comments_xml)
    parts.put(vml_part, vml)
    ids = _add_rels(parts, part, new_rels)
    if drawing is None:
        xml = _insert_legacy_drawing(xml, prefix, ids[base + "vmlDrawing"])
    _add_content_types(parts, comments_part if comments is None else "", vml_part)
    return HeaderNotes(xml, tuple(p.col for p in wanted), ())


def _refs(parts: _Parts, target: str) -> set[str]:
    """Upper-case refs of the cells a comments or threaded-comments part annotates."""
    data = parts.get(target)
    if data is None:
        return set()
    try:
        root = parse(data)
    except etree.XMLSyntaxError:
        raise _CannotMerge(f"the tab's notes part {target} could not be read") from None
    return {el.get("ref", "").upper() for el in root.iter() if isinstance(el.tag, str) and el.get("ref")}


def _rel_base(parts: _Parts) -> str:
    """The relationship type prefix the workbook uses (Strict files have their own)."""
    rels = parts.get(rels_path(parts.package.workbook_part)) or b""
    strict = REL_NAMESPACES[1].encode() in rels
    return (REL_NAMESPACES[1] if strict else REL_NAMESPACES[0]) + "/"


def _note_xml(placed: L.Placed, author: int) -> str:
    # Excel's own look for a note: 9-point Tahoma in the note's colour.
    return (
        f'<comment ref="{column_letters(placed.col)}1" authorId="{author}" shapeId="0"><text><r><rPr>'
        '<sz val="9"/><color indexed="81"/><rFont val="Tahoma"/><family val="2"/></rPr>'
        f'<t xml:space="preserve">{escape(placed.layout.note)}</t></r></text></comment>'
    )


def _new_comments(wanted: Sequence[L.Placed]) -> bytes:
    body = "".join(_note_xml(p, 0) for p in sorted(wanted, key=lambda p: p.col))
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<authors><author>{AUTHOR}</author></authors><commentList>{body}</commentList></comments>"
    ).encode("utf-8")


def _append_comments(xml: bytes, wanted: Sequence[L.Placed], name: str) -> bytes:
    """The person's comments part with sheetsync's author (once) and notes added in cell order."""
    root = re.search(rb"<(?:([\w.-]+):)?comments\b", xml)
    if root is None:
        raise _CannotMerge(f"the tab's notes part {name} is not one sheetsync can read")
    p = (root.group(1) + b":") if root.group(1) else b""
    ep = re.escape(p)
    authors = re.search(rb"<" + ep + rb"authors\b[^>]*?(/?)>", xml)
    listed = re.search(rb"<" + ep + rb"commentList\b[^>]*?(/?)>", xml)
    if authors is None or listed is None:
        raise _CannotMerge(f"the tab's notes part {name} has no list of authors or notes")
    names = []
    if not authors.group(1):
        close = xml.index(b"</" + p + b"authors>", authors.end())
        names = [m.group(1) for m in re.finditer(rb"<" + ep + rb"author\b[^>]*>(.*?)</" + ep + rb"author>|<" + ep + rb"author\b[^>]*/>", xml[authors.end():close], re.S)]
        names = [n or b"" for n in names]
    if AUTHOR.encode() in names:
        author = names.index(AUTHOR.encode())
    else:
        author = len(names)
        new_author = b"<" + p + b"author>" + AUTHOR.encode() + b"</" + p + b"author>"
        if authors.group(1):
            xml = xml[: authors.start()] + xml[authors.start() : authors.end() - 2] + b">" + new_author + b"</" + p + b"authors>" + xml[authors.end() :]
        else:
            close = xml.index(b"</" + p + b"authors>", authors.end())
            xml = xml[:close] + new_author + xml[close:]
        listed = re.search(rb"<" + ep + rb"commentList\b[^>]*?(/?)>", xml)
        assert listed is not None
    pp = p.decode()
    notes = [
        (p_.col, re.sub(r"<(/?)(\w)", lambda m: f"<{m.group(1)}{pp}{m.group(2)}", _note_xml(p_, author)).encode("utf-8"))
        for p_ in sorted(wanted, key=lambda p_: p_.col)
    ]
    if listed.group(1):
        head = xml[listed.start() : listed.end() - 2] + b">"
        return xml[: listed.start()] + head + b"".join(n for _, n in notes) + b"</" + p + b"commentList>" + xml[listed.end() :]
    close = xml.index(b"</" + p + b"commentList>", listed.end())
    # Excel lists notes row by row, left to right: each of ours goes before the first one after it.
    out, pos = [], listed.end()
    for m in re.finditer(rb"<" + ep + rb"comment\b[^>]*?\sref=\"([A-Za-z]+)([0-9]+)\"", xml[listed.end() : close]):
        key = (int(m.group(2)), column_index(m.group(1).decode().upper()))
        start = listed.end() + m.start()
        while notes and (1, notes[0][0]) < key:
            out.append(xml[pos:start])
            out.append(notes.pop(0)[1])
            pos = start
    out.append(xml[pos:close])
    out.extend(n for _, n in notes)
    return xml[: listed.end()] + b"".join(out) + xml[close:]


class _Geometry:
    """Where a note box sits when shown: right of its header cell, in the sheet's columns."""

    def __init__(self, xml: bytes, widths: Mapping[int, float]):
        self.widths = dict(widths)
        p = re.escape(element_prefix(xml))
        cols = re.search(rb"<" + p + rb"cols\b.*?</" + p + rb"cols>", xml, re.S)
        for col in re.finditer(rb"<" + p + rb"col\b[^>]*?/?>", cols.group(0) if cols else b""):
            lo, hi = re.search(rb'\smin="([0-9]+)"', col.group(0)), re.search(rb'\smax="([0-9]+)"', col.group(0))
            width = re.search(rb'\swidth="([0-9.]+)"', col.group(0))
            if lo and hi and width:
                for c in range(int(lo.group(1)), min(int(hi.group(1)), int(lo.group(1)) + 512) + 1):
                    self.widths[c] = float(width.group(1))

    def px(self, col: int) -> int:
        width = self.widths.get(col)
        return _DEFAULT_COL_PX if width is None else max(1, int(width * 7 + 0.5))

    def box(self, col: int, text: str) -> tuple[str, str]:
        """(VML style, x:Anchor) of the note of header column `col` (1-based)."""
        height = L.lines_needed(text, _CHARS_PER_LINE) * _LINE_PX + 8
        left = sum(self.px(c) for c in range(1, col + 1)) + 15
        # The anchor counts 0-based columns and rows with pixel offsets into them.
        first, offset = col, 15
        right, remaining = first, _NOTE_PX + offset
        while remaining > self.px(right + 1):
            remaining -= self.px(right + 1)
            right += 1
        bottom_row, bottom = divmod(height + 2, _ROW_PX)
        style = (
            f"position:absolute;margin-left:{left * 0.75:.2f}pt;margin-top:1.5pt;width:{_NOTE_PX * 0.75:.2f}pt;"
            f"height:{height * 0.75:.2f}pt;z-index:{col};visibility:hidden"
        )
        return style, f"{first}, {offset}, 0, 2, {right}, {remaining}, {bottom_row}, {bottom}"


def _shape(shape_id: int, placed: L.Placed, geometry: _Geometry, decl: str = "") -> str:
    style, anchor = geometry.box(placed.col, placed.layout.note)
    return (
        f'<v:shape{decl} id="_x0000_s{shape_id}" type="#_x0000_t202" style="{style}" fillcolor="#ffffe1" o:insetmode="auto">'
        '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
        '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
        '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
        f"<x:Anchor>{anchor}</x:Anchor><x:AutoFill>False</x:AutoFill><x:Row>0</x:Row>"
        f"<x:Column>{placed.col - 1}</x:Column></x:ClientData></v:shape>"
    )


def _shapetype(decl: str = "") -> str:
    return (
        f'<v:shapetype{decl} id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
        '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
    )


def _idmap(vml: bytes) -> list[int]:
    m = re.search(rb"<(?:[\w.-]+:)?idmap\b[^>]*?\sdata=\"([0-9, ]*)\"", vml)
    return [int(x) for x in re.findall(rb"[0-9]+", m.group(1))] if m else []


def _free_block(parts: _Parts) -> int:
    """An o:idmap block no drawing of the workbook uses: shape ids are unique per workbook."""
    used = [0]
    for name in parts.names():
        if name.lower().endswith(".vml"):
            used.extend(_idmap(parts.get(name) or b""))
    return max(used) + 1


def _new_vml(block: int, wanted: Sequence[L.Placed], geometry: _Geometry) -> bytes:
    shapes = "".join(_shape(block * _BLOCK + 1 + i, p, geometry) for i, p in enumerate(sorted(wanted, key=lambda p: p.col)))
    return (
        f'<xml xmlns:v="{_VML["v"]}" xmlns:o="{_VML["o"]}" xmlns:x="{_VML["x"]}">'
        f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{block}"/></o:shapelayout>'
        f"{_shapetype()}{shapes}</xml>"
    ).encode("utf-8")


def _append_shapes(parts: _Parts, name: str, wanted: Sequence[L.Placed], geometry: _Geometry) -> bytes:
    """The person's drawing with a box for each of sheetsync's notes appended."""
    vml = parts.get(name) or b""
    try:
        root = parse(vml)
    except etree.XMLSyntaxError:
        raise _CannotMerge(f"the tab's notes drawing {name} is not well-formed XML") from None
    end = vml.rfind(b"</xml>")
    if root.tag != "xml" or end < 0:
        raise _CannotMerge(f"the tab's notes drawing {name} is not laid out as Excel writes one")
    # Excel declares v, o and x on the root; openpyxl declares its own prefixes on each element,
    # and then so do sheetsync's shapes.
    on_root = all((root.nsmap or {}).get(k) == uri for k, uri in _VML.items())
    decl = "" if on_root else "".join(f' xmlns:{k}="{uri}"' for k, uri in _VML.items())
    # LibreOffice writes no o:idmap (and ids of its own): then ids from a block nobody uses.
    blocks = _idmap(vml) or [_free_block(parts)]
    used = {int(x) for x in re.findall(rb'\sid="_x0000_s([0-9]+)"', vml)}
    free = [i for b in blocks for i in range(b * _BLOCK + 1, (b + 1) * _BLOCK) if i not in used]
    if len(free) < len(wanted):
        raise _CannotMerge(f"the tab's notes drawing {name} has no shape ids left for more notes")
    added = "" if re.search(rb'\sid="_x0000_t202"', vml) else _shapetype(decl)
    added += "".join(_shape(free[i], p, geometry, decl) for i, p in enumerate(sorted(wanted, key=lambda p: p.col)))
    return vml[:end] + added.encode("utf-8") + vml[end:]


def _add_rels(parts: _Parts, part: str, new: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Add relationships (type, target part) to `part`'s rels; returns type -> the id given."""
    if not new:
        return {}
    path = rels_path(part)
    xml = parts.get(path) or (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>'
    )
    taken = set(re.findall(rb'\sId="([^"]+)"', xml))
    ids: dict[str, str] = {}
    k = 1
    added = b""
    for kind, target in new:
        while f"rId{k}".encode() in taken:
            k += 1
        ids[kind] = f"rId{k}"
        taken.add(ids[kind].encode())
        relative = posixpath.relpath(target, posixpath.dirname(part))
        added += f'<Relationship Id="{ids[kind]}" Type="{kind}" Target="{relative}"/>'.encode()
    close = xml.rfind(b"</Relationships>")
    if close < 0:
        m = re.search(rb"<Relationships\b([^>]*?)/>", xml)
        if m is None:
            raise _CannotMerge(f"the tab's relationships ({path}) could not be read")
        xml = xml[: m.start()] + b"<Relationships" + m.group(1) + b">" + added + b"</Relationships>" + xml[m.end() :]
    else:
        xml = xml[:close] + added + xml[close:]
    parts.put(path, xml)
    return ids


def _insert_legacy_drawing(xml: bytes, prefix: bytes, rel_id: str) -> bytes:
    head = xml[: xml.find(b">", xml.find(b"<" + prefix + b"worksheet")) + 1]
    declared = re.search(rb'xmlns:([\w.-]+)="(' + b"|".join(re.escape(n.encode()) for n in REL_NAMESPACES) + rb')"', head)
    if declared:
        attr = declared.group(1) + f':id="{rel_id}"'.encode()
    else:
        attr = f'xmlns:r="{REL_NAMESPACES[0]}" r:id="{rel_id}"'.encode()
    element = b"<" + prefix + b"legacyDrawing " + attr + b"/>"
    return insert_in_order(xml, "legacyDrawing", element, WORKSHEET_ORDER, prefix, b"worksheet")


def _add_content_types(parts: _Parts, comments_part: str, vml_part: str) -> None:
    types = parts.get(CONTENT_TYPES) or b""
    new = types
    if comments_part and f'PartName="/{comments_part}"'.encode() not in new:
        new = _before_close(new, f'<Override PartName="/{comments_part}" ContentType="{COMMENTS_TYPE}"/>'.encode())
    if not re.search(rb'Extension="vml"', new, re.I) and f'PartName="/{vml_part}"'.encode() not in new:
        new = _before_close(new, f'<Default Extension="vml" ContentType="{VML_TYPE}"/>'.encode())
    if not re.search(rb'Extension="rels"', new, re.I):
        new = _before_close(new, f'<Default Extension="rels" ContentType="{RELS_TYPE}"/>'.encode())
    if new != types:
        parts.put(CONTENT_TYPES, new)


def _before_close(xml: bytes, addition: bytes) -> bytes:
    end = xml.rfind(b"</Types>")
    if end < 0:
        raise _CannotMerge("the workbook's content types could not be read")
    return xml[:end] + addition + xml[end:]


__all__ = ["HeaderNotes", "add_header_notes"]
