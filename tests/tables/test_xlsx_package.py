"""The .xlsx backend edits the package: what changes, what never does, and what it refuses."""

from __future__ import annotations

import io
import os
import re
import stat
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.table import Table as ExcelTable

from sheetsync.errors import TableError
from sheetsync.tables.base import RowWrite, Tab, WriteBack
from sheetsync.tables.layout import BY_NAME
from sheetsync.tables.xlsx import XlsxTable
from sheetsync.tables.xlsx import save as xlsx_save

from .test_xlsx import SHEET, make, patch


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def write(path: Path, *rows: RowWrite, tab: Tab | None = None, worksheet: str | None = None) -> XlsxTable:
    table = XlsxTable(path, worksheet)
    table.read()
    table.write(WriteBack("row_key", "title", rows, tab=tab))
    return table


ROWS = [["title", "body", "row_key"], ["Alpha", "a", "ka"], ["Bravo", "b", "kb"]]
#: What the header notes of the columns a sync adds bring to a tab that had no notes.
NOTES_PARTS = {"xl/comments1.xml", "xl/drawings/vmlDrawing1.vml", "xl/worksheets/_rels/sheet1.xml.rels"}


# --- what changes --------------------------------------------------------------------------


def test_only_the_articles_part_changes_and_only_in_the_written_cells(tmp_path):
    path = make(tmp_path / "a.xlsx", ROWS, build=lambda wb, ws: wb.create_sheet("Other").append(["x", 1]))
    before = parts(path)
    write(path, RowWrite("kb", {"status": "Queued"}, 3))
    after = parts(path)
    # The new status column brings its layout: styles appended, widths, colours, and a header
    # note (a comments part and its drawing, the tab's relationships to them, their types).
    assert set(after) - set(before) == NOTES_PARTS
    assert {p for p in before if before[p] != after[p]} == {SHEET, "xl/styles.xml", "[Content_Types].xml"}
    old, new = before[SHEET].decode(), after[SHEET].decode()
    assert re.search(r'r="D1" s="\d+" t="inlineStr"><is><t xml:space="preserve">status</t>', new)
    assert re.search(r'r="D3" s="\d+" t="inlineStr"><is><t xml:space="preserve">Queued</t>', new)
    # Take out what sheetsync added: the rest is the old part, byte for byte.
    stripped = re.sub(r'<c r="D[13]" s="\d+" t="inlineStr"><is><t xml:space="preserve">\w+</t></is></c>', "", new)
    stripped = re.sub(r'<cols><col min="4" max="4" width="[\d.]+" style="\d+" customWidth="1"/></cols>', "", stripped)
    stripped = re.sub(r"<conditionalFormatting .*?</conditionalFormatting>", "", stripped)
    stripped = re.sub(r'<legacyDrawing (?:xmlns:r="[^"]+" )?r:id="rId\d+"/>', "", stripped)
    assert stripped.replace('<dimension ref="A1:D3"/>', '<dimension ref="A1:C3"/>') == old


def test_written_text_is_an_inline_string_and_the_shared_strings_stay_as_they_were(tmp_path):
    path = make(tmp_path / "s.xlsx", ROWS)
    with zipfile.ZipFile(path) as z:
        strings = z.read("xl/sharedStrings.xml") if "xl/sharedStrings.xml" in z.namelist() else None
    write(path, RowWrite("ka", {"notes": "=HYPERLINK(\"http://e.vil\")"}, 2))
    after = parts(path)
    assert after.get("xl/sharedStrings.xml") == strings
    assert "<f>" not in after[SHEET].decode()
    assert XlsxTable(path).read().rows[0][3] == '=HYPERLINK("http://e.vil")'


def test_a_new_tab_adds_one_part_and_one_entry_to_the_sheet_list_rels_and_types(tmp_path):
    path = make(tmp_path / "t.xlsx", ROWS)
    before = parts(path)
    write(path, RowWrite("ka", {"status": "Queued"}, 2), tab=Tab("Placements", ("row_key", "status"), (("ka", "Queued"),)))
    after = parts(path)
    added = set(after) - set(before) - NOTES_PARTS
    assert len(added) == 1
    changed = {p for p in before if before[p] != after[p]}
    assert changed == {SHEET, "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml"}
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Articles", "Placements"]
    assert [[c.value for c in row] for row in wb["Placements"].iter_rows()] == [["row_key", "status"], ["ka", "Queued"]]
    # Replacing the tab later touches only its own part (and the articles cells, if any).
    again = parts(path)
    write(path, tab=Tab("Placements", ("row_key", "status"), (("kb", "Published"),)))
    final = parts(path)
    assert {p for p in again if again[p] != final[p]} == added


