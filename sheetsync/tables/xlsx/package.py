"""An .xlsx/.xlsm file as a zip of parts: find the workbook, its tabs and their parts.

Nothing here changes a part; `writer.py` builds new versions of the few parts sheetsync edits
and `save.py` puts the package back on disk.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lxml import etree

from ...errors import TableError

MAIN_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",  # "Strict Open XML" files
)
REL_NAMESPACES = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "[Content_Types].xml"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
# Encrypted Office files (and old .xls) are OLE compound files, not zips.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def parser() -> etree.XMLParser:
    """An lxml parser that never resolves entities, loads a DTD or touches the network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


def parse(data: bytes) -> etree._Element:
    """Parse a small part (workbook, rels, table) safely."""
    return etree.fromstring(data, parser())


def rel_attr(elem: etree._Element, name: str) -> str:
    """An `r:`-namespaced attribute (`r:id`), whichever relationships namespace the file uses."""
    for ns in REL_NAMESPACES:
        value = elem.get(f"{{{ns}}}{name}")
        if value is not None:
            return value
    return ""


@dataclass(frozen=True)
class Rel:
    id: str
    type: str  # the relationship type's last word: worksheet, chartsheet, table, ...
    target: str  # zip path of the target part ("" for an external target)


@dataclass(frozen=True)
class SheetEntry:
    """One tab as the workbook lists it."""

    name: str
    sheet_id: int
    rel_id: str
    kind: str  # worksheet, chartsheet, dialogsheet, macrosheet
    part: str
    index: int  # position in the workbook's sheet list (what localSheetId counts)


def rels_path(part: str) -> str:
    """Zip path of the relationships part of `part`."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve(source: str, target: str) -> str:
    """Zip path of a relationship target written relative to `source` (or absolute)."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


class Package:
    """The parts of one workbook file, read lazily from its bytes."""

    def __init__(self, data: bytes, name: str):
        self.name = name
        if data[:8] == _OLE_MAGIC:
            raise TableError(
                f"{name} is encrypted with a password (or is an old .xls file renamed), so "
                "sheetsync cannot edit it; in Excel use File > Info > Protect Workbook > Encrypt "
                "with Password, clear the password, save as .xlsx, and run again."
            )
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            self.infos = {info.filename: info for info in self.zip.infolist()}
            self.workbook_part = self._workbook_part()
            self.workbook_xml = self.read(self.workbook_part)
            book = parse(self.workbook_xml)
        except TableError:
            raise
        except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, ValueError, OSError) as exc:
            reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:120]
            raise TableError(
                f"{name} is not a readable .xlsx/.xlsm workbook ({reason}); open it in Excel or "
                "LibreOffice and save it as .xlsx."
            ) from None
        self.main_ns = etree.QName(book).namespace or MAIN_NAMESPACES[0]
        self.workbook_rels = self.rels(self.workbook_part)
        by_id = {r.id: r for r in self.workbook_rels}
        self.sheets: list[SheetEntry] = []
        for index, sheet in enumerate(book.iter(f"{{{self.main_ns}}}sheet")):
            rel = by_id.get(rel_attr(sheet, "id"))
            self.sheets.append(
                SheetEntry(
                    name=sheet.get("name", ""),
                    sheet_id=int(sheet.get("sheetId", "0") or 0),
                    rel_id=rel.id if rel else "",
                    kind=rel.type if rel else "missing",
                    part=rel.target if rel else "",
                    index=index,
                )
            )
        pr = book.find(f"{{{self.main_ns}}}workbookPr")
        self.date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
        self.shared_strings = next((r.target for r in self.workbook_rels if r.type == "sharedStrings"), "")
        self.styles = next((r.target for r in self.workbook_rels if r.type == "styles"), "")

    def _workbook_part(self) -> str:
        for rel in self.rels(""):
            if rel.type == "officeDocument":
                return rel.target
        return "xl/workbook.xml"

    def has(self, part: str) -> bool:
        return part in self.infos

    def read(self, part: str) -> bytes:
        """The uncompressed bytes of one part."""
        return self.zip.read(self.infos[part])

    def read_large(self, part: str) -> bytearray:
        """One part read in chunks into a buffer of its final size: `read` would hold nearly
        three times the part while it decompresses."""
        info = self.infos[part]
        buffer = bytearray(info.file_size)
        view = memoryview(buffer)
        filled = 0
        with self.zip.open(info) as fh:
            while chunk := fh.read(1 << 20):
                view[filled : filled + len(chunk)] = chunk
                filled += len(chunk)
        view.release()
        if filled != len(buffer):
            del buffer[filled:]
        return buffer

    def open(self, part: str) -> io.BufferedIOBase:
        return self.zip.open(self.infos[part])  # type: ignore[return-value]

    def rels(self, part: str) -> list[Rel]:
        """Relationships of `part` ("" for the package's own)."""
        path = "_rels/.rels" if not part else rels_path(part)
        if path not in self.infos:
            return []
        out = []
        for r in parse(self.read(path)):
            target = r.get("Target", "")
            external = r.get("TargetMode", "") == "External"
            out.append(
                Rel(
                    id=r.get("Id", ""),
                    type=r.get("Type", "").rsplit("/", 1)[-1],
                    target="" if external else resolve(part or "/", target) if part else target.lstrip("/"),
                )
            )
        return out


_PREFIX = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet\b")


def element_prefix(xml: bytes) -> bytes:
    """The namespace prefix the worksheet's elements carry (b"" for the default namespace)."""
    match = _PREFIX.search(xml, 0, 4096) or _PREFIX.search(xml)
    return (match.group(1) + b":") if match and match.group(1) else b""


def merge_cols(inner: bytes, cols: Iterable[re.Match[bytes]], added: Sequence[tuple[int, bytes]]) -> bytes:
    """`inner` (a <cols> element's content) with the `added` (first column, <col>) entries in place.

    Excel wants <col> elements in column order: each new one goes before the first existing
    element (`cols`, matches in `inner`) that starts right of it.
    """
    pieces, pos, queue = [], 0, list(added)
    for col in cols:
        lo = re.search(rb'\smin="([0-9]+)"', col.group(0))
        start = int(lo.group(1)) if lo else 0
        while queue and queue[0][0] < start:
            pieces.append(inner[pos : col.start()])
            pieces.append(queue.pop(0)[1])
            pos = col.start()
    pieces.append(inner[pos:])
    pieces.extend(x for _, x in queue)
    return b"".join(pieces)
