"""Test-side handle on an .xlsx file: seed it, open it, and edit it the way a person would."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from sheetsync.tables.base import Table
from sheetsync.tables.xlsx import XlsxTable


class Backend:
    name = "xlsx"

    def __init__(self, tmp_path: Path):
        self.path = tmp_path / "articles.xlsx"

    def seed(self, rows: list[list[object]], worksheet: str = "Articles") -> None:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = worksheet
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values, start=1):
                if value is not None:
                    ws.cell(r, c, value)
        wb.create_sheet("Notes")["A1"] = "kept by people"
        wb.save(self.path)

    def open(self, worksheet: str | None = None) -> Table:
        return XlsxTable(self.path, worksheet)

    def values(self, worksheet: str = "Articles") -> list[list[object]]:
        ws = openpyxl.load_workbook(self.path)[worksheet]
        rows = [[_value(cell) for cell in row] for row in ws.iter_rows()]
        for row in rows:
            while row and row[-1] is None:
                row.pop()
        while rows and not rows[-1]:
            rows.pop()
        return rows

    def is_formula(self, row: int, col: int, worksheet: str = "Articles") -> bool:
        cell = openpyxl.load_workbook(self.path)[worksheet].cell(row, col)
        return cell.data_type == "f"

    def _edit(self, worksheet: str, change) -> None:
        wb = openpyxl.load_workbook(self.path)
        change(wb[worksheet])
        wb.save(self.path)

    def insert_row(self, at: int, values: list[object], worksheet: str = "Articles") -> None:
        def change(ws):
            ws.insert_rows(at)
            for c, value in enumerate(values, start=1):
                ws.cell(at, c, value)

        self._edit(worksheet, change)

    def delete_row(self, at: int, worksheet: str = "Articles") -> None:
        self._edit(worksheet, lambda ws: ws.delete_rows(at))

    def sort_rows(self, column: int, reverse: bool = False, worksheet: str = "Articles") -> None:
        def change(ws):
            width = ws.max_column
            rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2, max_col=width)]
            rows.sort(key=lambda r: (r[column - 1] is None, str(r[column - 1] or "")), reverse=reverse)
            for r, values in enumerate(rows, start=2):
                for c, value in enumerate(values, start=1):
                    ws.cell(r, c).value = value

        self._edit(worksheet, change)


def _value(cell) -> object:
    """A cell's value; a UTC time sheetsync wrote as a date-time cell, as the text it wrote."""
    if isinstance(cell.value, dt.datetime) and '"UTC"' in cell.number_format:
        return cell.value.strftime("%Y-%m-%dT%H:%MZ")
    return cell.value
