"""Result URLs in the articles tab are cell hyperlinks, beside the person's own links."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.hyperlink import Hyperlink

from sheetsync.tables.base import RowWrite, WriteBack
from sheetsync.tables.xlsx import XlsxTable
from sheetsync.tables.xlsx.link_style import LINK_RGB
from tests.sync.conftest import world  # noqa: F401 - the emulator fixture
from tests.sync.helpers import sheet
from tests.tables.test_xlsx_corpus import assert_only_appended

SHEET = "xl/worksheets/sheet1.xml"
RELS = "xl/worksheets/_rels/sheet1.xml.rels"
ORDER = ("sheetData", "mergeCells", "conditionalFormatting", "dataValidations", "hyperlinks", "pageMargins", "pageSetup", "legacyDrawing")


def people_links(wb, ws) -> None:
    """A person's own links: a web page on A2, a jump to another tab on A3."""
    ws["A2"].hyperlink = "https://people.example/brief?a=1&b=2"
    ws["A3"].hyperlink = Hyperlink(ref="A3", location="'Other'!A1", display="see Other")
    wb.create_sheet("Other")["A1"] = "elsewhere"


def make(path: Path, build=people_links) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Articles"
    for row in [["title", "row_key", "result_urls"], ["Alpha title here", "ka"], ["Beta title here", "kb"], ["Gamma", "kc"]]:
        ws.append(row)
    build(wb, ws)
    wb.save(path)
    return path


def urls_write(**by_key: str) -> WriteBack:
    rows = tuple(RowWrite(key=k, values={"result_urls": v}, read_row=0) for k, v in by_key.items())
    return WriteBack("row_key", "title", rows)


def write(path: Path, **by_key: str) -> None:
    table = XlsxTable(path)
    table.read()
    result = table.write(urls_write(**by_key))
    assert not result.lost, result


def links(path: Path) -> dict[str, str]:
    ws = openpyxl.load_workbook(path)["Articles"]
    return {c.coordinate: c.hyperlink.target or f"#{c.hyperlink.location}" for row in ws.iter_rows() for c in row if c.hyperlink}


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def order_ok(xml: bytes) -> bool:
    names = [m.group(1).decode() for m in re.finditer(rb"<(\w+)\b", xml) if m.group(1).decode() in ORDER]
    seen = [ORDER.index(n) for n in dict.fromkeys(names)]
    return seen == sorted(seen)


PERSON = {"A2": "https://people.example/brief?a=1&b=2", "A3": "#'Other'!A1"}


def test_a_result_url_cell_of_one_url_links_to_it_beside_the_persons_links(tmp_path):
    path = make(tmp_path / "links.xlsx")
    before = parts(path)
    person_rels = re.findall(rb"<Relationship [^>]*/>", before[RELS])
    person_links = re.findall(rb"<hyperlink [^>]*/>", before[SHEET])
    write(path, ka="https://a.example/one", kb="https://c.example/p?x=1&y=<2>", kc="https://d.example/1\nhttps://e.example/2")
    # A cell of several URLs has none: LibreOffice would show it as one line, the URLs glued.
    assert links(path) == {**PERSON, "C2": "https://a.example/one", "C3": "https://c.example/p?x=1&y=<2>"}
    ws = openpyxl.load_workbook(path)["Articles"]
    assert ws["C4"].value == "https://d.example/1\nhttps://e.example/2"  # text, every URL
    assert ws["C4"].data_type == "s" and ws.row_dimensions[4].height >= 30  # tall enough for 2 lines
    assert ws["C4"].font.u is None and ws["C2"].font.u == "single"  # only a linked cell looks like one
    after = parts(path)
    # The person's relationships and <hyperlink> elements are there byte for byte, ids unique.
    assert all(rel in after[RELS] for rel in person_rels) and all(link in after[SHEET] for link in person_links)
    ids = re.findall(rb'Id="([^"]+)"', after[RELS])
    assert len(ids) == len(set(ids)) == len(person_rels) + 2
    assert after[SHEET].count(b"<hyperlinks") == 1 and order_ok(after[SHEET])
    assert b"HYPERLINK" not in after[SHEET]


def test_a_changed_or_emptied_cell_changes_or_drops_its_link_and_relationship(tmp_path):
    path = make(tmp_path / "changes.xlsx")
    write(path, ka="https://a.example/one", kb="https://b.example/two")
    write(path, ka="https://a.example/moved", kb="")
    assert links(path) == {**PERSON, "C2": "https://a.example/moved"}
    rels = parts(path)[RELS]
    assert b"a.example/one" not in rels and b"b.example" not in rels and rels.count(b"a.example/moved") == 1
    write(path, ka="not a link yet")
    assert links(path) == PERSON