def test_widths_for_new_columns_go_into_cols_in_column_order(tmp_path):
    def build(wb, ws):
        ws.column_dimensions["A"].width = 30
        ws.column_dimensions["H"].width = 9

    path = make(tmp_path / "w.xlsx", ROWS, build=build)
    write(path, RowWrite("ka", {"status": "Queued", "notes": "n"}, 2))
    xml = parts(path)[SHEET].decode()
    cols = re.findall(r'<col min="(\d+)" max="(\d+)"', xml)
    assert [int(lo) for lo, _ in cols] == sorted(int(lo) for lo, _ in cols)
    assert ("4", "4") in cols and ("5", "5") in cols
    ws = openpyxl.load_workbook(path).active
    # The person's width stays; sheetsync's notes column gets the layout's width.
    assert ws.column_dimensions["A"].width == 30
    assert ws.column_dimensions["E"].width == BY_NAME["notes"].width + 0.7


def test_a_style_on_a_cell_sheetsync_overwrites_is_kept(tmp_path):
    def build(wb, ws):
        ws["D1"] = "status"
        ws["D2"].number_format = "0.00%"
        ws["D2"] = 0.5

    path = make(tmp_path / "st.xlsx", ROWS, build=build)
    write(path, RowWrite("ka", {"status": "Queued"}, 2))
    cell = openpyxl.load_workbook(path).active["D2"]
    assert cell.value == "Queued" and cell.number_format == "0.00%"


def test_an_overwritten_formula_leaves_the_calculation_chain(tmp_path):
    path = make(tmp_path / "cc.xlsx", [["title", "row_key", "status", "n"], ["Alpha", "ka", "=1+1", "=2+2"]])
    chain = '<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><c r="C2" i="1"/><c r="D2"/></calcChain>'
    patch(
        path,
        {
            "xl/calcChain.xml": chain,
            "[Content_Types].xml": lambda x: x.replace(
                "</Types>",
                '<Override PartName="/xl/calcChain.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>',
            ),
            "xl/_rels/workbook.xml.rels": lambda x: x.replace(
                "</Relationships>",
                '<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                'relationships/calcChain" Target="calcChain.xml" Id="rId97"/></Relationships>',
            ),
        },
    )
    write(path, RowWrite("ka", {"status": "Queued"}, 2))
    # D2 inherited its sheet from the removed C2 entry: it now names the sheet itself.
    assert parts(path)["xl/calcChain.xml"].decode().endswith('<c i="1" r="D2"/></calcChain>')
    assert openpyxl.load_workbook(path).active["D2"].value == "=2+2"


# --- Tables and filters --------------------------------------------------------------------


def with_table(ref: str = "A1:C3"):
    def build(wb, ws):
        ws.add_table(ExcelTable(displayName="Queue", ref=ref))

    return build


def test_an_excel_table_grows_over_sheetsyncs_new_columns(tmp_path):
    path = make(tmp_path / "tbl.xlsx", ROWS, build=with_table())
    write(path, RowWrite("ka", {"status": "Queued", "task_id": "t1"}, 2))
    table = openpyxl.load_workbook(path).active.tables["Queue"]
    assert table.ref == "A1:E3" and table.autoFilter.ref == "A1:E3"
    assert [c.name for c in table.tableColumns] == ["title", "body", "row_key", "status", "task_id"]
    assert [c.id for c in table.tableColumns] == [1, 2, 3, 4, 5]


def test_a_plain_autofilter_grows_with_its_hidden_name(tmp_path):
    def build(wb, ws):
        ws.auto_filter.ref = "A1:C3"

    path = make(tmp_path / "af.xlsx", ROWS, build=build)
    assert "'Articles'!$A$1:$C$3</definedName>" in parts(path)["xl/workbook.xml"].decode()
    write(path, RowWrite("ka", {"status": "Queued"}, 2))
    assert openpyxl.load_workbook(path).active.auto_filter.ref == "A1:D3"
    assert "'Articles'!$A$1:$D$3</definedName>" in parts(path)["xl/workbook.xml"].decode()


def test_a_table_that_cannot_reach_sheetsyncs_columns_is_named_when_the_file_is_read(tmp_path):
    rows = [["title", "body", "mine"], ["Alpha", "a", None, "a person's aside"]]
    path = make(tmp_path / "far.xlsx", rows, build=with_table("A1:B2"))
    grid = XlsxTable(path).read()
    assert any("the table Queue (A1:B2) does not reach sheetsync's columns" in n for n in grid.notes)


