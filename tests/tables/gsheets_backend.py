"""Test-side handle on a spreadsheet in the fake Sheets API: seed it, open it, edit it as a person would."""

from __future__ import annotations

from pathlib import Path

from sheetsync.tables.base import Table, utc_text
from sheetsync.tables.gsheets import RetryPolicy, open_google_sheet
from sheetsync.tables.gsheets_cells import moment_of, zone_of
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
        """Stored values; a date-time cell as the UTC text sheetsync reads it back as."""
        sheet = self._sheet(worksheet)
        rows = sheet.values()
        zone = zone_of(self.fake.book(self.spreadsheet_id).time_zone)
        for (r, c), cell in sheet.cells.items():
            number = (sheet.extras.get((r, c), {}).get("userEnteredFormat") or {}).get("numberFormat") or {}
            kind = number.get("type") or cell.number_format
            if kind == "DATE_TIME" and isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                rows[r][c] = utc_text(moment_of(cell.value, zone))
        return rows

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
