"""Header notes on .xlsx: cell notes as Excel stores them, beside every note a person made."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.worksheet.datavalidation import DataValidation

from sheetsync import columns as C
from sheetsync.tables.base import RowWrite, WriteBack
from sheetsync.tables.layout import BY_NAME
from sheetsync.tables.xlsx import XlsxTable

from .test_xlsx import make, patch

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "excel-workbooks"
VML = "urn:schemas-microsoft-com:vml"


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def set_up(path: Path, worksheet: str | None = None):
    with XlsxTable(path, worksheet) as table:
        return table.set_up()


def header_notes(path: Path, tab: str = "Articles") -> dict[str, tuple[str, str]]:
    """Header text -> (note author, note text), as openpyxl reads them."""
    ws = openpyxl.load_workbook(path)[tab]
    return {str(c.value): (c.comment.author, c.comment.text) for c in ws[1] if c.comment and c.value}


def shape_ids(vml: bytes) -> list[bytes]:
    return re.findall(rb'<(?:\w+:)?shape\b[^>]*?\sid="([^"]+)"', vml)


def corpus_copy(name: str, tmp_path: Path) -> Path:
    if not (CORPUS / name).is_file():
        pytest.skip(f"the Excel corpus is not at {CORPUS}")
    target = tmp_path / name
    shutil.copyfile(CORPUS / name, target)
    return target


def test_init_gives_every_header_cell_its_note_as_a_cell_note(tmp_path):
    path = make(tmp_path / "empty.xlsx", [])
    result = set_up(path)
    assert result.notes == ()
    notes = header_notes(path)
    assert notes == {name: ("sheetsync", BY_NAME[name].note) for name in C.INPUT_COLUMNS + C.OUTPUT_COLUMNS}
    assert "sheetsync writes this column" in notes[C.STATUS][1]
    after = parts(path)
    # As Excel stores a note: the comments part, its VML drawing, both related to the tab, typed.
    rels = after["xl/worksheets/_rels/sheet1.xml.rels"].decode()
    assert 'relationships/comments" Target="../comments1.xml"' in rels
    assert 'relationships/vmlDrawing" Target="../drawings/vmlDrawing1.vml"' in rels
    drawing_id = re.search(r'Id="(rId\d+)" Type="[^"]*/vmlDrawing"', rels).group(1)
    assert re.search(rf'<legacyDrawing (xmlns:r="[^"]+" )?r:id="{drawing_id}"/></worksheet>', after["xl/worksheets/sheet1.xml"].decode())
    types = after["[Content_Types].xml"].decode()
    assert 'PartName="/xl/comments1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"' in types
    assert 'Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"' in types
    vml = after["xl/drawings/vmlDrawing1.vml"]
    assert len(shape_ids(vml)) == len(notes) and b"visibility:hidden" in vml
    assert re.findall(rb"<x:Row>(\d+)</x:Row><x:Column>(\d+)</x:Column>", vml) == [
        (b"0", str(i).encode()) for i in range(len(notes))
    ]


def test_a_second_init_changes_no_byte(tmp_path):
    def build(wb, ws):
        ws["A1"].comment = Comment("mine", "Ana")

    path = make(tmp_path / "twice.xlsx", [["title"]], build=build)
    set_up(path)
    before = path.read_bytes()
    result = set_up(path)
    assert not result.changed and path.read_bytes() == before


def test_a_persons_notes_stay_and_a_header_they_noted_keeps_theirs(tmp_path):
    def build(wb, ws):
        ws["A1"].comment = Comment("Keep titles short, please", "Ana")
        ws["C2"].comment = Comment("ask Ben", "Ben")

    path = make(tmp_path / "mine.xlsx", [["title", "body", "owner"], ["Four words make titles", "text", "Ana"]], build=build)
    before = parts(path)
    set_up(path)
    ws = openpyxl.load_workbook(path)["Articles"]
    assert (ws["A1"].comment.author, ws["A1"].comment.text) == ("Ana", "Keep titles short, please")
    assert (ws["C2"].comment.author, ws["C2"].comment.text) == ("Ben", "ask Ben")
    assert ws["B1"].comment.author == "sheetsync"  # body: an input column with no note of theirs
    assert ws["C1"].comment is None  # "owner" is the person's own column
    notes = header_notes(path)
    assert {h for h, (author, _) in notes.items() if author == "sheetsync"} == set(notes) - {"title"}
    after = parts(path)
    comments, drawing = "xl/comments/comment1.xml", "xl/drawings/commentsDrawing1.vml"
    for theirs in re.findall(rb"<comment\b.*?</comment>", before[comments], re.S):
        assert theirs in after[comments]
    assert after[comments].count(b"<comment ") == 2 + len(notes) - 1
    assert after[drawing].startswith(before[drawing].removesuffix(b"</xml>"))
    ids = shape_ids(after[drawing])
    assert len(ids) == len(set(ids)) == 2 + len(notes) - 1
    # No header input message where a note says it.
    assert [dv for dv in ws.data_validations.dataValidation if dv.type is None] == []


def test_a_sync_on_a_sheet_that_never_saw_init_notes_the_columns_it_adds(tmp_path):
    path = make(tmp_path / "plain.xlsx", [["title", "row_key"], ["Alpha beta gamma delta", "ka"]])
    with XlsxTable(path) as table:
        table.read()
        table.write(WriteBack("row_key", "title", (RowWrite("ka", {"status": "Queued"}, 2),)))
    assert header_notes(path) == {C.STATUS: ("sheetsync", BY_NAME[C.STATUS].note)}
    set_up(path)  # init later adds the other notes to the same parts
    notes = header_notes(path)
    assert notes["title"][0] == "sheetsync" and notes[C.STATUS][1] == BY_NAME[C.STATUS].note
    assert [n for n in parts(path) if n.endswith((".vml", "comments1.xml"))] == ["xl/comments1.xml", "xl/drawings/vmlDrawing1.vml"]


def test_a_sync_that_adds_the_result_urls_column_gives_it_a_note_and_its_cells_links(tmp_path):
    # One write makes the tab's relationships for both: the header notes and the links.
    path = make(tmp_path / "links.xlsx", [["title", "row_key"], ["Alpha beta gamma delta", "ka"]])
    urls = "https://one.example/a"
    with XlsxTable(path) as table:
        table.read()
        table.write(WriteBack("row_key", "title", (RowWrite("ka", {"status": "Published", "result_urls": urls}, 2),)))
    ws = openpyxl.load_workbook(path)["Articles"]
    assert ws["D2"].value == urls and ws["D2"].hyperlink.target == "https://one.example/a"
    assert ws["D1"].comment.text == BY_NAME[C.RESULT_URLS].note and ws["C1"].comment.author == "sheetsync"
    rels = parts(path)["xl/worksheets/_rels/sheet1.xml.rels"].decode()
    assert sorted(re.findall(r'Type="[^"]*/(\w+)"', rels)) == ["comments", "hyperlink", "vmlDrawing"]
    assert len(set(re.findall(r'Id="([^"]+)"', rels))) == 3


def test_threaded_comments_and_their_persons_stay_byte_for_byte(tmp_path):
    path = corpus_copy("poi__right-to-left.xlsx", tmp_path)
    before = parts(path)
    result = set_up(path, "English")
    assert result.notes == ()
    after = parts(path)
    for name in ("xl/threadedComments/threadedComment1.xml", "xl/threadedComments/threadedComment2.xml",
                 "xl/persons/person.xml", "xl/comments2.xml", "xl/drawings/vmlDrawing2.vml"):
        assert after[name] == before[name], name
    assert after["xl/drawings/vmlDrawing1.vml"].startswith(before["xl/drawings/vmlDrawing1.vml"].removesuffix(b"</xml>"))
    assert re.search(rb'<comment ref="A3".*?</comment>', before["xl/comments1.xml"], re.S).group(0) in after["xl/comments1.xml"]
    wb = openpyxl.load_workbook(path)
    assert "test comment" in wb["English"]["A3"].comment.text
    notes = header_notes(path, "English")
    assert notes and all(author == "sheetsync" for author, _ in notes.values())
    # The new shapes take ids of this drawing's own block (1), never the other tab's (2).
    ids = shape_ids(after["xl/drawings/vmlDrawing1.vml"])
    assert len(ids) == len(set(ids)) and all(1025 <= int(i[8:]) < 2048 for i in ids[1:])
    again = path.read_bytes()
    assert not set_up(path, "English").changed and path.read_bytes() == again


def test_a_header_cell_with_a_threaded_comment_keeps_it_alone(tmp_path):
    path = corpus_copy("poi__right-to-left.xlsx", tmp_path)
    # The threaded comment on A3 moved to A1, and A1 made the title column's header.
    patch(path, {
        "xl/sharedStrings.xml": lambda x: x.replace("<t>text</t>", "<t>title</t>", 1),
        "xl/comments1.xml": lambda x: x.replace('ref="A3"', 'ref="A1"'),
        "xl/threadedComments/threadedComment1.xml": lambda x: x.replace('ref="A3"', 'ref="A1"'),
        "xl/drawings/vmlDrawing1.vml": lambda x: x.replace("<x:Row>2</x:Row>", "<x:Row>0</x:Row>"),
    })
    set_up(path, "English")
    ws = openpyxl.load_workbook(path)["English"]
    assert ws["A1"].value == "title" and "test comment" in ws["A1"].comment.text
    assert parts(path)["xl/comments1.xml"].count(b'ref="A1"') == 1
    # A threaded comment alone (no legacy placeholder) also keeps its cell.
    (tmp_path / "alone").mkdir()
    path2 = corpus_copy("poi__right-to-left.xlsx", tmp_path / "alone")
    patch(path2, {
        "xl/sharedStrings.xml": lambda x: x.replace("<t>text</t>", "<t>title</t>", 1),
        "xl/threadedComments/threadedComment1.xml": lambda x: x.replace('ref="A3"', 'ref="A1"'),
    })
    set_up(path2, "English")
    assert b'<comment ref="A1"' not in parts(path2)["xl/comments1.xml"]


@pytest.mark.filterwarnings("ignore:Data Validation extension")  # openpyxl, reading poi__56644's x14 lists
@pytest.mark.parametrize("name, tab", [("xw__button02.xlsx", "Sheet1"), ("poi__56644.xlsx", "samplelist"),
                                       ("xw__optimize13.xlsx", None)])
def test_excel_drawings_take_the_notes_beside_their_own_shapes(tmp_path, name, tab):
    path = corpus_copy(name, tmp_path)
    before = parts(path)
    result = set_up(path, tab)
    assert result.notes == ()
    after = parts(path)
    vml = "xl/drawings/vmlDrawing1.vml"
    assert after[vml].startswith(before[vml].removesuffix(b"</xml>").rstrip())
    old_ids, new_ids = shape_ids(before[vml]), shape_ids(after[vml])
    assert new_ids[: len(old_ids)] == old_ids and len(new_ids) == len(set(new_ids)) > len(old_ids)
    block = int(re.search(rb'idmap v:ext="edit" data="(\d+)"', before[vml]).group(1))
    assert all(block * 1024 < int(i[8:]) < (block + 1) * 1024 for i in new_ids)
    notes = header_notes(path, tab or openpyxl.load_workbook(path).sheetnames[0])
    assert notes and {a for a, _ in notes.values()} == {"sheetsync"}
    for part, data in before.items():
        if part not in (vml, "xl/comments1.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/_rels/sheet1.xml.rels",
                        "xl/styles.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
            assert after[part] == data, part
    if "xl/comments1.xml" in before:
        for theirs in re.findall(rb"<comment\b.*?</comment>", before["xl/comments1.xml"], re.S):
            assert theirs in after["xl/comments1.xml"]


def test_a_sheet_set_up_with_input_messages_gets_notes_in_their_place(tmp_path, monkeypatch):
    # As earlier versions left a sheet: every header note an input message, no cell notes.
    from sheetsync.tables.xlsx import table as xlsx_table
    from sheetsync.tables.xlsx.notes import HeaderNotes

    def as_before(package, part, xml, columns, replaced, added, widths=None):
        return HeaderNotes(xml, (), tuple(p.col for p in columns))

    def build(wb, ws):
        dv = DataValidation(type="list", formula1='"Ana,Ben"', showInputMessage=True, prompt="Who writes it")
        ws.add_data_validation(dv)
        dv.add("B2:B50")

    path = make(tmp_path / "old.xlsx", [["title", "owner"], ["Four words make titles", "Ana"]], build=build)
    with monkeypatch.context() as m:
        m.setattr(xlsx_table, "add_header_notes", as_before)
        set_up(path)
    rules = openpyxl.load_workbook(path)["Articles"].data_validations.dataValidation
    assert len([dv for dv in rules if dv.type is None]) == len(C.INPUT_COLUMNS + C.OUTPUT_COLUMNS)
    set_up(path)
    ws = openpyxl.load_workbook(path)["Articles"]
    # Each header says it once, as a note; the person's list and sheetsync's ready list stay.
    assert [dv for dv in ws.data_validations.dataValidation if dv.type is None] == []
    ready = next(c.column_letter for c in ws[1] if c.value == C.READY)
    assert sorted(str(dv.sqref).split(":")[0] for dv in ws.data_validations.dataValidation) == ["B2", f"{ready}2"]
    assert header_notes(path)["title"] == ("sheetsync", BY_NAME[C.ARTICLE_TITLE].note)
    again = path.read_bytes()
    assert not set_up(path).changed and path.read_bytes() == again


def test_a_drawing_sheetsync_cannot_add_to_keeps_the_notes_as_input_messages_and_says_so(tmp_path):
    def build(wb, ws):
        ws["B2"].comment = Comment("theirs", "Ana")

    path = make(tmp_path / "odd.xlsx", [["title", "body"], ["x", "y"]], build=build)
    drawing = "xl/drawings/commentsDrawing1.vml"
    patch(path, {drawing: lambda x: x.replace('<div style="text-align:left"/>', '<div style="text-align:left"><br></div>', 1)})
    before = parts(path)
    result = set_up(path)
    assert any(drawing in n and "input messages" in n for n in result.notes), result.notes
    after = parts(path)
    assert after[drawing] == before[drawing] and after["xl/comments/comment1.xml"] == before["xl/comments/comment1.xml"]
    ws = openpyxl.load_workbook(path)["Articles"]
    prompts = {str(dv.sqref): dv.prompt for dv in ws.data_validations.dataValidation if dv.type is None}
    assert prompts["A1"] == BY_NAME[C.ARTICLE_TITLE].note and len(prompts) == len(C.INPUT_COLUMNS + C.OUTPUT_COLUMNS)
    again = path.read_bytes()
    assert not set_up(path).changed and path.read_bytes() == again


def test_notes_without_their_drawing_are_left_alone(tmp_path):
    def build(wb, ws):
        ws["B2"].comment = Comment("theirs", "Ana")

    path = make(tmp_path / "nodrawing.xlsx", [["title"], ["x"]], build=build)
    patch(path, {"xl/worksheets/sheet1.xml": lambda x: re.sub(r"<legacyDrawing [^>]*/>", "", x)})
    before = parts(path)
    result = set_up(path)
    assert any("no drawing" in n for n in result.notes), result.notes
    assert parts(path)["xl/comments/comment1.xml"] == before["xl/comments/comment1.xml"]


@pytest.mark.slow
def test_libreoffice_reads_the_header_notes(tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")

    def build(wb, ws):
        ws["A1"].comment = Comment("Keep titles short", "Ana")
        ws["B2"].comment = Comment("ask Ben", "Ben")

    empty = make(tmp_path / "empty.xlsx", [])
    theirs = make(tmp_path / "theirs.xlsx", [["title", "body"], ["x", "y"]], build=build)
    for path in (empty, theirs):
        set_up(path)
    out = tmp_path / "out"
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to", "xlsx",
         "--outdir", str(out), str(empty), str(theirs)],
        capture_output=True, timeout=300, check=True,
    )  # fmt: skip
    # What LibreOffice saves again is what it read: every note, in its cell.
    texts = {h: text.strip() for h, (_, text) in header_notes(out / "empty.xlsx").items()}
    assert texts == {name: BY_NAME[name].note for name in C.INPUT_COLUMNS + C.OUTPUT_COLUMNS}
    ws = openpyxl.load_workbook(out / "theirs.xlsx")["Articles"]
    assert ws["A1"].comment.text.strip() == "Keep titles short" and ws["B2"].comment.text.strip() == "ask Ben"
    assert ws["C1"].comment.text.strip() == BY_NAME[C.NAME].note