# --- refused before anything is sent --------------------------------------------------------


def test_a_chart_sheet_is_refused_as_the_articles_tab(tmp_path):
    def build(wb, ws):
        from openpyxl.chart import BarChart

        chart = wb.create_chartsheet("Chart")
        chart.add_chart(BarChart())

    path = make(tmp_path / "c.xlsx", ROWS, build=build)
    with pytest.raises(TableError, match="'Chart' of c.xlsx is a chart sheet.*pass the tab that holds them"):
        XlsxTable(path, "Chart").read()
    assert XlsxTable(path).read().rows[0][0] == "Alpha"


def test_an_encrypted_workbook_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "locked.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(TableError, match="encrypted with a password.*clear the password"):
        XlsxTable(path).read()


def test_a_shared_formula_filling_a_sheetsync_column_is_refused(tmp_path):
    path = make(tmp_path / "sf.xlsx", [["title", "status"], ["Alpha", "=A2"], ["Bravo", "=A3"]])
    patch(
        path,
        {
            SHEET: lambda x: re.sub(r'<c r="B3"><f>A3</f>(<v></v>|<v\s*/>)</c>', '<c r="B3"><f t="shared" si="0"/><v>Bravo</v></c>',
                                    re.sub(r'<c r="B2"><f>A2</f>(<v></v>|<v\s*/>)</c>', '<c r="B2" t="str"><f t="shared" ref="B2:B3" si="0">A2</f><v>Alpha</v></c>', x))
        },
    )
    assert 'ref="B2:B3"' in parts(path)[SHEET].decode()
    with pytest.raises(TableError, match=r"Articles!B2:B3 is one shared or array formula that fills sheetsync's column B \(status\)"):
        XlsxTable(path).read()


def test_no_room_right_of_column_xfd_is_refused(tmp_path):
    path = make(tmp_path / "xfd.xlsx", [["title", "body"], ["Alpha", "a"]])
    patch(path, {SHEET: lambda x: x.replace("</row></sheetData>", '<c r="XFD2" t="inlineStr"><is><t>far</t></is></c></row></sheetData>')})
    with pytest.raises(TableError, match="row 2 has a value in column XFD, so there is no room.*Excel stops at column XFD"):
        XlsxTable(path).read()


def test_an_external_entity_in_the_sheet_is_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    path = make(tmp_path / "xxe.xlsx", [["title"], ["x"]])
    doctype = f'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    patch(
        path,
        {SHEET: lambda x: doctype + x.replace("<t>x</t>", "<t>&xxe;</t>") if x.startswith("<worksheet") else x.replace("?>", "?>" + doctype, 1).replace("<t>x</t>", "<t>&xxe;</t>")},
    )
    grid = XlsxTable(path).read()
    assert "TOP-SECRET" not in repr(grid)


# --- the cost follows the used cells --------------------------------------------------------


def test_one_value_in_the_last_row_costs_what_one_row_costs(tmp_path):
    path = make(tmp_path / "far.xlsx", ROWS)
    patch(path, {SHEET: lambda x: x.replace("</sheetData>", '<row r="1048576"><c r="H1048576" t="inlineStr"><is><t>far</t></is></c></row></sheetData>')})
    start = time.perf_counter()
    table = XlsxTable(path)
    grid = table.read()
    table.write(WriteBack("row_key", "title", (RowWrite("kb", {"status": "Queued"}, 3),)))
    assert time.perf_counter() - start < 2
    assert len(grid.rows) == 2
    assert openpyxl.load_workbook(path, read_only=True).active["I3"].value == "Queued"


# --- files, links and leftovers -------------------------------------------------------------


def test_a_symlinked_workbook_is_written_through_the_link(tmp_path):
    shared = make(tmp_path / "shared.xlsx", ROWS)
    link = tmp_path / "mine.xlsx"
    link.symlink_to(shared)
    write(link, RowWrite("ka", {"status": "Queued"}, 2))
    assert link.is_symlink()
    assert openpyxl.load_workbook(shared).active["D2"].value == "Queued"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.xlsx", "shared.xlsx"]


def test_a_hard_linked_workbook_is_written_through_every_link(tmp_path):
    original = make(tmp_path / "original.xlsx", ROWS)
    other = tmp_path / "other-name.xlsx"
    os.link(original, other)
    write(other, RowWrite("ka", {"status": "Queued"}, 2))
    assert original.stat().st_ino == other.stat().st_ino and original.stat().st_nlink == 2
    assert openpyxl.load_workbook(original).active["D2"].value == "Queued"


