"""The demo end to end, in-process: emulator, sync until every placement finished, final table."""

from __future__ import annotations

import json

from click.testing import CliRunner
from openpyxl import load_workbook

from sheetsync import columns as C
from sheetsync.cli import Runtime, cli
from sheetsync.demo import DEMO_CREDITS, DEMO_START, sheet_rows
from sheetsync.emulator import FakeClock


def demo_runtime(tmp_path):
    clock = FakeClock(start=DEMO_START)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)  # the demo's real-time wait passes on the fake base clock

    # A fresh HOME-like env: the demo needs no token and must not read the caller's settings.
    runtime = Runtime(env={}, folder=tmp_path, interactive=lambda: False, sleep=sleep,
                      stderr_is_terminal=lambda: False, clock=clock)
    return runtime, slept


def test_demo_runs_the_whole_loop_and_prints_the_final_rows(tmp_path):
    runtime, slept = demo_runtime(tmp_path)
    output = tmp_path / "out" / "demo.xlsx"
    result = CliRunner().invoke(cli, ["demo", "--output", str(output)], obj=runtime, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "is up" in text
    assert f"Balance: {DEMO_CREDITS} credits." in text
    assert "Site catalogue" in text and "greenleafjournal.com" in text
    assert "4/4 submitted rows finished" in text
    # Sandbox first: free tasks that reach Published before anything is spent.
    rehearsal = text[text.index("Sandbox rehearsal:"):text.index("Live run:")]
    assert "4/4 submitted rows finished" in rehearsal
    assert f"4 row(s) done, balance still {DEMO_CREDITS} credits" in rehearsal
    assert "Published" in rehearsal and "http://127.0.0.1:" in rehearsal
    assert "after the demo" in text and "Published" in text
    assert slept, "the demo waited between refreshes"

    rows = {int(r["row"]): r for r in sheet_rows(output)}
    for row in (2, 3, 4, 5):
        assert rows[row]["status"] in ("Published", "Failed")
        assert rows[row]["progress"]
    assert any(rows[r]["result_urls"].startswith("http://127.0.0.1:") for r in (2, 3, 4, 5))
    assert "2 words" in rows[6]["notes"] and "9999" in rows[8]["notes"]
    assert rows[10]["status"] == ""  # not ready: left alone
    # The committed sample is untouched; the copy carries the tool's columns.
    header = [c.value for c in load_workbook(output)["Articles"][1]]
    assert C.TASK_ID in header and C.ROW_KEY in header
    # The Placements tab shows each article title in full (text wider than its column is cut).
    placements = load_workbook(output)["Placements"]
    col = [c.value for c in placements[1]].index("article_title") + 1
    titles = [placements.cell(r, col).value for r in range(2, placements.max_row + 1)]
    width = placements.column_dimensions[placements.cell(1, col).column_letter].width
    assert titles and max(len(t) for t in titles) <= width, (width, titles)


def test_demo_json_document(tmp_path):
    runtime, _ = demo_runtime(tmp_path)
    output = tmp_path / "demo.xlsx"
    result = CliRunner().invoke(cli, ["demo", "--json", "--output", str(output), "--speed", "50000"], obj=runtime)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["finished"] is True
    assert doc["credits_before"] - doc["credits_after"] == 8
    assert doc["output"] == str(output)
    assert {r["row"] for r in doc["sheet"]} >= {"2", "10"}
    assert doc["exit_code"] == 0


def test_demo_rejects_a_silly_speed(tmp_path):
    runtime, _ = demo_runtime(tmp_path)
    result = CliRunner().invoke(cli, ["demo", "--speed", "-5", "--output", str(tmp_path / "d.xlsx")], obj=runtime)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and "--speed" in result.stderr


def test_demo_json_totals_count_every_run_not_only_the_last(tmp_path):
    runtime, _ = demo_runtime(tmp_path)
    result = CliRunner().invoke(cli, ["demo", "--json", "--output", str(tmp_path / "d.xlsx")], obj=runtime)
    doc = json.loads(result.stdout)
    spent = doc["credits_before"] - doc["credits_after"]
    assert spent == 8 and doc["spent"] == spent == doc["totals"]["spent"]
    # Four rows rehearsed in sandbox, then the same four live.
    assert doc["totals"]["submitted"] == 8 and doc["runs"] == doc["totals"]["runs"] > 2
    assert doc["totals"]["problems"] >= 4  # the sample's deliberate mistakes


def test_ctrl_c_in_the_demo_still_prints_what_it_did(tmp_path):
    runtime, slept = demo_runtime(tmp_path)
    clock = runtime.clock

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 3:
            raise KeyboardInterrupt
        clock.advance(seconds)

    runtime.sleep = sleep
    result = CliRunner().invoke(cli, ["demo", "--output", str(tmp_path / "d.xlsx")], obj=runtime)
    assert result.exit_code == 130
    assert "after the demo" in result.stdout and "task(s) submitted" in result.stdout
    assert "Interrupted" in result.stderr
