"""A streamed write of the articles part gives the same bytes as the edit of the whole part.

Checked on every worksheet of the Excel corpus and on parts made to be awkward (rows or cells
without their reference, a prefixed worksheet, no rows at all, rows to insert between others),
each cut into chunks small enough that every tag falls across a cut somewhere.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from sheetsync.tables.xlsx import stream
from sheetsync.tables.xlsx.package import Package, element_prefix
from sheetsync.tables.xlsx.reader import column_letters
from sheetsync.tables.xlsx.writer import SheetEdit, Splicer

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "excel-workbooks"
FILES = sorted(CORPUS.glob("*.xls[xm]")) if CORPUS.is_dir() else []
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def package_of(parts: dict[str, bytes]) -> Package:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("_rels/.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                   'officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}"><sheets/></workbook>')
        for name, data in parts.items():
            z.writestr(name, data)
    return Package(out.getvalue(), "test.xlsx")


def both_ways(package: Package, part: str, cells: dict[int, dict[int, str]], chunk: int) -> tuple[bytes, bytes | None]:
    """(the whole-part edit, the streamed edit; None when the part is not one to stream)."""
    xml = package.read(part)
    columns = {c for row in cells.values() for c in row}
    whole = Splicer(element_prefix(xml))
    expected_styles = {c: whole.styles_in_column(xml, c) for c in columns}
    edit = SheetEdit(cells=cells, new_columns={}, heights={r: 30.0 for r in list(cells)[::4]})
    expected = b"".join(whole.edit_pieces(xml, edit))
    found = stream.scan(package, part, columns, chunk=chunk)
    if found is None:
        return expected, None
    streamed = Splicer(found.prefix)
    streamed.body_styles = found.styles
    assert {c: streamed.styles_in_column(found.skeleton, c) for c in columns} == expected_styles
    body = stream.body(package, part, found.lo, found.hi, chunk=chunk)
    return expected, b"".join(streamed.edit_stream(found.skeleton, body, edit))


def edits_for(xml: bytes) -> dict[int, dict[int, str]]:
    """Every third row, from the header to two rows past the last, in an early and a far column."""
    last = xml.count(b"<row") + xml.count(b":row ") + 2
    return {r: {2: f"written {r}", 9: "" if r % 2 else "Published"} for r in range(1, last + 1, 3)}


@pytest.mark.skipif(not FILES, reason=f"the Excel corpus is not at {CORPUS}")
def test_every_corpus_worksheet_streams_to_the_same_bytes() -> None:
    streamed = 0
    for path in FILES:
        package = Package(path.read_bytes(), path.name)
        for entry in package.sheets:
            if entry.kind != "worksheet" or not package.has(entry.part):
                continue
            xml = package.read(entry.part)
            for chunk in (53, 4096):
                expected, got = both_ways(package, entry.part, edits_for(xml), chunk)
                assert got is not None, (path.name, entry.part)
                assert got == expected, (path.name, entry.part, chunk)
            streamed += 1
    assert streamed >= len(FILES)


def rows_xml(body: str, prefix: str = "", tail: str = "") -> bytes:
    p = f"{prefix}:" if prefix else ""
    ns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}worksheet {ns}><{p}dimension ref="A1:C9"/>'
        f'<{p}cols><{p}col min="2" max="2" width="20" style="4" customWidth="1"/></{p}cols>'
        f"{body}{tail}</{p}worksheet>"
    ).encode()


CASES = {
    "numbered rows, a gap to fill": '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>h</t></is></c></row>'
    '<row r="2" spans="1:3"><c r="A2" s="3"><v>1</v></c><c r="B2" s="7"><v>2</v></c></row><row r="8"/>'
    '<row r="9"><c r="C9"><v>3</v></c></row></sheetData>',
    "rows without numbers": '<sheetData><row><c r="A1"><v>1</v></c></row><row><c><v>2</v></c><c><v>3</v></c></row>'
    '<row r="5"><c r="B5" s="2"><v>5</v></c></row><row/><row><c r="A7"><v>7</v></c></row></sheetData>',
    "unnamed cells after named ones": '<sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2">'
    '<v>1</v></c></row><row><c><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row></sheetData>',
    "no rows": "<sheetData/>",
    "an empty sheetData": "<sheetData></sheetData>",
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("prefix", ["", "x"])
def test_awkward_parts_stream_to_the_same_bytes(name: str, prefix: str) -> None:
    body = CASES[name]
    if prefix:
        body = body.replace("<", "<x:").replace("<x:/", "</x:")
    tail = '<hyperlinks><hyperlink ref="B3" location="A1"/></hyperlinks>'
    if prefix:
        tail = tail.replace("<", "<x:").replace("<x:/", "</x:")
    part = "xl/worksheets/sheet1.xml"
    package = package_of({part: rows_xml(body, prefix, tail)})
    cells = {r: {2: f"new {r}", 4: "" if r == 3 else "d"} for r in (1, 2, 3, 4, 6, 9, 12)}
    for chunk in (1, 7, 64, 1 << 20):
        expected, got = both_ways(package, part, cells, chunk)
        assert got == expected, (name, prefix, chunk)


def test_a_part_whose_sheetdata_is_not_closed_is_edited_whole() -> None:
    part = "xl/worksheets/sheet1.xml"
    package = package_of({part: rows_xml('<sheetData><row r="1"><c r="A1"><v>1</v></c></row>')})
    assert stream.scan(package, part, {2}) is None


def test_the_scan_finds_the_styles_of_cells_across_chunks() -> None:
    rows = "".join(f'<row r="{r}"><c r="{column_letters(2)}{r}" s="{r % 5}"><v>{r}</v></c></row>' for r in range(1, 40))
    part = "xl/worksheets/sheet1.xml"
    package = package_of({part: rows_xml(f"<sheetData>{rows}</sheetData>")})
    found = stream.scan(package, part, {2, 3}, chunk=11)
    assert found is not None
    assert list(found.styles[2]) == [b"1", b"2", b"3", b"4", b"0"]
    assert found.styles[3] == {}
    assert found.skeleton.count(b"<row") == 0