def test_a_read_only_workbook_is_refused_and_left_alone(tmp_path):
    path = make(tmp_path / "ro.xlsx", ROWS)
    os.chmod(path, 0o444)
    before = path.read_bytes()
    table = XlsxTable(path)
    table.read()  # reading is fine: validate --no-write and plan only read
    with pytest.raises(TableError, match="ro.xlsx is read-only, so sheetsync will not write to it; make it writable"):
        table.check_writable()
    with pytest.raises(TableError, match="read-only"):
        table.write(WriteBack("row_key", "title", (RowWrite("ka", {"status": "Queued"}, 2),)))
    assert path.read_bytes() == before and stat.S_IMODE(path.stat().st_mode) == 0o444


def test_a_temp_file_left_by_a_killed_save_is_removed_by_the_next_run(tmp_path):
    path = make(tmp_path / "k.xlsx", ROWS)
    real = xlsx_save.real_path(path)
    host = xlsx_save._host()
    dead = tmp_path / f"{xlsx_save.temp_prefix(real)}{host}-999999999-abc.tmp"
    dead.write_bytes(b"half a workbook")
    running = tmp_path / f"{xlsx_save.temp_prefix(real)}{host}-{os.getpid()}-def.tmp"
    running.write_bytes(b"a save under way")
    old = tmp_path / ".k.xlsx.oldstyle.tmp"
    old.write_bytes(b"from an older version")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    XlsxTable(path).read()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["k.xlsx", running.name])


def test_a_save_killed_before_the_rename_leaves_the_workbook_whole(tmp_path):
    path = make(tmp_path / "kill.xlsx", ROWS)
    before = path.read_bytes()
    pid = os.fork()
    if pid == 0:  # the child saves and is killed between writing the temp file and the rename
        os.replace = lambda *a: os.kill(os.getpid(), 9)  # type: ignore[assignment]
        try:
            write(path, RowWrite("ka", {"status": "Queued"}, 2))
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9
    assert path.read_bytes() == before
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "kill.xlsx"]
    assert len(leftovers) == 1 and leftovers[0].endswith(".tmp")
    XlsxTable(path).read()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kill.xlsx"]


def test_of_two_saves_that_both_found_the_file_unchanged_the_second_refuses(tmp_path):
    # Two syncs (two machines sharing the folder) save at the same moment: the first compares,
    # and before it renames, the second compares too. Without the lock both would find the file
    # unchanged, and the first save's cells (its row keys) would be replaced without a word.
    import threading

    path = tmp_path / "w.xlsx"
    path.write_bytes(b"original")
    compared, go = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def slow_on_disk() -> bytes:
        data = path.read_bytes()
        compared.set()
        go.wait(2)
        return data

    def save(name: str, data: bytes, on_disk) -> None:
        try:
            xlsx_save.write_atomically(path, data, b"original", on_disk, TableError)
            outcome[name] = "saved"
        except TableError as exc:
            outcome[name] = str(exc)

    first = threading.Thread(target=save, args=("first", b"first's keys", slow_on_disk))
    first.start()
    assert compared.wait(2)
    second = threading.Thread(target=save, args=("second", b"second's tab", path.read_bytes))
    second.start()
    second.join(0.3)  # it waits for the first save to finish
    go.set()
    first.join(5)
    second.join(5)
    assert outcome["first"] == "saved" and "was saved by another program" in str(outcome["second"])
    assert path.read_bytes() == b"first's keys"


def test_a_save_waits_for_a_lock_held_elsewhere_only_so_long(tmp_path, monkeypatch):
    import fcntl

    path = tmp_path / "held.xlsx"
    path.write_bytes(b"original")
    monkeypatch.setattr(xlsx_save, "LOCK_WAIT", 0.2)
    with open(path, "rb") as other:
        fcntl.flock(other.fileno(), fcntl.LOCK_EX)
        with pytest.raises(TableError, match="held by another program"):
            xlsx_save.write_atomically(path, b"mine", b"original", path.read_bytes, TableError)
    assert path.read_bytes() == b"original" and sorted(p.name for p in tmp_path.iterdir()) == ["held.xlsx"]


