"""Whole syncs on workbooks people make: pictures, Excel Tables and filters that get sorted."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.drawing.image import Image
from openpyxl.worksheet.table import Table as ExcelTable
from PIL import Image as PILImage

from sheetsync.errors import TableError
from sheetsync.tables.xlsx import XlsxTable
from tests.sync.helpers import HEADER, article, assert_exactly_once, sheet
from tests.sync.conftest import world  # noqa: F401 - the emulator fixture

ROWS = 4


def workbook(path: Path, build=None, rows=None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Articles"
    for values in rows or sheet(ROWS, targets="372"):
        ws.append(values)
    if build:
        build(wb, ws)
    wb.save(path)
    return path


def values(path: Path) -> list[list[object]]:
    ws = openpyxl.load_workbook(path)["Articles"]
    out = [[c.value for c in row] for row in ws.iter_rows()]
    for row in out:
        while row and row[-1] is None:
            row.pop()
    return [r for r in out if r]


def sort_like_excel(path: Path, first_col: int, last_col: int, last_row: int) -> None:
    """Sort rows 2..last_row by title, descending, moving only columns first_col..last_col."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Articles"]
    title = HEADER.index("article_title") + 1
    block = [[ws.cell(r, c).value for c in range(first_col, last_col + 1)] for r in range(2, last_row + 1)]
    block.sort(key=lambda cells: str(cells[title - first_col]), reverse=True)
    for r, cells in enumerate(block, start=2):
        for c, value in enumerate(cells, start=first_col):
            ws.cell(r, c).value = value
    wb.save(path)


def picture(wb, ws) -> None:
    data = io.BytesIO()
    PILImage.new("RGB", (8, 8), "blue").save(data, "PNG")
    ws.add_image(Image(data), "J2")
    logo = io.BytesIO()
    PILImage.new("RGB", (4, 4), "red").save(logo, "PNG")
    wb.create_sheet("Cover").add_image(Image(logo), "B2")


def test_a_workbook_with_pictures_gets_every_task_id_in_one_sync(world, tmp_path):
    path = workbook(tmp_path / "logo.xlsx", build=picture)
    with zipfile.ZipFile(path) as z:
        media = {n: z.read(n) for n in z.namelist() if n.startswith("xl/media/")}
    assert len(media) == 2
    report = world.run(XlsxTable(path))
    assert report.exit_code == 0, report.to_dict()
    assert_exactly_once(world, values(path))
    with zipfile.ZipFile(path) as z:
        assert {n: z.read(n) for n in z.namelist() if n.startswith("xl/media/")} == media
    assert len(openpyxl.load_workbook(path)["Cover"]._images) == 1


def with_table(wb, ws) -> None:
    ws.add_table(ExcelTable(displayName="Queue", ref=f"A1:F{ROWS + 1}"))


def with_filter(wb, ws) -> None:
    ws.auto_filter.ref = f"A1:F{ROWS + 1}"


def filter_range(path: Path) -> tuple[int, int]:
    ws = openpyxl.load_workbook(path)["Articles"]
    ref = ws.tables["Queue"].ref if "Queue" in ws.tables else ws.auto_filter.ref
    start, end = ref.split(":")
    return openpyxl.utils.column_index_from_string(start.rstrip("0123456789")), openpyxl.utils.column_index_from_string(end.rstrip("0123456789"))


@pytest.mark.parametrize("build", [with_table, with_filter], ids=["excel table", "autofilter"])
def test_sorting_a_table_or_filter_moves_sheetsyncs_columns_with_their_rows(world, tmp_path, build):
    path = workbook(tmp_path / "sorted.xlsx", build=build)
    first = world.run(XlsxTable(path))
    assert first.exit_code == 0, first.to_dict()
    width = len(values(path)[0])
    assert filter_range(path) == (1, width)  # the table or filter took in sheetsync's columns
    world.clock.advance(3600 * 24)
    sort_like_excel(path, *filter_range(path), ROWS + 1)
    titles = [row[1] for row in values(path)[1:]]
    assert titles == sorted(titles, reverse=True)
    second = world.run(XlsxTable(path))
    assert second.exit_code == 0, second.to_dict()
    assert_exactly_once(world, values(path))


def test_a_sort_that_leaves_sheetsyncs_columns_behind_holds_the_rows_with_a_note(world, tmp_path):
    # A person's own column right of the table: sheetsync's columns go after it, so the table
    # cannot grow over them, and a sort moves the articles away from their task ids.
    rows = [[*HEADER, "my notes"], *[[*article(i, targets="372"), f"aside {i}"] for i in range(1, ROWS + 1)]]
    path = workbook(tmp_path / "apart.xlsx", build=with_table, rows=rows)
    first = world.run(XlsxTable(path))
    assert first.exit_code == 0, first.to_dict()
    assert any("does not reach sheetsync's columns" in n for n in first.notes)
    before = values(path)
    ids = {row[1]: row[HEADER.index("ready") + 3] for row in before[1:]}
    sort_like_excel(path, 1, len(HEADER), ROWS + 1)
    second = world.run(XlsxTable(path))
    assert second.exit_code == 1
    after = values(path)
    header = after[0]
    moved = [row for row in after[1:] if ids[row[1]] != row[header.index("task_id")]]
    assert moved  # the sort did put other tasks beside these articles
    for row in moved:
        assert row[header.index("notes")].startswith("This row's article is not the one task")
    held = {r.row for r in second.rows if r.action == "hold"}
    assert len(held) == len(moved)
    assert world.store_posts() == ROWS  # nothing was sent again


def test_a_read_only_workbook_is_refused_before_anything_is_sent(world, tmp_path):
    path = workbook(tmp_path / "ro.xlsx")
    os.chmod(path, 0o444)
    before = path.read_bytes()
    with pytest.raises(TableError, match="read-only"):
        world.run(XlsxTable(path))
    assert world.store_posts() == 0 and world.emu.request_log == []
    assert path.read_bytes() == before