def test_a_sheet_without_links_or_rels_gets_both_and_loses_the_element_again(tmp_path):
    path = make(tmp_path / "bare.xlsx", build=lambda wb, ws: None)
    assert RELS not in parts(path)
    write(path, ka="https://a.example/one")
    assert links(path) == {"C2": "https://a.example/one"}
    after = parts(path)
    assert b'TargetMode="External"' in after[RELS] and order_ok(after[SHEET])
    write(path, ka="")
    assert links(path) == {} and b"<hyperlinks" not in parts(path)[SHEET]


def test_a_person_link_over_several_cells_of_the_column_is_left_alone(tmp_path):
    path = make(tmp_path / "wide.xlsx", build=lambda wb, ws: None)
    from tests.tables.test_xlsx import patch

    patch(path, {SHEET: lambda x: x.replace(
        "<pageMargins", '<hyperlinks><hyperlink ref="A4:C4" location="Articles!A1"/></hyperlinks><pageMargins', 1)})
    write(path, kc="https://c.example/p", ka="https://a.example/p")
    xml = parts(path)[SHEET]
    assert b'ref="A4:C4"' in xml and b'ref="C4"' not in xml and b'ref="C2"' in xml


def test_a_sync_that_changes_nothing_writes_nothing(world, tmp_path):  # noqa: F811
    path = tmp_path / "synced.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Articles"
    for row in sheet(2, targets="372"):
        ws.append(row)
    ws["A2"].hyperlink = "https://people.example/brief"
    wb.save(path)
    assert world.run(XlsxTable(path)).exit_code == 0
    world.clock.advance(3600 * 24 * 3)
    assert world.run(XlsxTable(path)).exit_code == 0
    found = links(path)
    values = {c.coordinate: c.value for row in openpyxl.load_workbook(path)["Articles"].iter_rows() for c in row}
    own = {ref: url for ref, url in found.items() if ref != "A2"}
    assert found["A2"] == "https://people.example/brief" and len(own) == 2
    for ref, url in own.items():
        assert values[ref].splitlines()[0] == url and len(values[ref].splitlines()) == 1
    data = path.read_bytes()
    stamp = path.stat().st_mtime_ns
    assert world.run(XlsxTable(path)).exit_code == 0
    assert path.read_bytes() == data and path.stat().st_mtime_ns == stamp


@pytest.mark.slow
def test_libreoffice_and_openpyxl_round_trips_keep_every_link(tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    path = make(tmp_path / "trip.xlsx")
    write(path, ka="https://a.example/one", kb="https://c.example/p?x=1&y=2")
    wanted = {**PERSON, "C2": "https://a.example/one", "C3": "https://c.example/p?x=1&y=2"}
    resaved = tmp_path / "openpyxl.xlsx"
    openpyxl.load_workbook(path).save(resaved)
    assert links(resaved) == wanted
    out = tmp_path / "lo"
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to", "xlsx",
         "--outdir", str(out), str(path)],
        capture_output=True, timeout=180, check=True,
    )  # fmt: skip
    assert links(out / path.name) == wanted
    # A workbook LibreOffice saved (its own ids, display= on every link) is synced as well.
    write(out / path.name, ka="https://a.example/changed", kb="")
    assert links(out / path.name) == {**PERSON, "C2": "https://a.example/changed"}


def test_a_prefixed_worksheet_and_an_aliased_header_get_links_too(tmp_path):
    # Some programs write every element with a prefix (<x:row>, <x:hyperlink>); "Backlinks" is
    # one of the names people give the result_urls column.
    path = make(tmp_path / "prefixed.xlsx", build=lambda wb, ws: ws.cell(1, 3, "Backlinks"))
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

    def prefixed(xml: str) -> str:
        xml = re.sub(r"<(/?)(?!\?)(\w+)", r"<\1x:\2", xml).replace(f'xmlns="{main}"', f'xmlns:x="{main}"')
        return xml.replace("<x:pageMargins", '<x:hyperlinks><x:hyperlink ref="A3" location="Other!A1"/></x:hyperlinks><x:pageMargins', 1)

    from tests.tables.test_xlsx import patch

    patch(path, {SHEET: prefixed})
    table = XlsxTable(path)
    table.read()
    table.write(WriteBack("row_key", "title", (RowWrite(key="ka", values={"Backlinks": "https://a.example/one"}, read_row=0),)))
    xml = parts(path)[SHEET]
    assert b'<x:hyperlink ref="A3" location="Other!A1"/>' in xml and b'<x:hyperlink ref="C2"' in xml
    assert links(path) == {"A3": "#Other!A1", "C2": "https://a.example/one"}


def test_an_address_longer_than_excel_keeps_gets_no_link_but_stays_in_the_cell(tmp_path):
    path = make(tmp_path / "long.xlsx", build=lambda wb, ws: None)
    long = "https://a.example/" + "x" * 2100
    write(path, ka=long + "\nhttps://b.example/short", kb="https://c.example/" + "y" * 2000)
    assert links(path) == {"C3": "https://c.example/" + "y" * 2000}
    assert openpyxl.load_workbook(path)["Articles"]["C2"].value.startswith(long)


