"""The committed sample workbooks match their generator and read as intended."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from sheetsync import columns as C
from sheetsync import samples
from sheetsync.demo import DEMO_DAY
from sheetsync.emulator import CATALOGUE
from sheetsync.rules import check_row
from sheetsync.sheet import map_header, read_rows
from sheetsync.tables import open_table

ROOT = Path(__file__).resolve().parents[2]


def values(path: Path, tab: str) -> list[tuple]:
    return list(load_workbook(path)[tab].iter_rows(values_only=True))


def test_committed_samples_are_what_the_generator_writes(tmp_path):
    samples.write_all(tmp_path)
    for name in (samples.DEMO, samples.TEMPLATE):
        for tab in ("Articles", "How to fill this in"):
            assert values(tmp_path / name, tab) == values(ROOT / "sample_sheets" / name, tab), (
                f"{name} is stale; run python sample_sheets/make_samples.py")


def test_the_packaged_workbooks_are_the_sample_sheets_copies():
    for name in (samples.DEMO, samples.TEMPLATE):
        shipped = samples.packaged(name).read_bytes()
        assert shipped == (ROOT / "sample_sheets" / name).read_bytes(), (
            f"sheetsync/data/{name} differs from sample_sheets/{name}; run python sample_sheets/make_samples.py")


def test_template_has_header_frozen_row_ready_validation_and_howto():
    wb = load_workbook(ROOT / "sample_sheets" / "template.xlsx")
    ws = wb["Articles"]
    header = [c.value for c in ws[1]]
    assert header[: len(C.INPUT_COLUMNS)] == list(C.INPUT_COLUMNS)
    assert header[len(C.INPUT_COLUMNS):] == list(C.OUTPUT_COLUMNS)
    assert ws.max_row == 1 and ws.freeze_panes == "A2"
    ready_letter = ws.cell(row=1, column=header.index(C.READY) + 1).column_letter
    rules = ws.data_validations.dataValidation
    assert any(r.formula1 == '"TRUE,FALSE"' and f"{ready_letter}2" in str(r.sqref) for r in rules)
    assert all(ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width >= 8 for i in range(1, 9))
    assert "How to fill this in" in wb.sheetnames


def test_demo_rows_are_valid_messy_wrong_and_unready_as_intended():
    with open_table(str(ROOT / "sample_sheets" / "demo.xlsx")) as table:
        grid = table.read()
    rows = read_rows(grid, map_header(grid.header))
    problems = {r.row: list(r.problems) + check_row(r, CATALOGUE, DEMO_DAY) for r in rows}
    assert 8 <= len(rows) <= 12
    assert [r for r, found in problems.items() if not found] == [2, 3, 4, 5, 10]
    assert {p.column for p in problems[6]} == {"article_title"}
    assert {p.column for p in problems[7]} == {"article_urls"}
    assert {p.column for p in problems[8]} == {"target_website_ids"}
    assert {p.column for p in problems[9]} == {"schedule_till"}
    by_row = {r.row: r for r in rows}
    assert by_row[3].target_ids == (388, 401) and len(by_row[3].urls) == 2  # "388; 401", one URL per line
    assert by_row[4].target_ids == (395,)  # "395.0"
    assert not by_row[10].ready
