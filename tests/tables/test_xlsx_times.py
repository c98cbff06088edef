"""last_synced in the articles tab is a date-time cell labelled UTC that reads back as written."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import PatternFill

from sheetsync import columns as C
from sheetsync.sheet import map_header, read_rows
from sheetsync.tables.base import RowWrite, WriteBack
from sheetsync.tables.xlsx import XlsxTable
from tests.sync.conftest import world  # noqa: F401 - the emulator fixture
from tests.sync.helpers import sheet

UTC = 'yyyy-mm-dd hh:mm "UTC"'


def make(path: Path, last: list[object]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Articles"
    ws.append(["article_title", "article_body", "article_urls", "target_website_ids", "row_key", "status", "Last synced"])
    for i, value in enumerate(last):
        ws.append([f"Title number {i}", "body", "https://example.com", "372", f"k{i}", "Queued", value])
    ws["G3"].fill = PatternFill("solid", fgColor="FFFFCC00")  # the person's own colour
    wb.save(path)
    return path


def write(path: Path, **by_key: dict[str, str]) -> None:
    table = XlsxTable(path)
    table.read()
    rows = tuple(RowWrite(key=k, values=v, read_row=0) for k, v in by_key.items())
    assert not table.write(WriteBack("row_key", "article_title", rows)).lost


def column(path: Path) -> list[str]:
    """last_synced of each row as the core reads it (the text it compares with what it writes)."""
    grid = XlsxTable(path).read()
    return [row.owned[C.LAST_SYNCED] for row in read_rows(grid, map_header(grid.header))]


def test_last_synced_is_a_utc_date_time_cell_that_reads_back_as_the_text_written(tmp_path):
    path = make(tmp_path / "t.xlsx", [None, "2026-11-30T21:58Z", "yesterday, 5pm"])
    write(path, k0={"Last synced": "2026-12-01T09:05Z", "status": "Published"}, k1={"Last synced": "2026-12-31T23:59Z"})
    ws = openpyxl.load_workbook(path)["Articles"]
    assert [ws[f"G{n}"].value for n in (2, 3, 4)] == [dt.datetime(2026, 12, 1, 9, 5), dt.datetime(2026, 12, 31, 23, 59), "yesterday, 5pm"]
    assert ws["G2"].number_format == ws["G3"].number_format == UTC
    assert ws["G3"].fill.fgColor.rgb == "FFFFCC00"  # the person's colour stays with the new format
    assert ws["F2"].value == "Published" and ws["F2"].data_type == "s"
    # The core compares what it reads with what it writes: the exact text, not isoformat().
    assert column(path) == ["2026-12-01T09:05Z", "2026-12-31T23:59Z", "yesterday, 5pm"]


def test_old_text_times_and_typed_dates_read_and_are_overwritten_without_trouble(tmp_path):
    path = make(tmp_path / "old.xlsx", ["2026-11-30T21:58Z", dt.datetime(2026, 11, 29, 8, 0), "01/12/2026"])
    assert column(path) == ["2026-11-30T21:58Z", "2026-11-29 08:00:00", "01/12/2026"]
    write(path, k1={"Last synced": "2026-12-02T10:00Z"}, k2={"Last synced": "not a time"})
    ws = openpyxl.load_workbook(path)["Articles"]
    assert ws["G3"].value == dt.datetime(2026, 12, 2, 10, 0) and ws["G3"].number_format == UTC
    assert ws["G4"].value == "not a time" and ws["G4"].data_type == "s"  # never a number it is not
    assert column(path) == ["2026-11-30T21:58Z", "2026-12-02T10:00Z", "not a time"]


def test_a_sync_over_date_time_cells_that_changes_nothing_writes_nothing(world, tmp_path):  # noqa: F811
    path = tmp_path / "synced.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Articles"
    for row in sheet(3, targets="372"):
        ws.append(row)
    wb.save(path)
    assert world.run(XlsxTable(path)).exit_code == 0
    world.clock.advance(3600 * 24 * 3)
    world.run(XlsxTable(path))
    ws = openpyxl.load_workbook(path)["Articles"]
    header = [c.value for c in ws[1]]
    cells = [r[header.index("last_synced")] for r in ws.iter_rows(min_row=2)]
    assert all(isinstance(c.value, dt.datetime) and c.number_format == UTC for c in cells)
    data = path.read_bytes()
    world.clock.advance(3600)
    assert world.run(XlsxTable(path)).exit_code == 0
    assert path.read_bytes() == data


@pytest.mark.slow
def test_a_workbook_libreoffice_saved_still_reads_its_times_as_written(tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    path = make(tmp_path / "lo.xlsx", [None, None])
    write(path, k0={"Last synced": "2026-12-01T09:05Z"}, k1={"Last synced": "2026-12-31T23:59Z"})
    out = tmp_path / "out"
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to", "xlsx",
         "--outdir", str(out), str(path)],
        capture_output=True, timeout=180, check=True,
    )  # fmt: skip
    assert column(out / path.name) == ["2026-12-01T09:05Z", "2026-12-31T23:59Z"]