def test_result_urls_written_before_links_existed_get_theirs_with_the_next_write(tmp_path):
    path = make(tmp_path / "older.xlsx", build=lambda wb, ws: ws.cell(3, 3, "https://b.example/older"))
    write(path, ka="https://a.example/new")  # row 3 is not written, yet its cell gets its link
    assert links(path) == {"C2": "https://a.example/new", "C3": "https://b.example/older"}


def test_a_linked_cell_looks_like_a_link_and_keeps_the_rest_of_its_look(tmp_path):
    def filled(wb, ws):
        ws["C2"].fill = PatternFill("solid", fgColor="FFFFF2CC")  # the person's fill on a result cell
        ws["C2"].alignment = Alignment(wrap_text=True, vertical="top")
        ws["C2"].font = Font(name="Arial", sz=10, b=True)

    path = make(tmp_path / "look.xlsx", build=filled)
    before = parts(path)["xl/styles.xml"]
    write(path, ka="https://a.example/one", kb="https://c.example/p")
    ws = openpyxl.load_workbook(path)["Articles"]
    for ref in ("C2", "C3"):
        font = ws[ref].font
        assert font.u == "single" and font.color.rgb == LINK_RGB, ref
    c2 = ws["C2"]
    assert c2.fill.fgColor.rgb == "FFFFF2CC" and c2.alignment.wrap_text and c2.font.name == "Arial" and c2.font.b
    assert ws["A2"].font.u is None  # cells without sheetsync's links keep their look
    styles = parts(path)["xl/styles.xml"]
    assert_only_appended(before, styles)
    # Written again: the same styles serve, nothing more is appended.
    write(path, ka="https://a.example/moved", kb="https://c.example/p")
    assert parts(path)["xl/styles.xml"] == styles
    assert openpyxl.load_workbook(path)["Articles"]["C2"].font.u == "single"


def test_a_synced_sheets_links_look_like_links_in_both_tabs(world, tmp_path):  # noqa: F811
    path = tmp_path / "synced.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Articles"
    for row in sheet(2, targets="372"):
        wb.active.append(row)
    wb.save(path)
    assert world.run(XlsxTable(path)).exit_code == 0
    world.clock.advance(3600 * 24 * 3)
    assert world.run(XlsxTable(path)).exit_code == 0
    wb = openpyxl.load_workbook(path)
    for tab, column in (("Articles", "result_urls"), ("Placements", "result_url")):
        ws = wb[tab]
        col = [c.value for c in ws[1]].index(column) + 1
        cells = [ws.cell(r, col) for r in range(2, ws.max_row + 1) if ws.cell(r, col).value]
        assert cells and all(c.hyperlink for c in cells), tab
        assert all(c.font.u == "single" and c.font.color.rgb == LINK_RGB for c in cells), tab
        assert ws.cell(1, col).font.u is None and ws.cell(1, col).font.b  # the header is not a link


def test_a_cell_that_loses_its_link_loses_the_look_of_one(tmp_path):
    def wrapped(wb, ws):
        ws["C2"].alignment = Alignment(wrap_text=True)

    path = make(tmp_path / "unlinked.xlsx", build=wrapped)
    write(path, ka="https://a.example/one")  # one page so far: a link
    assert openpyxl.load_workbook(path)["Articles"]["C2"].font.u == "single"
    write(path, ka="https://a.example/one\nhttps://b.example/two")  # a second page: no link
    ws = openpyxl.load_workbook(path)["Articles"]
    assert links(path) == {} and ws["C2"].font.u is None and ws["C2"].font.color is None
    assert ws["C2"].alignment.wrap_text  # the rest of its look stays


_SAME_STYLES = """
import sys
from pathlib import Path
import openpyxl
from openpyxl.styles import Font, PatternFill
from sheetsync.tables.base import RowWrite, WriteBack
from sheetsync.tables.xlsx import XlsxTable
path = Path(sys.argv[1])
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Articles"
ws.append(["title", "row_key", "result_urls", "last_synced"])
for i in range(2, 8):  # six cells of different looks in each column
    ws.append([f"Title number {i} here", f"k{i}", "", ""])
    ws.cell(i, 3).fill = PatternFill("solid", fgColor=f"FF{i}{i}0000")
    ws.cell(i, 4).font = Font(sz=8 + i)
wb.save(path)
table = XlsxTable(path)
table.read()
table.write(WriteBack("row_key", "title", tuple(
    RowWrite(f"k{i}", {"result_urls": f"https://a.example/{i}", "last_synced": "2026-12-01T09:05Z"}, 0) for i in range(2, 8))))
"""


def test_the_same_write_appends_the_same_styles_whatever_the_hash_seed(tmp_path):
    styles = []
    for seed in ("1", "2", "3"):
        path = tmp_path / f"seed{seed}.xlsx"
        subprocess.run([sys.executable, "-c", _SAME_STYLES, str(path)], check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}, cwd=Path(__file__).parents[2])
        styles.append(parts(path)["xl/styles.xml"])
    assert styles[0] == styles[1] == styles[2]
