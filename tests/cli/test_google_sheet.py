"""The sheet commands on a Google Sheet: real gspread against the in-process fake Sheets API."""

from __future__ import annotations

import json

from click.testing import CliRunner
from openpyxl import load_workbook

from sheetsync import columns as C
from sheetsync.cli import Runtime, cli
from sheetsync.errors import ExitCode
from sheetsync.tables.gsheets import RetryPolicy, open_google_sheet
from sheetsync.testing.fake_sheets import FakeSheets

from .conftest import ROOT


def google_runtime(harness, fake: FakeSheets) -> Runtime:
    def opener(sheet, worksheet, credentials, env, force=False):
        return open_google_sheet(sheet, worksheet, client=fake.client(), retry=RetryPolicy(sleep=lambda s: None))

    return Runtime(env=harness.env, folder=harness.folder, interactive=lambda: False,
                   sleep=harness.sleep, stderr_is_terminal=lambda: False, open_sheet=opener)


def seeded_fake() -> tuple[FakeSheets, str]:
    """The demo sheet's cells, typed as a person would have them in Google Sheets."""
    fake = FakeSheets()
    sheet_id = fake.create_spreadsheet("Link queue", ["Articles", "Notes"])
    rows = list(load_workbook(ROOT / "sample_sheets" / "demo.xlsx")["Articles"].iter_rows(values_only=True))
    sheet = fake.sheet(sheet_id, "Articles")
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is not None:
                sheet.set_cell(r, c, value)
    return fake, sheet_id


def test_sync_on_a_google_sheet_submits_once_in_a_few_sheets_requests(harness):
    fake, sheet_id = seeded_fake()
    runtime = google_runtime(harness, fake)
    result = CliRunner().invoke(cli, ["sync", sheet_id, "--yes", "--json"], obj=runtime)
    assert result.exit_code == ExitCode.ATTENTION, result.output
    assert json.loads(result.stdout)["spent"] == 8
    tasks = harness.emulator.task_rows(harness.token)
    assert len(tasks) == 4
    values = fake.sheet(sheet_id, "Articles").values()
    header = values[0]
    written = {row[header.index(C.TASK_ID)] for row in values[1:] if len(row) > header.index(C.TASK_ID)}
    assert {t["id"] for t in tasks} <= written

    fake.reset_counts()
    again = CliRunner().invoke(cli, ["sync", sheet_id, "--json"], obj=runtime)
    assert json.loads(again.stdout)["spent"] == 0
    assert len(harness.emulator.task_rows(harness.token)) == 4
    assert fake.total <= 3  # one read; a write-back is one re-read and one write
    assert harness.token not in json.dumps(fake.sheet(sheet_id, "Articles").values(), default=str)


def test_plan_on_a_google_sheet_writes_nothing(harness):
    fake, sheet_id = seeded_fake()
    before = fake.sheet(sheet_id, "Articles").values()
    result = CliRunner().invoke(cli, ["plan", sheet_id], obj=google_runtime(harness, fake))
    assert result.exit_code == ExitCode.ATTENTION
    assert fake.writes == 0
    assert fake.sheet(sheet_id, "Articles").values() == before


def test_init_on_a_google_sheet_then_sync_it(harness):
    fake, sheet_id = seeded_fake()
    runtime = google_runtime(harness, fake)
    fake.reset_counts()
    result = CliRunner().invoke(cli, ["init", sheet_id, "--worksheet", "Articles", "--json"], obj=runtime)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["changed"] and answer["requests"] == fake.total <= 3
    assert "How to fill this in" in [s.title for s in fake.book(sheet_id).sheets]
    synced = CliRunner().invoke(cli, ["sync", sheet_id, "--worksheet", "Articles", "--yes", "--json"], obj=runtime)
    assert json.loads(synced.stdout)["spent"] == 8
