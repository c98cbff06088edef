"""validate, plan, sync, push and pull on a real .xlsx against the emulator over a socket."""

from __future__ import annotations

import json
import sys

from openpyxl import load_workbook

from sheetsync import columns as C
from sheetsync.errors import ExitCode
from sheetsync.render import eta_seconds

from .conftest import CANARY, assert_no_canary

VALID_ROWS = {2: 2, 3: 2, 4: 1, 5: 3}  # sheet row -> credits (targets) in the demo sheet
INVALID_ROWS = {6, 7, 8, 9}
NOT_READY = 10


def column_values(path, name: str) -> dict[int, str]:
    """Sheet row -> text of the column `name` (header matched exactly), straight from the file."""
    ws = load_workbook(path)["Articles"]
    header = [c.value for c in ws[1]]
    if name not in header:
        return {}
    index = header.index(name)
    return {
        r: ("" if row[index] is None else str(row[index]))
        for r, row in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2)
    }


def test_validate_writes_problems_into_the_notes_column(harness, demo_sheet):
    result = harness.invoke("validate", str(demo_sheet))
    assert result.exit_code == ExitCode.ATTENTION
    notes = column_values(demo_sheet, C.NOTES)
    assert "2 words" in notes[6]
    assert "https://" in notes[7]
    assert "9999" in notes[8]
    assert "2027-01-29" in notes[9]
    assert all(notes[r] == "" for r in VALID_ROWS)
    assert harness.emulator.task_rows(harness.token) == []


def test_validate_no_write_leaves_the_file_alone(harness, demo_sheet):
    before = demo_sheet.read_bytes()
    result, doc = harness.json("validate", str(demo_sheet), "--no-write")
    assert result.exit_code == doc["exit_code"] == ExitCode.ATTENTION
    assert demo_sheet.read_bytes() == before
    by_row = {r["row"]: r for r in doc["rows"]}
    assert {r for r, item in by_row.items() if item["action"] == "invalid"} == INVALID_ROWS
    assert "9999" in by_row[8]["message"]


def test_validate_offline_needs_no_token(harness, demo_sheet):
    result = harness.invoke("validate", str(demo_sheet), "--no-write", env={"BACKLINKBASE_API_TOKEN": ""})
    assert result.exit_code == ExitCode.ATTENTION
    assert "not checked against the catalogue" in result.stderr


def test_plan_shows_cost_against_balance_and_spends_nothing(harness, demo_sheet):
    before = demo_sheet.read_bytes()
    harness.emulator.add_account(harness.token, 6)
    result = harness.invoke("plan", str(demo_sheet))
    assert result.exit_code == ExitCode.ATTENTION
    assert "5 credit(s) of 6 left" in result.stdout
    assert "388, 401" in result.stdout
    result, doc = harness.json("plan", str(demo_sheet))
    plan = doc["plan"]
    assert plan["cost"] == 5 and plan["balance"] == 6
    assert plan["expected_requests"] >= 3
    submits = {r["row"]: r["cost"] for r in plan["rows"] if r["action"] == "submit"}
    assert submits == {2: 2, 3: 2, 4: 1}
    assert [r["row"] for r in plan["rows"] if r["action"] == "wait"] == [5]
    assert demo_sheet.read_bytes() == before
    assert harness.emulator.credits(harness.token) == 6
    assert harness.emulator.task_rows(harness.token) == []


def test_sync_without_terminal_and_without_yes_refuses_to_spend(harness, demo_sheet):
    result = harness.invoke("sync", str(demo_sheet))
    assert result.exit_code == ExitCode.USAGE
    assert harness.emulator.task_rows(harness.token) == []
    assert harness.emulator.credits(harness.token) == 50
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("Error: ") and "8 credit(s)" in line and line.endswith("--max-credits N).")
    assert "--yes" in line


