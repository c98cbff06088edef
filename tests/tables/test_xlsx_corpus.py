"""Real Excel files: an articles tab added at package level, synced, then compared part by part.

Every part outside the articles tab and sheetsync's tabs (Placements, the sheet lease) must come
back byte for byte; the workbook's sheet list, its relationships and the content types may only
gain those tabs; the articles part may differ only in the cells of sheetsync's columns and in the refs
those columns need. Where LibreOffice is installed, it must still open every result.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from sheetsync.client import Client
from sheetsync.tables.xlsx import XlsxTable
from sheetsync.tables.xlsx.layout import WORKSHEET_ORDER
from sheetsync.tables.xlsx.package import Package
from tests.sync.helpers import HEADER, World, article

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "excel-workbooks"
FILES = sorted(p.name for p in CORPUS.glob("*.xls[xm]")) if CORPUS.is_dir() else []
ARTICLES_PART = "xl/worksheets/sheetsync_articles.xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEETSYNC_COLUMNS = 6  # A..F are the person's; sheetsync adds its columns from G on
ROWS = 3

pytestmark = pytest.mark.skipif(not FILES, reason=f"the Excel corpus is not at {CORPUS}")


def inline(ref: str, text: object) -> str:
    value = str(text).replace("&", "&amp;").replace("<", "&lt;")
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'


REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
ARTICLES_RELS = "xl/worksheets/_rels/sheetsync_articles.xml.rels"
# The person's own links on the articles tab: two web pages (ids with a gap) and a jump.
PERSON_LINKS = (
    '<hyperlinks><hyperlink ref="A2" r:id="rId1" tooltip="the brief"/><hyperlink ref="B3" location="Articles!A1" '
    'display="top"/><hyperlink ref="D4" r:id="rId3"/></hyperlinks>'
)
PERSON_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/'
    f'package/2006/relationships"><Relationship Id="rId1" Type="{REL}/hyperlink" Target="https://people.example/brief?a=1&amp;b=2" '
    f'TargetMode="External"/><Relationship Id="rId3" Type="{REL}/hyperlink" Target="https://people.example/other" '
    'TargetMode="External"/></Relationships>'
)


def articles_xml() -> bytes:
    rows = [HEADER, *(article(i, targets="372") for i in range(1, ROWS + 1))]
    body = "".join(
        f'<row r="{r}">' + "".join(inline(f"{'ABCDEF'[c]}{r}", v) for c, v in enumerate(values)) + "</row>"
        for r, values in enumerate(rows, start=1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
        f'<dimension ref="A1:F{ROWS + 1}"/><sheetData>{body}</sheetData>{PERSON_LINKS}'
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
    ).encode()


def add_articles_tab(source: Path, target: Path) -> None:
    """`source` with an "Articles" worksheet appended to its sheet list, edited as a zip."""
    with zipfile.ZipFile(source) as z:
        infos = z.infolist()
        parts = {i.filename: z.read(i) for i in infos}
    book = parts["xl/workbook.xml"].decode("utf-8")
    prefix = re.search(r"<(\w+:)?sheets\b", book).group(1) or ""
    r_prefix = re.search(r'xmlns:(\w+)="http://schemas.openxmlformats.org/officeDocument/2006/relationships"', book)
    r_name = r_prefix.group(1) if r_prefix else "r"
    ids = [int(x) for x in re.findall(r'sheetId="(\d+)"', book)]
    entry = f'<{prefix}sheet name="Articles" sheetId="{max(ids) + 1}" {r_name}:id="rIdArticles"/>'
    parts["xl/workbook.xml"] = book.replace(f"</{prefix}sheets>", entry + f"</{prefix}sheets>").encode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode("utf-8")
    rel = (
        '<Relationship Id="rIdArticles" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheetsync_articles.xml"/>'
    )
    parts["xl/_rels/workbook.xml.rels"] = rels.replace("</Relationships>", rel + "</Relationships>").encode()
    types = parts["[Content_Types].xml"].decode("utf-8")
    override = (
        f'<Override PartName="/{ARTICLES_PART}" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    )
    parts["[Content_Types].xml"] = types.replace("</Types>", override + "</Types>").encode()
    parts[ARTICLES_PART] = articles_xml()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for info in infos:
            z.writestr(info, parts[info.filename])
        z.writestr(ARTICLES_PART, parts[ARTICLES_PART])
        z.writestr(ARTICLES_RELS, PERSON_RELS)
    target.write_bytes(buffer.getvalue())


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def cells(xml: bytes) -> dict[str, bytes]:
    """Cell reference -> the cell's XML, for every cell of a worksheet part."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    return {c.get("r"): etree.tostring(c) for c in root.iter(f"{{{MAIN}}}c")}