def test_a_workbook_saved_with_a_namespace_prefix_is_edited_in_that_prefix(tmp_path):
    path = make(tmp_path / "px.xlsx", ROWS)
    patch(path, {SHEET: lambda x: re.sub(r"<(/?)(?!\?)(\w+)", lambda m: f"<{m.group(1)}x:{m.group(2)}", x).replace(
        'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
        'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')})
    assert "<x:sheetData>" in parts(path)[SHEET].decode()
    write(path, RowWrite("kb", {"status": "Queued"}, 3))
    assert re.search(r'<x:c r="D3" s="\d+" t="inlineStr"><x:is><x:t', parts(path)[SHEET].decode())
    assert XlsxTable(path).read().rows[1] == ("Bravo", "b", "kb", "Queued")


def test_the_package_is_read_from_its_bytes_not_through_openpyxl_even_when_damaged_for_it(tmp_path):
    # openpyxl refuses some files Excel opens (a bad defined name); the parts are all we need.
    path = make(tmp_path / "dn.xlsx", ROWS)
    patch(path, {"xl/workbook.xml": lambda x: x.replace("</workbook>", '<definedNames><definedName name="bad">#REF!+</definedName></definedNames></workbook>') if "<definedNames>" not in x else x})
    write(path, RowWrite("ka", {"status": "Queued"}, 2))
    assert XlsxTable(path).read().rows[0] == ("Alpha", "a", "ka", "Queued")


def test_a_zip_with_the_articles_part_missing_says_the_file_is_damaged(tmp_path):
    path = make(tmp_path / "d.xlsx", ROWS)
    with zipfile.ZipFile(path) as z:
        kept = {n: z.read(n) for n in z.namelist() if n != SHEET}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for n, data in kept.items():
            z.writestr(n, data)
    path.write_bytes(buffer.getvalue())
    with pytest.raises(TableError, match="d.xlsx"):
        XlsxTable(path).read()


# --- merged cells ----------------------------------------------------------------------------


def test_a_merged_header_cell_is_named_as_the_reason_a_column_is_missing(tmp_path):
    rows = [["article_title", None, "article_urls", "target_website_ids"], ["Alpha", "the body", "https://e.com", "1"]]
    path = make(tmp_path / "mh.xlsx", rows, build=lambda wb, ws: ws.merge_cells("A1:B1"))
    with pytest.raises(TableError) as caught:
        XlsxTable(path).read()
    message = str(caught.value)
    assert message.startswith("The header row has no article_body column")
    assert "Articles: header cells A1:B1 are merged, so only the first cell of each has a header; unmerge them" in message


def test_a_merged_header_that_hides_nothing_is_only_noted(tmp_path):
    rows = [["article_title", "article_body", "article_urls", "target_website_ids", "my notes", None], ["Alpha", "b", "u", "1"]]
    path = make(tmp_path / "ok.xlsx", rows, build=lambda wb, ws: ws.merge_cells("E1:F1"))
    grid = XlsxTable(path).read()
    assert any("header cells E1:F1 are merged" in n for n in grid.notes)


def test_merged_cells_in_sheetsyncs_columns_are_named_before_any_write(tmp_path):
    path = make(tmp_path / "mo.xlsx", [["title", "row_key", "status"], ["Alpha", "ka"], ["Bravo", "kb"]],
                build=lambda wb, ws: ws.merge_cells("C2:C3"))
    grid = XlsxTable(path).read()
    assert any("cells C2:C3 are merged in sheetsync's columns" in n for n in grid.notes)


def test_a_cut_off_in_place_save_keeps_the_complete_temp_file(tmp_path):
    # A hard-linked workbook is written in place from a finished temp file; if that write is
    # cut off, the temp file is the only whole copy, so the next run must not delete it.
    path = make(tmp_path / "hl.xlsx", ROWS)
    real = xlsx_save.real_path(path)
    complete = tmp_path / f"{xlsx_save.temp_prefix(real)}{xlsx_save._host()}-999999999-abc.tmp"
    complete.write_bytes(path.read_bytes())
    path.write_bytes(b"PK\x03\x04 cut off")
    with pytest.raises(TableError, match="not a readable"):
        XlsxTable(path).read()
    assert complete.exists()


def test_text_that_looks_like_an_excel_escape_comes_back_as_written(tmp_path):
    # Excel reads _xHHHH_ in cell text as a character; its own escape for a literal one is _x005F_.
    path = make(tmp_path / "esc.xlsx", ROWS)
    write(path, RowWrite("ka", {"notes": "_x0041_ stays, the bell\x07 goes, <b>&amp;</b> stays"}, 2))
    assert "_x005F_x0041_" in parts(path)[SHEET].decode()
    assert XlsxTable(path).read().rows[0][3] == "_x0041_ stays, the bell goes, <b>&amp;</b> stays"