def test_sync_with_yes_spends_once_writes_ids_and_a_rerun_is_free(harness, demo_sheet):
    result, doc = harness.json("sync", str(demo_sheet), "--yes")
    assert result.exit_code == ExitCode.ATTENTION  # the demo sheet's mistakes still need a person
    assert doc["spent"] == sum(VALID_ROWS.values()) == 8
    assert set(doc) >= {"mode", "sheet", "exit_code", "spent", "api_requests", "notes", "plan", "rows"}
    assert set(doc["rows"][0]) == {"row", "key", "action", "task_id", "status", "message", "failed"}
    assert set(doc["plan"]) >= {"mode", "cost", "balance", "max_credits", "expected_requests", "counts", "rows"}
    assert harness.emulator.credits(harness.token) == 50 - 8
    tasks = harness.emulator.task_rows(harness.token)
    assert len(tasks) == len(VALID_ROWS)
    ids = column_values(demo_sheet, C.TASK_ID)
    assert {ids[r] for r in VALID_ROWS} == {t["id"] for t in tasks}
    assert all(ids[r] == "" for r in INVALID_ROWS | {NOT_READY})
    assert_no_canary(result)
    every_cell = [
        str(value) for ws in load_workbook(demo_sheet) for row in ws.iter_rows(values_only=True)
        for value in row if value is not None
    ]
    assert every_cell and not any(CANARY in text for text in every_cell)

    again, doc = harness.json("sync", str(demo_sheet))  # nothing new: no --yes needed
    assert again.exit_code == ExitCode.ATTENTION
    assert doc["spent"] == 0
    assert len(harness.emulator.task_rows(harness.token)) == len(VALID_ROWS)


def test_interactive_confirmation_shows_the_cost_and_no_spends_nothing(harness, demo_sheet):
    harness.interactive = True
    result = harness.invoke("push", str(demo_sheet), input="n\n")
    assert "Spend 8 credit(s)" in result.stderr
    assert harness.emulator.task_rows(harness.token) == []
    assert "Nothing was spent" in result.stderr
    result = harness.invoke("push", str(demo_sheet), input="y\n")
    assert len(harness.emulator.task_rows(harness.token)) == len(VALID_ROWS)


def test_sandbox_needs_no_confirmation_and_costs_nothing(harness, demo_sheet):
    result, doc = harness.json("sync", str(demo_sheet), "--sandbox")
    assert result.exit_code == ExitCode.ATTENTION
    assert doc["spent"] == 0
    assert harness.emulator.credits(harness.token) == 50
    assert all(t["sandbox"] for t in harness.emulator.task_rows(harness.token))
    assert set(column_values(demo_sheet, C.MODE)[r] for r in VALID_ROWS) == {"sandbox"}


def test_max_credits_caps_spending(harness, demo_sheet):
    result, doc = harness.json("sync", str(demo_sheet), "--yes", "--max-credits", "4")
    assert doc["spent"] == 4
    assert harness.emulator.credits(harness.token) == 46
    waiting = [r["row"] for r in doc["rows"] if r["action"] == "wait"]
    assert waiting == [4, 5]


def test_pull_without_terminal_still_refreshes_and_watch_runs_until_done(harness, demo_sheet):
    harness.invoke("push", str(demo_sheet), "--yes")
    result = harness.invoke("pull", str(demo_sheet))
    assert result.exit_code in (ExitCode.OK, ExitCode.ATTENTION)
    result, doc = harness.json("sync", str(demo_sheet), "--watch", "--interval", "21600")
    # The fake clock moved six hours per wait until every placement had finished.
    assert harness.waits() and set(harness.waits()) == {21600}
    assert doc["runs"] == len(harness.waits()) + 1
    statuses = column_values(demo_sheet, C.STATUS)
    assert {statuses[r] for r in VALID_ROWS} <= {"Published", "Failed"}
    results = column_values(demo_sheet, C.RESULT_URLS)
    assert any(results[r].startswith("http") for r in VALID_ROWS)


def test_watch_after_a_sandbox_run_ends_although_live_rows_wait_for_credits(harness, demo_sheet):
    harness.invoke("sync", str(demo_sheet), "--sandbox")  # sandbox tasks, still queued
    # A live run with no credit to spare: the rows wait, still showing their sandbox tasks,
    # which a live run does not follow, so --watch has nothing to wait for.
    result, doc = harness.json("sync", str(demo_sheet), "--yes", "--max-credits", "0", "--watch")
    assert result.exit_code == ExitCode.ATTENTION
    assert doc.get("runs", 1) == 1 and harness.waits() == []
    assert {r["action"] for r in doc["rows"] if r["row"] in VALID_ROWS} == {"wait"}