STYLES = "xl/styles.xml"
OWN_TABS = ("Placements", "Sites", "Summary", "sheetsync lease")


def assert_only_appended(before: bytes, after: bytes) -> None:
    """Every list of the styles part starts with exactly the entries it had."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    old, new = etree.fromstring(before, parser), etree.fromstring(after, parser)
    for old_list in old:
        if not isinstance(old_list.tag, str):
            continue
        new_list = new.find(old_list.tag)
        assert new_list is not None, old_list.tag
        kept = [etree.tostring(c) for c in old_list]
        assert [etree.tostring(c) for c in new_list][: len(kept)] == kept, old_list.tag


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """Every corpus file with an articles tab, before and after one sync (two for the ids)."""
    folder = tmp_path_factory.mktemp("corpus")
    world = World(folder)
    results: dict[str, tuple[Path, dict[str, bytes], object]] = {}
    try:
        for name in FILES:
            seeded = folder / f"seeded-{name}"
            add_articles_tab(CORPUS / name, seeded)
            result = folder / name
            shutil.copyfile(seeded, result)
            try:
                # Every file holds the same articles: each gets its own account, or the second
                # file's rows would rightly be held as the first file's tasks sent again.
                token = f"corpus-{len(results)}-token"
                world.emu.add_account(token, 1000)
                client = Client(token, world.server.base_url, rate_limit=0, timeout=(2.0, 5.0), max_retries=1)
                report = world.run(XlsxTable(result, "Articles"), client=client)
                later = None
                if report.exit_code == 0:
                    # Published a few days later: the second sync writes the result URLs.
                    world.clock.advance(3 * 24 * 3600)
                    later = world.run(XlsxTable(result, "Articles"), client=client)
                with XlsxTable(result, "Articles") as table:
                    grid = table.read()
                outcome: object = (report, later, grid)
            except Exception as exc:  # noqa: BLE001 - reported by the test of that file
                outcome = exc
            results[name] = (result, members(seeded), outcome)
        yield results, world
    finally:
        world.close()


@pytest.mark.parametrize("name", FILES)
def test_a_synced_excel_workbook_keeps_every_part_but_sheetsyncs_cells(synced, name):
    results, _ = synced
    result, before, outcome = results[name]
    assert not isinstance(outcome, Exception), f"{name}: {outcome!r}"
    report, later, grid = outcome
    assert report.exit_code == 0, report.to_dict()
    # A placement the emulator fails makes the later sync ask for attention (exit 1); nothing else may.
    assert later.exit_code == 0 or all(r.status in ("Published", "Failed") for r in later.rows), later.to_dict()
    header = list(grid.header)
    rows = [list(r) for r in grid.rows]
    assert all(r[header.index("task_id")] and r[header.index("row_key")] for r in rows), rows
    after = members(result)
    assert set(before) <= set(after)
    # The header notes of sheetsync's columns: a comments part and its drawing for the tab.
    notes = assert_own_header_notes(before, after)
    # sheetsync's tabs: Placements, Sites, Summary and the sheet lease (who is submitting).
    new_parts = set(after) - set(before) - notes
    # ... and the relationships of those that hold links (the Placements result URLs).
    new_rels = {p for p in new_parts if "/_rels/" in p}
    new_parts -= new_rels
    assert len(new_parts) == len(OWN_TABS) and all(p.startswith("xl/worksheets/") for p in new_parts)
    assert {p.replace("/_rels/", "/").removesuffix(".rels") for p in new_rels} <= new_parts
    changed = {part for part in before if before[part] != after[part]}
    # Only the tab list and its plumbing gain sheetsync's tabs, and the styles gain the layout
    # of sheetsync's new columns and tabs (appended: every existing style keeps its index).
    assert changed <= {ARTICLES_PART, ARTICLES_RELS, "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", STYLES}
    if STYLES in changed:
        assert_only_appended(before[STYLES], after[STYLES])
    sheet = re.compile(rb'<(?:\w+:)?sheet name="(?:' + b"|".join(t.encode() for t in OWN_TABS) + rb')" sheetId="\d+"(?: state="hidden")? \w+:id="rId\d+"/>')
    assert len(sheet.findall(after["xl/workbook.xml"])) == len(OWN_TABS)
    assert after["xl/workbook.xml"].count(b'state="hidden"') == before["xl/workbook.xml"].count(b'state="hidden"') + 1
    assert sheet.sub(b"", after["xl/workbook.xml"]) == before["xl/workbook.xml"]
    rel = re.compile(rb'<Relationship Id="rId\d+" Type="[^"]*/worksheet" Target="worksheets/[^"]+"/>')
    assert rel.sub(b"", after["xl/_rels/workbook.xml.rels"]) == rel.sub(b"", before["xl/_rels/workbook.xml.rels"])
    types = after["[Content_Types].xml"]
    if new_rels and b'Extension="rels"' not in before["[Content_Types].xml"]:
        types = types.replace(b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>', b"", 1)
    if b'Extension="vml"' not in before["[Content_Types].xml"]:
        types = types.replace(b'<Default Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/>', b"")
    for part in new_parts | {p for p in notes if p.endswith(".xml")}:
        assert f'PartName="/{part}"'.encode() in types
        types = re.sub(rb'<Override PartName="/' + re.escape(part.encode()) + rb'" ContentType="[^"]+"/>', b"", types)
    assert types == before["[Content_Types].xml"]
    # The articles tab: the person's cells are exactly as they were.
    old, new = cells(before[ARTICLES_PART]), cells(after[ARTICLES_PART])
    for ref, xml in old.items():
        assert new[ref] == xml, ref
    for ref in set(new) - set(old):
        assert ord(re.match(r"[A-Z]+", ref).group()[0]) - 64 > SHEETSYNC_COLUMNS, ref
    ids = [r[header.index("task_id")] for r in rows]
    assert len(set(ids)) == ROWS and len(rows) == ROWS
    assert_only_sheetsyncs_links_and_layout_added(before, after, header, rows)


# Worksheet elements a sync may add or change: the cells and refs of sheetsync's columns, the
# layout of the columns it adds (their header notes' drawing), and the links of their result URLs.
SHEETSYNC_ELEMENTS = {"dimension", "cols", "sheetData", "conditionalFormatting", "dataValidations", "hyperlinks", "legacyDrawing"}
ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetProtection", "autoFilter",
    "mergeCells", "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions", "pageMargins",
    "pageSetup", "headerFooter", "drawing", "legacyDrawing", "tableParts", "extLst",
)  # fmt: skip


def assert_only_sheetsyncs_links_and_layout_added(before: dict[str, bytes], after: dict[str, bytes], header, rows) -> None:
    """Outside sheetsync's cells and links, the articles tab and its relationships are as they were."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    old, new = etree.fromstring(before[ARTICLES_PART], parser), etree.fromstring(after[ARTICLES_PART], parser)
    local = lambda e: etree.QName(e).localname  # noqa: E731
    kept = [etree.tostring(e) for e in old if local(e) not in SHEETSYNC_ELEMENTS]
    assert [etree.tostring(e) for e in new if local(e) not in SHEETSYNC_ELEMENTS] == kept
    names = [local(e) for e in new]
    assert names == sorted(names, key=ORDER.index), names  # the schema's element order
    # Every link and relationship of the person's is there as it was; sheetsync's are one
    # external link per result_urls cell holding one URL, to that URL.
    person = [etree.tostring(e) for e in old.iter(f"{{{MAIN}}}hyperlink")]
    links = {e.get("ref"): e for e in new.iter(f"{{{MAIN}}}hyperlink")}
    assert all(etree.tostring(links[e.get("ref")]) == etree.tostring(e) for e in old.iter(f"{{{MAIN}}}hyperlink"))
    old_rels = re.findall(rb"<Relationship [^>]*/>", before[ARTICLES_RELS])
    new_rels = re.findall(rb"<Relationship [^>]*/>", after[ARTICLES_RELS])
    assert new_rels[: len(old_rels)] == old_rels
    targets = {}
    for rel in new_rels[len(old_rels) :]:
        attrs = etree.fromstring(rel.replace(b"<Relationship ", b"<R ")).attrib
        if attrs["Type"] in (f"{REL}/comments", f"{REL}/vmlDrawing"):
            continue  # the header notes (assert_own_header_notes)
        assert attrs["Type"] == f"{REL}/hyperlink" and attrs["TargetMode"] == "External", rel
        targets[attrs["Id"]] = attrs["Target"]
    ids = re.findall(rb'\sId="([^"]+)"', after[ARTICLES_RELS])
    assert len(ids) == len(set(ids))
    column = header.index("result_urls")
    own = {}
    for ref, e in links.items():
        if etree.tostring(e) not in person:
            assert re.match(r"[A-Z]+", ref).group() == chr(65 + column), ref
            own[int(ref[1:])] = targets[e.get(f"{{{REL}}}id")]
    wanted = {n: r[column] for n, r in enumerate(rows, start=2) if r[column] and len(r[column].splitlines()) == 1}
    assert own == wanted and wanted, (own, wanted)  # a cell of several URLs gets none


