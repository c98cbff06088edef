"""Test-side handle on a spreadsheet in the fake Sheets API: seed it, open it, edit it as a person would."""

from __future__ import annotations

from pathlib import Path

from sheetsync.tables.base import Table
from sheetsync.tables.gsheets import RetryPolicy, open_google_sheet
from sheetsync.testing.fake_sheets import FakeSheets, Sheet


class Backend:
    name = "gsheets"

    def __init__(self, tmp_path: Path):
        self.fake = FakeSheets()
        self.spreadsheet_id = ""

    def seed(self, rows: list[list[object]], worksheet: str = "Articles") -> None:
        self.spreadsheet_id = self.fake.create_spreadsheet("Articles queue", [worksheet, "Notes"])
        sheet = self._sheet(worksheet)
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values, start=1):
                if value is not None:
                    sheet.set_cell(r, c, value)
        self._sheet("Notes").set_cell(1, 1, "kept by people")

    def open(self, worksheet: str | None = None) -> Table:
        # Real gspread client over the fake; retries never wait in tests.
        return open_google_sheet(
            self.spreadsheet_id, worksheet, client=self.fake.client(), retry=RetryPolicy(sleep=lambda s: None)
        )

    def values(self, worksheet: str = "Articles") -> list[list[object]]:
        return self._sheet(worksheet).values()

    def is_formula(self, row: int, col: int, worksheet: str = "Articles") -> bool:
        return self._sheet(worksheet).cell(row, col).formula is not None

    def insert_row(self, at: int, values: list[object], worksheet: str = "Articles") -> None:
        self._sheet(worksheet).insert_row(at, values)

    def delete_row(self, at: int, worksheet: str = "Articles") -> None:
        self._sheet(worksheet).delete_row(at)

    def sort_rows(self, column: int, reverse: bool = False, worksheet: str = "Articles") -> None:
        self._sheet(worksheet).sort_rows(column, reverse)

    def _sheet(self, worksheet: str) -> Sheet:
        return self.fake.sheet(self.spreadsheet_id, worksheet)
