"""What only the .xlsx backend does: saved formula values, locks, atomic saves, what survives."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import stat
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from PIL import Image as PILImage

from sheetsync.errors import SheetBusyError, TableError
from sheetsync.tables import open_table
from sheetsync.tables.base import RowWrite, Tab, Unreadable, WriteBack
from sheetsync.tables.xlsx import XlsxTable

SHEET = "xl/worksheets/sheet1.xml"


def make(path: Path, rows: list[list[object]], title: str = "Articles", build=None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is not None:
                ws.cell(r, c, value)
    if build:
        build(wb, ws)
    wb.save(path)
    return path


def patch(path: Path, changes: dict[str, str | Callable[[str], str]]) -> None:
    """Rewrite zip members: a string replaces a member, a function maps its old text to new."""
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    for name, change in changes.items():
        new = change if isinstance(change, str) else change(members.get(name, b"").decode())
        members[name] = new.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    path.write_bytes(buffer.getvalue())


def saved_values(values: dict[str, tuple[str, str]]):
    """Give formula cells the values Excel would have saved with them: ref -> (type, value)."""

    def change(xml: str) -> str:
        for ref, (kind, value) in values.items():
            xml, n = re.subn(
                rf'<c r="{ref}"([^>]*)><f>(.*?)</f>(?:<v\s*/>|<v></v>)</c>',
                rf'<c r="{ref}"\1 t="{kind}"><f>\2</f><v>{value}</v></c>',
                xml,
            )
            assert n == 1, ref
        return xml

    return change


def sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(SHEET).decode()


def key_write(*rows: RowWrite, tab: Tab | None = None) -> WriteBack:
    return WriteBack("row_key", "title", rows, tab=tab)


# --- formulas and errors -------------------------------------------------------------------


@pytest.fixture
def with_formulas(tmp_path):
    def build(wb, ws):
        ws["E2"].number_format = "yyyy-mm-dd"

    path = make(
        tmp_path / "f.xlsx",
        [
            ["title", "count", "label", "flag", "due", "missing", "broken", "typed error", "row_key"],
            ["Alpha title here", "=1+1", '=A2&"!"', "=TRUE()", "=DATE(2025,3,14)", "=NOW()", "=1/0", "#N/A", "ka"],
        ],
        build=build,
    )
    patch(
        path,
        {
            SHEET: saved_values(
                {"B2": ("n", "2"), "C2": ("str", "Alpha title here!"), "D2": ("b", "1"),
                 "E2": ("n", "45730"), "G2": ("e", "#DIV/0!")}
            )
        },
    )
    return path


def test_formulas_read_as_their_saved_values(with_formulas):
    row = XlsxTable(with_formulas).read().rows[0]
    assert row[:5] == ("Alpha title here", 2, "Alpha title here!", True, dt.date(2025, 3, 14))


def test_a_formula_without_a_saved_value_is_unreadable_and_says_what_to_do(with_formulas):
    missing = XlsxTable(with_formulas).read().rows[0][5]
    assert isinstance(missing, Unreadable)
    assert str(missing) == (
        "the formula =NOW() in F2 has no saved value; open the file in Excel or LibreOffice, "
        "save it, and run again"
    )


def test_error_values_are_unreadable_whether_computed_or_typed(with_formulas):
    row = XlsxTable(with_formulas).read().rows[0]
    assert isinstance(row[6], Unreadable) and "G2 shows the error #DIV/0!" in str(row[6])
    assert isinstance(row[7], Unreadable) and "H2 shows the error #N/A" in str(row[7])


def test_formulas_stay_formulas_after_a_write(with_formulas):
    table = XlsxTable(with_formulas)
    table.read()
    table.write(key_write(RowWrite("ka", {"status": "Queued"}, 2)))
    ws = openpyxl.load_workbook(with_formulas).active
    assert [ws[ref].value for ref in ("B2", "C2", "D2")] == ["=1+1", '=A2&"!"', "=TRUE()"]


def test_saved_formula_values_survive_a_write_for_the_next_run(with_formulas):
    table = XlsxTable(with_formulas)
    before = table.read().rows[0]
    table.write(key_write(RowWrite("ka", {"status": "Queued"}, 2)))
    after = XlsxTable(with_formulas).read().rows[0]
    assert after[:5] == before[:5] == ("Alpha title here", 2, "Alpha title here!", True, dt.date(2025, 3, 14))
    assert after[5] == before[5] and isinstance(after[5], Unreadable)
    assert str(after[6]) == str(before[6])
    # Values kept from before the write may be stale; Excel and LibreOffice recompute on open.
    assert openpyxl.load_workbook(with_formulas).calculation.fullCalcOnLoad is True
    assert openpyxl.load_workbook(with_formulas, data_only=True).active["C2"].value == "Alpha title here!"


def test_reading_and_writing_a_workbook_never_loads_openpyxl(tmp_path):
    # openpyxl rebuilds the whole workbook to change a cell; people's files must not go through it.
    path = make(tmp_path / "plain.xlsx", [["title", "row_key"], ["x", "k"]])
    code = (
        "import sys\n"
        "from sheetsync.tables.xlsx import XlsxTable\n"
        "from sheetsync.tables.base import RowWrite, WriteBack\n"
        f"t = XlsxTable({str(path)!r})\n"
        "t.read()\n"
        "t.write(WriteBack('row_key', 'title', (RowWrite('k', {'status': 'Queued'}, 2),)))\n"
        "print('openpyxl' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
    assert openpyxl.load_workbook(path).active["C2"].value == "Queued"


def test_a_formula_whose_saved_value_is_a_shared_string(tmp_path):
    path = make(tmp_path / "s.xlsx", [["title", "copy"], ["x", "=A2"]])
    add_shared_strings(path, ["from the table"])
    patch(path, {SHEET: saved_values({"B2": ("s", "0")})})
    assert XlsxTable(path).read().rows == (("x", "from the table"),)


def add_shared_strings(path: Path, strings: list[str]) -> None:
    """Give the workbook a shared-string table, the way Excel stores most text."""
    items = "".join(f"<si><t>{s}</t></si>" for s in strings)
    sst = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'
    )
    patch(
        path,
        {
            "xl/sharedStrings.xml": sst,
            "[Content_Types].xml": lambda x: x.replace(
                "</Types>",
                '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" /></Types>',
            ),
            "xl/_rels/workbook.xml.rels": lambda x: x.replace(
                "</Relationships>",
                '<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                'relationships/sharedStrings" Target="sharedStrings.xml" Id="rId99" /></Relationships>',
            ),
        },
    )


def test_control_characters_are_stripped_but_tabs_and_newlines_kept(tmp_path):
    path = make(tmp_path / "c.xlsx", [["title", "body"], ["x", "y"]])
    # Excel writes control characters as _xHHHH_ escapes in its shared strings.
    add_shared_strings(path, ["bell_x0007_ and\ttab", "line_x001B_\nbreak"])
    patch(path, {SHEET: lambda x: re.sub(
        r'<c r="A2" t="inlineStr"><is><t>x</t></is></c><c r="B2" t="inlineStr"><is><t>y</t></is></c>',
        '<c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c>', x)})
    assert XlsxTable(path).read().rows == (("bell and\ttab", "line\nbreak"),)


def test_times_read_as_text_and_datetimes_keep_their_time(tmp_path):
    def build(wb, ws):
        ws["B2"].number_format = "hh:mm"

    path = make(tmp_path / "t.xlsx", [["title", "at", "when"], ["x", dt.time(9, 30), dt.datetime(2025, 1, 2, 3, 4)]],
                build=build)
    assert XlsxTable(path).read().rows == (("x", "09:30:00", dt.datetime(2025, 1, 2, 3, 4)),)


# --- merged cells --------------------------------------------------------------------------


def test_merged_cells_read_top_left_only_and_are_noted(tmp_path):
    path = make(
        tmp_path / "m.xlsx",
        [["title", "body", "row_key"], ["Alpha", "shared body", "ka"], ["Bravo", None, "kb"]],
        build=lambda wb, ws: ws.merge_cells("B2:B3"),
    )
    grid = XlsxTable(path).read()
    assert grid.rows == (("Alpha", "shared body", "ka"), ("Bravo", None, "kb"))
    assert any("B2:B3" in note and "merged" in note for note in grid.notes)


def test_a_write_into_merged_cells_is_skipped_with_a_note(tmp_path):
    path = make(
        tmp_path / "m.xlsx",
        [["title", "status", "row_key"], ["Alpha", "merged", "ka"], ["Bravo", None, "kb"]],
        build=lambda wb, ws: ws.merge_cells("B2:B3"),
    )
    table = XlsxTable(path)
    table.read()
    result = table.write(key_write(RowWrite("kb", {"status": "Published"}, 3), RowWrite("ka", {"status": "Q"}, 2)))
    assert any(note.startswith("Row 3: B3 is inside merged cells") for note in result.notes)
    ws = openpyxl.load_workbook(path).active
    assert ws["B2"].value == "Q" and "B2:B3" in str(ws.merged_cells)


# --- opening -------------------------------------------------------------------------------


def test_the_first_tab_is_the_default_and_names_match_without_case(tmp_path):
    def build(wb, ws):
        wb.create_sheet("Second")["A1"] = "second header"

    path = make(tmp_path / "tabs.xlsx", [["first header"]], build=build)
    assert XlsxTable(path).read().header == ("first header",)
    assert XlsxTable(path, "second").read().header == ("second header",)


def test_an_unknown_tab_lists_the_tabs_there_are(tmp_path):
    path = make(tmp_path / "tabs.xlsx", [["h"]], build=lambda wb, ws: wb.create_sheet("Other"))
    with pytest.raises(TableError) as caught:
        XlsxTable(path, "Queue").read()
    assert str(caught.value) == (
        "tabs.xlsx has no tab 'Queue'; its tabs are 'Articles', 'Other'. Pass one of them as the worksheet."
    )


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(TableError, match="does not exist; check the path"):
        XlsxTable(tmp_path / "nope.xlsx").read()


def test_a_file_that_is_not_a_workbook_says_so(tmp_path):
    path = tmp_path / "text.xlsx"
    path.write_text("title,body\n")
    with pytest.raises(TableError, match="not a readable .xlsx/.xlsm workbook"):
        XlsxTable(path).read()


def test_open_table_opens_xlsx_paths(tmp_path):
    path = make(tmp_path / "o.xlsx", [["title"], ["x"]])
    table = open_table(str(path))
    assert isinstance(table, XlsxTable) and table.read().rows == (("x",),)
    assert table.display_name == "o.xlsx" and str(path.resolve()) in table.identity


@pytest.mark.parametrize("spec", ["articles.csv", "articles.xls", "articles", "https://example.com/sheet"])
def test_open_table_refuses_anything_else_and_shows_what_to_pass(spec):
    with pytest.raises(TableError, match="neither an .xlsx/.xlsm file nor a Google Sheets URL or key; pass"):
        open_table(spec)


@pytest.mark.parametrize("lock", ["~$busy.xlsx", ".~lock.busy.xlsx#"])
def test_a_lock_file_means_someone_has_it_open(tmp_path, lock):
    path = make(tmp_path / "busy.xlsx", [["title"], ["x"]])
    (tmp_path / lock).write_text("someone")
    with pytest.raises(SheetBusyError, match=f"close the file in .* if nobody has it open, delete {re.escape(lock)}"):
        XlsxTable(path).read()
    assert open_table(str(path), force=True).read().rows == (("x",),)


def test_a_lock_that_appears_before_the_write_stops_it(tmp_path):
    path = make(tmp_path / "busy.xlsx", [["title", "row_key"], ["x", "k"]])
    table = XlsxTable(path)
    table.read()
    (tmp_path / "~$busy.xlsx").write_text("someone")
    before = path.read_bytes()
    with pytest.raises(SheetBusyError):
        table.write(key_write(RowWrite("k", {"status": "s"}, 2)))
    assert path.read_bytes() == before


# --- saving --------------------------------------------------------------------------------


def test_the_save_keeps_permissions_and_leaves_no_temp_files(tmp_path):
    path = make(tmp_path / "p.xlsx", [["title", "row_key"], ["x", "k"]])
    os.chmod(path, 0o640)
    table = XlsxTable(path)
    table.read()
    table.write(key_write(RowWrite("k", {"status": "s"}, 2)))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.xlsx"]


def test_the_save_renames_a_complete_new_file_into_place(tmp_path):
    # Written in place, a crash halfway would leave a damaged workbook; renamed into place, a
    # reader that opened the old file keeps seeing all of it.
    path = make(tmp_path / "a.xlsx", [["title", "row_key"], ["x", "k"]])
    before = path.read_bytes()
    table = XlsxTable(path)
    table.read()
    with open(path, "rb") as held:
        table.write(key_write(RowWrite("k", {"status": "s"}, 2)))
        assert held.read() == before
        assert os.fstat(held.fileno()).st_ino != path.stat().st_ino
    assert openpyxl.load_workbook(path).active["C2"].value == "s"


def test_formula_looking_text_is_stored_as_a_string_cell(tmp_path):
    path = make(tmp_path / "s.xlsx", [["title", "row_key"], ["x", "k"]])
    table = XlsxTable(path)
    table.read()
    tab = Tab("Placements", ("result_url",), (("=HYPERLINK(\"http://e.vil\")",), ("@SUM(1)",)))
    table.write(key_write(RowWrite("k", {"status": "=cmd|' /C calc'!A0", "notes": "-2+3"}, 2), tab=tab))
    wb = openpyxl.load_workbook(path)
    ws = wb["Articles"]
    assert [(ws[r].value, ws[r].data_type) for r in ("C2", "D2")] == [("=cmd|' /C calc'!A0", "s"), ("-2+3", "s")]
    assert [wb["Placements"][r].data_type for r in ("A2", "A3")] == ["s", "s"]
    assert "<f>" not in sheet_xml(path) and "of:=" not in sheet_xml(path)


def test_empty_text_clears_the_cell(tmp_path):
    path = make(tmp_path / "e.xlsx", [["title", "row_key", "notes"], ["x", "k", "old problem"]])
    table = XlsxTable(path)
    table.read()
    table.write(key_write(RowWrite("k", {"notes": ""}, 2)))
    assert openpyxl.load_workbook(path).active["C2"].value is None


def test_new_columns_go_right_of_data_that_has_no_header(tmp_path):
    path = make(tmp_path / "h.xlsx", [["title", "row_key"], ["x", "k", None, "a person's aside"]])
    table = XlsxTable(path)
    table.read()
    table.write(key_write(RowWrite("k", {"status": "Queued"}, 2)))
    ws = openpyxl.load_workbook(path).active
    assert [c.value for c in ws[1]] == ["title", "row_key", None, None, "status"]
    assert [c.value for c in ws[2]] == ["x", "k", None, "a person's aside", "Queued"]


def test_edits_saved_by_another_program_between_read_and_write_survive(tmp_path):
    path = make(tmp_path / "x.xlsx", [["title", "row_key"], ["x", "k"]])
    table = XlsxTable(path)
    table.read()
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("Added meanwhile")["A1"] = "keep me"
    wb.active["A2"] = "retitled"
    wb.save(path)
    table.write(key_write(RowWrite("k", {"status": "Queued"}, 2)))
    wb = openpyxl.load_workbook(path)
    assert wb["Added meanwhile"]["A1"].value == "keep me"
    assert [c.value for c in wb["Articles"][2]] == ["retitled", "k", "Queued"]


def test_the_articles_tab_cannot_be_the_detail_tab(tmp_path):
    path = make(tmp_path / "x.xlsx", [["title", "row_key"], ["x", "k"]], title="Placements")
    table = XlsxTable(path)
    table.read()
    with pytest.raises(TableError, match="holds the articles"):
        table.write(key_write(tab=Tab("placements", ("a",), ())))
    assert openpyxl.load_workbook(path).active["A2"].value == "x"


def test_formatting_validation_comments_charts_and_images_survive(tmp_path):
    def build(wb, ws):
        ws["A1"].font = Font(bold=True)
        ws["A2"].fill = PatternFill("solid", fgColor="FFFF00")
        ws.column_dimensions["A"].width = 42
        dv = DataValidation(type="list", formula1='"yes,no"')
        ws.add_data_validation(dv)
        dv.add("C2:C100")
        ws.conditional_formatting.add("B2:B100", CellIsRule(operator="equal", formula=['"k"'], fill=PatternFill("solid", fgColor="FF0000")))
        ws["A2"].comment = Comment("ask Ana", "Ana")
        picture = io.BytesIO()
        PILImage.new("RGB", (4, 4), "red").save(picture, "PNG")
        ws.add_image(Image(picture), "F5")
        chart = BarChart()
        chart.add_data(Reference(ws, min_col=3, min_row=1, max_row=2), titles_from_data=True)
        ws.add_chart(chart, "H2")

    path = make(tmp_path / "rich.xlsx", [["title", "row_key", "ready"], ["x", "k", "yes"]], build=build)
    table = XlsxTable(path)
    table.read()
    table.write(key_write(RowWrite("k", {"status": "Queued"}, 2)))
    ws = openpyxl.load_workbook(path).active
    assert ws["A1"].font.bold and ws["A2"].fill.fgColor.rgb == "00FFFF00"
    assert ws.column_dimensions["A"].width == 42
    # The person's own validation and colours stay; the status column sheetsync added gets
    # its header note (a note beside the person's) and its status colours beside them.
    assert [str(dv.sqref) for dv in ws.data_validations.dataValidation] == ["C2:C100"]
    assert [str(cf.sqref) for cf in ws.conditional_formatting] == ["B2:B100", "D2:D1048576"]
    assert ws["A2"].comment.text == "ask Ana" and ws["A2"].comment.author == "Ana"
    assert ws["D1"].comment.author == "sheetsync"
    assert len(ws._images) == 1
    assert len(ws._charts) == 1


def test_excel_2010_extensions_on_the_articles_tab_survive_and_need_no_warning(tmp_path):
    path = make(tmp_path / "ext.xlsx", [["title", "row_key"], ["x", "k"]])
    extension = (
        '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
        'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
        "<x14:dataValidations count=\"0\"/></ext></extLst>"
    )
    patch(path, {SHEET: lambda x: x.replace("</worksheet>", extension + "</worksheet>")})
    table = XlsxTable(path)
    grid = table.read()
    result = table.write(key_write(RowWrite("k", {"status": "s"}, 2)))
    assert not [n for n in (*grid.notes, *result.notes) if "removed" in n or "openpyxl" in n]
    assert sheet_xml(path).endswith(extension + "</worksheet>")
    assert XlsxTable(path).read().rows == (("x", "k", "s"),)


def test_macros_in_xlsm_files_survive(tmp_path):
    path = make(tmp_path / "macro.xlsm", [["title", "row_key"], ["x", "k"]])
    macro = "not really VBA, but kept byte for byte"
    patch(
        path,
        {
            "xl/vbaProject.bin": macro,
            "[Content_Types].xml": lambda x: x.replace(
                "</Types>", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject" /></Types>'
            ),
            "xl/_rels/workbook.xml.rels": lambda x: x.replace(
                "</Relationships>",
                '<Relationship Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
                'Target="vbaProject.bin" Id="rId98" /></Relationships>',
            ),
        },
    )
    with XlsxTable(path) as table:
        table.read()
        table.write(key_write(RowWrite("k", {"status": "s"}, 2)))
    with zipfile.ZipFile(path) as z:
        assert z.read("xl/vbaProject.bin").decode() == macro
    assert openpyxl.load_workbook(path).active["C2"].value == "s"


class SavedMeanwhile(XlsxTable):
    """A table during whose save another program saves the file (the Nth look at the file)."""

    def __init__(self, path: Path, edit_on_look: int, edit: Callable[..., None] | None = None):
        super().__init__(path)
        self.looks_left = edit_on_look
        self.edit = edit or (lambda ws: ws.cell(2, 1, "their edit"))

    def _read_bytes(self) -> bytes:
        self.looks_left -= 1
        if self.looks_left == 0:
            wb = openpyxl.load_workbook(self.path)
            self.edit(wb.active)
            wb.save(self.path)
        return super()._read_bytes()


def test_a_save_by_someone_else_during_ours_is_not_overwritten(tmp_path):
    path = make(tmp_path / "race.xlsx", [["title", "row_key"], ["x", "k"]])
    table = SavedMeanwhile(path, edit_on_look=3)  # read, re-read, then the check before the rename
    table.read()
    with pytest.raises(SheetBusyError, match="saved by another program while sheetsync was writing"):
        table.write(key_write(RowWrite("k", {"status": "s"}, 2)))
    assert [c.value for c in openpyxl.load_workbook(path).active[2]] == ["their edit", "k"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["race.xlsx"]


def test_a_row_inserted_after_the_re_read_never_receives_the_write(tmp_path):
    # The cells were placed against the file as re-read; a row inserted after that would shift
    # them onto another row, so the write is refused instead of applied to the newer file.
    path = make(tmp_path / "race.xlsx", [["title", "row_key"], ["x", "k"]])
    table = SavedMeanwhile(path, edit_on_look=3, edit=lambda ws: ws.insert_rows(2))
    table.read()
    with pytest.raises(SheetBusyError, match="nothing was written"):
        table.write(key_write(RowWrite("k", {"status": "s"}, 2)))
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(path).active.iter_rows()]
    assert rows == [["title", "row_key"], [None, None], ["x", "k"]]


def test_merges_in_the_detail_tab_do_not_block_replacing_it(tmp_path):
    def build(wb, ws):
        old = wb.create_sheet("Placements")
        for r in range(1, 6):
            old.append([f"old {r}", "x", "y"])
        old.merge_cells("A2:B3")

    path = make(tmp_path / "p.xlsx", [["title", "row_key"], ["x", "k"]], build=build)
    table = XlsxTable(path)
    table.read()
    table.write(key_write(tab=Tab("Placements", ("row_key", "status"), (("k", "Published"),))))
    tab = openpyxl.load_workbook(path)["Placements"]
    assert [[c.value for c in row] for row in tab.iter_rows() if any(c.value for c in row)] == [
        ["row_key", "status"],
        ["k", "Published"],
    ]
    assert not tab.merged_cells.ranges


def test_placements_result_urls_are_cell_hyperlinks_not_formulas(tmp_path):
    path = make(tmp_path / "p.xlsx", [["title", "row_key"], ["x", "k"]])
    header = ("row_key", "status", "result_url")
    first = (("k", "Published", "https://a.example/post?x=1&y=2"), ("k", "Failed", ""),
             ("k", "Published", "=HYPERLINK(\"https://evil.example\")"))  # fmt: skip
    for rows in (first, (("k", "Published", "https://b.example/p"),)):
        table = XlsxTable(path)
        table.read()
        table.write(key_write(tab=Tab("Placements", header, rows)))
        tab = openpyxl.load_workbook(path)["Placements"]
        values = [[c.value or "" for c in row] for row in tab.iter_rows(min_row=2)]
        assert values == [list(r) for r in rows]  # text, never a formula
        links = {c.coordinate: c.hyperlink.target for row in tab.iter_rows() for c in row if c.hyperlink}
        assert links == {f"C{i}": r[2] for i, r in enumerate(rows, start=2) if r[2].startswith("https://")}
    with zipfile.ZipFile(path) as z:
        rels = [n for n in z.namelist() if n.startswith("xl/worksheets/_rels/")]
        placements_rels = [z.read(n) for n in rels if b"b.example" in z.read(n)]
    assert len(placements_rels) == 1 and b"a.example" not in placements_rels[0]
    assert placements_rels[0].count(b'TargetMode="External"') == 1


def test_placements_times_are_date_time_cells_labelled_utc(tmp_path):
    path = make(tmp_path / "p.xlsx", [["title", "row_key"], ["x", "k"]])
    header = ("row_key", "status", "scheduled", "completed")
    rows = (("k", "Published", "2026-12-01T09:05Z", "2026-12-31T23:59Z"), ("k", "Queued", "2026-12-02T00:00Z", ""))
    table = XlsxTable(path)
    table.read()
    table.write(key_write(tab=Tab("Placements", header, rows, widths=(10, 10, 21, 21))))
    tab = openpyxl.load_workbook(path)["Placements"]
    assert [[c.value for c in row] for row in tab.iter_rows()] == [
        list(header),
        ["k", "Published", dt.datetime(2026, 12, 1, 9, 5), dt.datetime(2026, 12, 31, 23, 59)],
        ["k", "Queued", dt.datetime(2026, 12, 2, 0, 0), None],
    ]
    assert {tab["C2"].number_format, tab["D2"].number_format} == {'yyyy-mm-dd hh:mm "UTC"'}
    # Read back as the text sheetsync wrote, as the articles tab's last_synced is.
    assert XlsxTable(path).read_tab("Placements")[1][2:] == ("2026-12-01T09:05Z", "2026-12-31T23:59Z")


def test_the_default_tab_stays_the_one_read_when_a_tab_is_added_in_front(tmp_path):
    path = make(tmp_path / "front.xlsx", [["title", "row_key"], ["x", "k"]])
    table = XlsxTable(path)
    table.read()
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("Added in front", 0)["A1"] = "not the articles"
    wb.save(path)
    result = table.write(key_write(RowWrite("k", {"status": "Queued"}, 2)))
    assert result.written == ("k",)
    wb = openpyxl.load_workbook(path)
    assert [c.value for c in wb["Articles"][2]] == ["x", "k", "Queued"]
    assert [[c.value for c in row] for row in wb["Added in front"].iter_rows()] == [["not the articles"]]