def assert_own_header_notes(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    """The parts the articles tab's header notes added: sheetsync's notes on its own header cells
    alone, in a drawing whose shape ids no other drawing of the workbook uses."""
    rels = after[ARTICLES_RELS].decode()
    targets = dict(re.findall(r'Type="[^"]*/(comments|vmlDrawing)" Target="\.\./([^"]+)"', rels))
    comments, drawing = "xl/" + targets["comments"], "xl/" + targets["vmlDrawing"]
    refs = re.findall(rb'<comment ref="([A-Z]+)1" authorId="0"', after[comments])
    assert refs and all(ord(r[:1]) - 64 > SHEETSYNC_COLUMNS for r in refs), refs
    assert b"<author>sheetsync</author>" in after[comments]
    def blocks(vml: bytes) -> set[bytes]:
        return set(re.findall(rb'idmap v:ext="edit" data="(\d+)"', vml))
    others = set().union(*(blocks(v) for n, v in before.items() if n.endswith(".vml")))
    assert blocks(after[drawing]) and not blocks(after[drawing]) & others
    assert not {comments, drawing} & set(before)
    return {comments, drawing}


def libreoffice_opens(soffice: str, paths: list[Path], folder: Path) -> tuple[set[Path], str]:
    """The files LibreOffice headless converts, in as few soffice runs as possible.

    One run converts every file in order, but a file that crashes LibreOffice ends the run:
    the files after it are then given to a new run.
    """
    opened: set[Path] = set()
    log = ""
    remaining = list(paths)
    run = 0
    while remaining:
        run += 1
        out = folder / f"out{run}"
        done = subprocess.run(
            [soffice, f"-env:UserInstallation=file://{folder / 'profile'}", "--headless",
             "--convert-to", "csv", "--outdir", str(out), *map(str, remaining)],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        log += done.stderr
        converted = {p.stem for p in out.glob("*.csv")}
        done_now = [p for p in remaining if p.stem in converted]
        opened.update(done_now)
        failed = next((i for i, p in enumerate(remaining) if p.stem not in converted), None)
        if failed is None:
            break
        remaining = remaining[failed + 1 :]
    return opened, log


@pytest.mark.slow
def test_libreoffice_opens_every_synced_workbook_it_opened_before(synced, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    results, _ = synced
    paths = [result for result, _, outcome in results.values() if not isinstance(outcome, Exception)]
    opened, log = libreoffice_opens(soffice, paths, tmp_path / "after")
    # A file LibreOffice cannot open as Excel saved it (one crashes LibreOffice 7.4) is no
    # fault of the sync; every other one must still open.
    refused = [p for p in paths if p not in opened]
    originals = [CORPUS / p.name for p in refused]
    opened_before, _ = libreoffice_opens(soffice, originals, tmp_path / "before")
    broken = [p.name for p in originals if p in opened_before]
    assert not broken, f"LibreOffice opens these before the sync but not after: {broken}\n{log}"
    assert len(opened) >= len(paths) - len(refused)


def _comparable(value: object) -> object:
    """A value as both readers can agree on it (openpyxl shows errors as text, dates as datetimes)."""
    import datetime as dt

    from sheetsync.tables.base import Unreadable
    from sheetsync.tables.xlsx.reader import decode_text

    if isinstance(value, Unreadable) or (isinstance(value, str) and value.startswith("#")):
        return "<unreadable>"
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    if isinstance(value, (dt.time, dt.timedelta)):
        return str(value)
    if isinstance(value, str):
        return decode_text(value)
    return value


def test_the_streaming_reader_reads_every_excel_worksheet_as_openpyxl_does():
    import warnings

    import openpyxl

    from sheetsync.tables.base import Unreadable
    from sheetsync.tables.xlsx.package import Package
    from sheetsync.tables.xlsx.reader import read_sheet

    compared = 0
    differences = []
    for name in FILES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(CORPUS / name, data_only=True, rich_text=False)
        package = Package((CORPUS / name).read_bytes(), name)
        for entry in package.sheets:
            if entry.kind != "worksheet":
                continue
            ours = read_sheet(package, entry.part)
            theirs = book[entry.name]
            for row in theirs.iter_rows():
                for cell in row:
                    if cell.value is None:
                        continue
                    mine = ours.rows.get(cell.row, ())
                    value = mine[cell.column - 1] if cell.column <= len(mine) else None
                    compared += 1
                    if _comparable(value) != _comparable(cell.value):
                        differences.append((name, entry.name, cell.coordinate, value, cell.value))
            for number, values in ours.rows.items():
                for i, value in enumerate(values):
                    if value is not None and not isinstance(value, Unreadable) and theirs.cell(number, i + 1).value is None:
                        differences.append((name, entry.name, (number, i + 1), value, None))
    assert compared > 1000
    assert not differences, differences[:10]


@pytest.mark.parametrize("name", FILES)
def test_init_on_an_excel_workbooks_own_tab_keeps_its_parts_and_a_second_init_changes_no_byte(name, tmp_path):
    path = tmp_path / name
    shutil.copyfile(CORPUS / name, path)
    path.chmod(0o644)
    before = members(path)
    with XlsxTable(path) as table:
        table.set_up()
        tab = table.worksheet
    after = members(path)
    entry = next(s for s in Package(path.read_bytes(), name).sheets if s.name == tab)
    # The header notes go into the tab's notes and drawing; its Tables grow over the new columns.
    notes = {p for p in after if p.endswith(".vml") or re.search(r"comments\d*\.xml$", p) or p.endswith(".rels")}
    tables = {p for p in after if p.startswith("xl/tables/")}
    plumbing = {entry.part, STYLES, "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"}
    for part, data in before.items():
        if part not in plumbing | notes | tables:
            assert after[part] == data, part
    assert_only_appended(before[STYLES], after[STYLES])
    # Every element init adds is a child of the worksheet, in the order Excel requires.
    root = etree.fromstring(after[entry.part], etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    names = [etree.QName(c).localname for c in root if isinstance(c.tag, str)]
    assert names == sorted(names, key=WORKSHEET_ORDER.index), names
    again = path.read_bytes()
    with XlsxTable(path, tab) as table:
        assert not table.set_up().changed
    assert path.read_bytes() == again
