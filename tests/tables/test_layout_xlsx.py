"""`init` and the columns a sync adds, on real .xlsx files: what people see, and what stays theirs."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from sheetsync import columns as C
from sheetsync.tables.base import RowWrite, WriteBack
from sheetsync.tables.layout import (
    BY_NAME, COLOUR_RULES, HOWTO_TAB, INPUT_FILL, LINE_POINTS, OWNED_FILL, PROGRESS_RULES, STATUS_RULES, howto_lines,
)
from sheetsync.tables.xlsx import XlsxTable

from .test_xlsx import make


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def fill(cell) -> str:
    return (cell.fill.fgColor.rgb or "")[-6:] if cell.fill and cell.fill.fill_type == "solid" else ""


def set_up(path: Path) -> object:
    with XlsxTable(path) as table:
        return table.set_up()


def test_init_on_an_empty_workbook_gives_every_column_and_the_whole_layout(tmp_path):
    path = make(tmp_path / "empty.xlsx", [])
    result = set_up(path)
    assert result.changed and list(result.added) == list(C.INPUT_COLUMNS + C.OUTPUT_COLUMNS)
    wb = openpyxl.load_workbook(path)
    ws = wb["Articles"]
    header = [c.value for c in ws[1]]
    assert header == list(C.INPUT_COLUMNS + C.OUTPUT_COLUMNS)
    assert ws.freeze_panes == "A2"
    letter = {name: ws.cell(1, i + 1).column_letter for i, name in enumerate(header)}
    # Blue headers for what people fill in, green for what sheetsync writes, all bold.
    for i, name in enumerate(header, start=1):
        cell = ws.cell(1, i)
        assert cell.font.b and fill(cell) == (OWNED_FILL if name in C.OUTPUT_COLUMNS else INPUT_FILL), name
        assert ws.column_dimensions[cell.column_letter].width == BY_NAME[name].width + 0.7
    # Wrapped body, URLs, result URLs and notes: the column's style says so.
    for name in header:
        style = ws.column_dimensions[letter[name]]._style
        assert bool(wb._alignments[style.alignmentId].wrap_text) == BY_NAME[name].wrap, name
    assert BY_NAME[C.ARTICLE_BODY].wrap and BY_NAME[C.RESULT_URLS].wrap and BY_NAME[C.NOTES].wrap
    rules = ws.data_validations.dataValidation
    ready = [r for r in rules if r.type == "list"]
    assert len(ready) == 1 and ready[0].formula1 == '"TRUE,FALSE"' and str(ready[0].sqref) == f"{letter['ready']}2:{letter['ready']}1048576"
    # Header notes are cell notes on the header cells, not input messages as well.
    assert [r for r in rules if r.type is None] == []
    notes = {c.coordinate: c.comment for c in ws[1] if c.comment}
    assert set(notes) == {f"{letter[name]}1" for name in header}
    assert notes[f"{letter['article_title']}1"].text == BY_NAME[C.ARTICLE_TITLE].note
    assert "sheetsync writes this column" in notes[f"{letter['status']}1"].text
    assert {n.author for n in notes.values()} == {"sheetsync"}
    blocks = {str(b.sqref): b for b in ws.conditional_formatting}
    assert len(blocks) == len(COLOUR_RULES)
    for name, expected in COLOUR_RULES.items():
        block = blocks[f"{letter[name]}2:{letter[name]}1048576"]
        colours = [(r.type, r.dxf.fill.bgColor.rgb[-6:]) for r in block.rules]
        assert colours == [("containsText" if r.contains else "cellIs", r.fill) for r in expected]
    failed = next(r for r in STATUS_RULES if r.text == "Failed")
    assert PROGRESS_RULES[0].fill == failed.fill  # a failed placement is as red as a failed task
    howto = [row[0] or "" for row in wb[HOWTO_TAB].iter_rows(values_only=True)]
    assert howto == howto_lines()


def test_the_howto_tab_describes_the_colours_the_header_really_has(tmp_path):
    path = make(tmp_path / "empty.xlsx", [])
    set_up(path)
    wb = openpyxl.load_workbook(path)
    text = " ".join(row[0] or "" for row in wb[HOWTO_TAB].iter_rows(values_only=True))
    assert "blue header" in text and "green header" in text
    assert INPUT_FILL == "DDEBF7" and OWNED_FILL == "E2EFDA"  # blue and green, as the tab says
    assert fill(wb["Articles"]["A1"]) == INPUT_FILL and fill(wb["Articles"]["P1"]) == OWNED_FILL


def test_every_long_howto_line_has_a_row_tall_enough_not_to_run_into_the_next(tmp_path):
    path = make(tmp_path / "empty.xlsx", [])
    set_up(path)
    tab = openpyxl.load_workbook(path)[HOWTO_TAB]
    long_lines = [n for n, line in enumerate(howto_lines(), start=1) if len(line) > 130]
    assert long_lines, "the tab has lines longer than its column"
    for n in long_lines:
        assert tab.row_dimensions[n].height >= 2 * LINE_POINTS, (n, howto_lines()[n - 1])
    short = [n for n, line in enumerate(howto_lines(), start=1) if len(line) < 100]
    assert all(tab.row_dimensions[n].height is None for n in short)


def test_init_twice_writes_nothing_the_second_time(tmp_path):
    path = make(tmp_path / "twice.xlsx", [])
    set_up(path)
    before = path.read_bytes()
    result = set_up(path)
    assert not result.changed and result.added == ()
    assert path.read_bytes() == before


def test_init_keeps_a_persons_columns_data_and_formatting(tmp_path):
    def build(wb, ws):
        ws["A1"].font = Font(bold=True, color="FF0000")
        ws["A1"].fill = PatternFill("solid", fgColor="FFFF00")
        ws["B2"].fill = PatternFill("solid", fgColor="00FF00")
        ws.column_dimensions["A"].width = 33
        dv = DataValidation(type="list", formula1='"Ana,Ben"')
        ws.add_data_validation(dv)
        dv.add("C2:C50")
        ws.conditional_formatting.add(
            "B2:B50", CellIsRule(operator="equal", formula=['"x"'], fill=PatternFill("solid", fgColor="FF0000"))
        )
        ws["B2"].comment = Comment("check the source", "Ana")

    rows = [["Title", "Body", "Owner", "Links", "Sites"], ["Four words make titles", "text", "Ana", "https://a.example", "388"]]
    path = make(tmp_path / "mine.xlsx", rows, build=build)
    before = parts(path)
    result = set_up(path)
    assert "Owner" not in result.added and "article_title" not in result.added
    assert list(result.added) == [C.NAME, C.SCHEDULE_FROM, C.SCHEDULE_TILL, C.READY, *C.OUTPUT_COLUMNS]
    wb = openpyxl.load_workbook(path)
    ws = wb["Articles"]
    header = [c.value for c in ws[1]]
    assert header[:5] == ["Title", "Body", "Owner", "Links", "Sites"]
    assert [c.value for c in ws[2]][:5] == rows[1]
    # Their header cell keeps their own colours; their width, fill, validation, colours, comment stay.
    assert ws["A1"].font.color.rgb == "00FF0000" and fill(ws["A1"]) == "FFFF00"
    assert fill(ws["B1"]) == INPUT_FILL  # an unformatted header of an input column: sheetsync's blue
    assert fill(ws["C1"]) == ""  # "Owner" is the person's column: untouched
    assert ws.column_dimensions["A"].width == 33
    assert fill(ws["B2"]) == "00FF00" and ws["B2"].comment.text == "check the source"
    assert "C2:C50" in [str(r.sqref) for r in ws.data_validations.dataValidation]
    assert [str(b.sqref) for b in ws.conditional_formatting][0] == "B2:B50"
    assert len(list(ws.conditional_formatting)) == 1 + len(COLOUR_RULES)  # theirs, then status and progress
    # The person's other parts are byte for byte as they were; their note and its box are kept
    # as they were, with sheetsync's header notes added beside them.
    after = parts(path)
    comments, drawing = "xl/comments/comment1.xml", "xl/drawings/commentsDrawing1.vml"
    for name, data in before.items():
        if name not in ("xl/worksheets/sheet1.xml", "xl/styles.xml", "xl/workbook.xml",
                        "xl/_rels/workbook.xml.rels", "[Content_Types].xml", comments, drawing):
            assert after[name] == data, name
    theirs = re.search(rb"<comment ref=\"B2\".*?</comment>", before[comments]).group(0)
    assert theirs in after[comments]
    assert after[drawing].startswith(before[drawing].removesuffix(b"</xml>"))
    assert ws["B1"].comment.author == "sheetsync" and ws["B2"].comment.author == "Ana"


def test_a_sync_on_a_sheet_that_never_saw_init_lays_out_the_columns_it_adds(tmp_path):
    path = make(tmp_path / "plain.xlsx", [["title", "row_key"], ["Alpha beta gamma delta", "ka"]])
    urls = "https://one.example/a\nhttps://two.example/b\nhttps://three.example/c"
    with XlsxTable(path) as table:
        table.read()
        table.write(WriteBack("row_key", "title", (RowWrite("ka", {"status": "Published", "result_urls": urls}, 2),)))
    wb = openpyxl.load_workbook(path)
    ws = wb["Articles"]
    assert [c.value for c in ws[1]] == ["title", "row_key", "status", "result_urls"]
    assert fill(ws["C1"]) == OWNED_FILL and ws["C1"].font.b
    assert ws.column_dimensions["D"].width == BY_NAME[C.RESULT_URLS].width + 0.7
    assert ws["D2"].alignment.wrap_text and ws["D2"].value == urls
    assert ws.row_dimensions[2].height >= 3 * 15  # three URLs, three lines
    assert [str(b.sqref) for b in ws.conditional_formatting] == ["C2:C1048576"]
    assert not ws.freeze_panes  # a sync never freezes the person's view: only init does


def test_a_long_link_health_wraps_in_its_column_and_the_row_shows_it_whole(tmp_path):
    path = make(tmp_path / "health.xlsx", [["title", "row_key"], ["Alpha beta gamma delta", "ka"]])
    health = "2 live, 1 nofollow, 1 lost since 2026-12-04"
    with XlsxTable(path) as table:
        table.read()
        table.write(WriteBack("row_key", "title", (RowWrite("ka", {C.LINK_HEALTH: health}, 2),)))
    ws = openpyxl.load_workbook(path)["Articles"]
    assert ws["C1"].value == C.LINK_HEALTH and ws["C2"].value == health
    width = BY_NAME[C.LINK_HEALTH].width
    assert ws["C2"].alignment.wrap_text and len(health) > width
    assert ws.row_dimensions[2].height >= 2 * 15  # two lines: nothing spills into the next column


def test_a_row_sheetsync_writes_is_made_taller_never_shorter(tmp_path):
    def build(wb, ws):
        ws.row_dimensions[2].height = 200

    path = make(tmp_path / "tall.xlsx", [["title", "row_key", "result_urls"], ["A b c d", "ka", ""]], build=build)
    with XlsxTable(path) as table:
        table.read()
        table.write(WriteBack("row_key", "title", (RowWrite("ka", {"result_urls": "https://a\nhttps://b"}, 2),)))
    assert openpyxl.load_workbook(path)["Articles"].row_dimensions[2].height == 200