def test_a_sheet_that_is_not_a_spreadsheet_is_a_usage_error(harness, tmp_path):
    result = harness.invoke("validate", str(tmp_path / "notes.txt"))
    assert result.exit_code == ExitCode.USAGE
    line = result.stderr.strip()
    assert line.startswith("Error: ") and "\n" not in line


def test_json_error_document_for_a_missing_file(harness, tmp_path):
    result, doc = harness.json("plan", str(tmp_path / "missing.xlsx"))
    assert result.exit_code == doc["exit_code"] == ExitCode.USAGE
    assert doc["ok"] is False and doc["error"]


def test_eta_never_beats_the_rate_limit():
    assert eta_seconds(0, 120, observed=5.0, rate_limit=60) == 120.0
    assert eta_seconds(100, 120, observed=300.0, rate_limit=60) == 300.0
    assert eta_seconds(10, 10, observed=None, rate_limit=60) == 0.0
    assert eta_seconds(0, 10, observed=2.0, rate_limit=0) == 2.0


def test_progress_bar_shows_rows_left_and_an_eta_held_to_the_rate_limit():
    import io

    from rich.console import Console

    from sheetsync.apply import ProgressEvent
    from sheetsync.commands.sheets import _progress_reporter

    with _progress_reporter(False, 60) as quiet:
        assert quiet is None  # not a terminal: no progress output at all
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    stderr = sys.stderr
    with _progress_reporter(True, 60, console=console) as update:
        # Nothing is live before the first step, so a confirmation prompt is printed as is.
        assert sys.stderr is stderr and screen.getvalue() == ""
        update(ProgressEvent(stage="push", done=0, total=120))
        update(ProgressEvent(stage="push", done=60, total=120))
    # 60 rows left at 60 requests a minute: at least a minute, however fast the first ones went.
    assert "60 to go, ETA 60 s" in screen.getvalue()


def test_no_progress_bar_when_there_is_nothing_to_do():
    import io

    from rich.console import Console

    from sheetsync.apply import ProgressEvent
    from sheetsync.commands.sheets import _progress_reporter

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    with _progress_reporter(True, 60, console=console) as update:
        update(ProgressEvent(stage="pull", done=0, total=0))
    assert "0/0" not in screen.getvalue() and "pull" not in screen.getvalue()


def test_push_without_terminal_refuses_and_json_says_what_was_refused(harness, demo_sheet):
    result, doc = harness.json("push", str(demo_sheet))
    assert result.exit_code == doc["exit_code"] == ExitCode.USAGE
    assert doc["refused_to_spend"] == 8 and doc["spent"] == 0
    assert "statuses were still refreshed" not in result.stderr
    assert harness.emulator.task_rows(harness.token) == []


def test_pull_json_is_one_document_with_the_rows(harness, demo_sheet):
    harness.invoke("push", str(demo_sheet), "--yes")
    result, doc = harness.json("pull", str(demo_sheet))
    assert result.exit_code == doc["exit_code"] == ExitCode.ATTENTION
    assert doc["mode"] == "pull" and doc["spent"] == 0
    followed = {r["row"] for r in doc["rows"] if r["task_id"] and r["action"] == "refresh"}
    submitted = {row for row, task_id in column_values(demo_sheet, C.TASK_ID).items() if task_id}
    assert followed == submitted and submitted
    assert_no_canary(result)


def test_a_workbook_open_in_excel_is_refused_unless_forced(harness, demo_sheet):
    lock = demo_sheet.parent / f"~${demo_sheet.name}"
    lock.write_bytes(b"owner")
    before = demo_sheet.read_bytes()
    result = harness.invoke("validate", str(demo_sheet))
    assert result.exit_code == ExitCode.USAGE
    assert "open in Excel" in result.stderr and "--force" in result.stderr
    assert demo_sheet.read_bytes() == before

    result = harness.invoke("validate", str(demo_sheet), "--force")
    assert result.exit_code == ExitCode.ATTENTION
    assert "2 words" in column_values(demo_sheet, C.NOTES)[6]
