"""health, credits and sites: exit codes, --json shapes, errors that say what to do, no token."""

from __future__ import annotations

import csv
import io

from sheetsync.emulator import CATALOGUE
from sheetsync.errors import ExitCode

from .conftest import CANARY, assert_no_canary


def test_health_prints_one_line_and_json(harness):
    result = harness.invoke("health")
    assert result.exit_code == 0, result.output
    assert "is up" in result.stdout
    result, doc = harness.json("health")
    assert doc["ok"] is True and doc["server_time"].startswith("2026-11-30")
    assert doc["api_url"] == harness.base_url
    assert_no_canary(result)


def test_credits_shows_the_balance(harness):
    result = harness.invoke("credits")
    assert result.exit_code == 0
    assert result.stdout.strip() == "50 credits left."
    harness.emulator.add_account(harness.token, 7)
    _, doc = harness.json("credits")
    assert doc == {"credits": 7}


def test_sites_lists_enabled_sites_by_default_and_all_with_flag(harness):
    _, doc = harness.json("sites")
    enabled = [s for s in CATALOGUE.sites if s.enabled]
    assert doc["count"] == len(enabled) == len(doc["sites"])
    assert all(site["enabled"] for site in doc["sites"])
    assert set(doc["sites"][0]) == {"id", "url", "da", "pa", "spam_score", "enabled", "limited"}
    _, everything = harness.json("sites", "--all")
    assert everything["count"] == len(CATALOGUE.sites) > doc["count"]


def test_sites_filters_by_da_and_spam(harness):
    _, doc = harness.json("sites", "--min-da", "40", "--max-spam", "2")
    expected = {s.id for s in CATALOGUE.sites if s.enabled and s.da >= 40 and s.spam_score <= 2}
    assert {s["id"] for s in doc["sites"]} == expected
    das = [s["da"] for s in doc["sites"]]
    assert das == sorted(das, reverse=True)


def test_sites_says_when_no_site_matched_instead_of_an_empty_table(harness):
    result = harness.invoke("sites", "--min-da", "90")
    top = max(s.da for s in CATALOGUE.sites if s.enabled)
    assert result.exit_code == 0
    assert result.stdout.startswith("No site matched --min-da 90 among ")
    assert f"the highest DA is {top}" in result.stdout and "loosen the filter" in result.stdout
    assert "┏" not in result.stdout  # no empty table


def test_sites_table_and_csv(harness):
    table = harness.invoke("sites")
    assert table.exit_code == 0
    some = next(s for s in CATALOGUE.sites if s.enabled)
    assert some.url in table.stdout and "DA" in table.stdout
    as_csv = harness.invoke("sites", "--csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(rows) == sum(1 for s in CATALOGUE.sites if s.enabled)
    assert rows[0].keys() >= {"id", "url", "da"}


def test_csv_and_json_together_is_a_usage_error(harness):
    result = harness.invoke("sites", "--csv", "--json")
    assert result.exit_code == ExitCode.USAGE
    assert "choose one" in result.stderr


def test_missing_token_is_a_configuration_error_that_says_what_to_do(harness):
    result = harness.invoke("credits", env={"BACKLINKBASE_API_TOKEN": ""})
    assert result.exit_code == ExitCode.USAGE
    line = result.stderr.strip()
    assert line.startswith("Error: ") and "\n" not in line
    assert "export BACKLINKBASE_API_TOKEN=<your token>" in line and "sheetsync demo" in line


def test_bad_token_exits_3_with_one_line_and_never_shows_the_token(harness):
    harness.clock.advance(61)  # a fresh minute: the emulator locks out >3 bad tokens a minute
    wrong = harness.token + "-wrong"
    result = harness.invoke("credits", env={"BACKLINKBASE_API_TOKEN": wrong})
    assert result.exit_code == ExitCode.API
    line = result.stderr.strip()
    assert line.startswith("Error: ") and "\n" not in line
    assert wrong not in result.output and CANARY not in result.output
    result, doc = harness.json("credits", env={"BACKLINKBASE_API_TOKEN": wrong})
    assert doc["ok"] is False and doc["exit_code"] == ExitCode.API
    assert doc["error_type"] == "BadTokenError"
    assert wrong not in result.output


def test_unreachable_api_exits_3_and_says_what_to_do(harness):
    result = harness.invoke("health", "--api-url", "http://127.0.0.1:9/api/v1/")
    assert result.exit_code == ExitCode.API
    assert result.stderr.startswith("Error: ")
    assert_no_canary(result)


def test_debug_shows_the_traceback_instead_still_without_the_token(harness, demo_sheet):
    from click.testing import CliRunner

    from sheetsync.cli import Runtime, cli

    harness.clock.advance(61)
    wrong = "nope-" + harness.token
    result = harness.invoke("credits", "--debug", env={"BACKLINKBASE_API_TOKEN": wrong})
    assert result.exit_code == ExitCode.API
    assert "Traceback (most recent call last)" in result.stderr and "BadTokenError" in result.stderr
    assert wrong not in result.output and CANARY not in result.output

    def broken() -> bool:
        raise RuntimeError(f"terminal probe failed for {harness.token}")

    runtime = Runtime(env=harness.env, folder=harness.folder, interactive=broken,
                      sleep=harness.sleep, stderr_is_terminal=lambda: False)
    result = CliRunner().invoke(cli, ["sync", str(demo_sheet), "--debug"], obj=runtime)
    assert result.exit_code == ExitCode.INTERNAL
    assert "RuntimeError: terminal probe failed for ***" in result.stderr
    assert CANARY not in result.output


def test_flag_beats_environment_for_the_api_url(harness):
    # The environment points at the emulator; a flag pointing elsewhere must win.
    result = harness.invoke("health", "--api-url", "http://127.0.0.1:9/api/v1/")
    assert result.exit_code == ExitCode.API
    assert harness.invoke("health").exit_code == 0


def test_unknown_key_in_sheetsync_toml_is_rejected_by_every_command(harness):
    (harness.folder / "sheetsync.toml").write_text("api_ur = 'x'\n")
    result = harness.invoke("credits")
    assert result.exit_code == ExitCode.USAGE
    assert "'api_ur'" in result.stderr and "api_url" in result.stderr


def test_an_unexpected_failure_is_one_line_exit_70_without_the_token(harness, demo_sheet):
    from sheetsync.cli import Runtime, cli
    from click.testing import CliRunner

    def broken() -> bool:
        raise RuntimeError(f"terminal probe failed for {harness.token}")

    runtime = Runtime(env=harness.env, folder=harness.folder, interactive=broken,
                      sleep=harness.sleep, stderr_is_terminal=lambda: False)
    result = CliRunner().invoke(cli, ["sync", str(demo_sheet)], obj=runtime)
    assert result.exit_code == ExitCode.INTERNAL
    line = result.stderr.strip()
    assert line.startswith("Error: Unexpected RuntimeError") and line.endswith("report the traceback.")
    assert "\n" not in line
    assert harness.token not in result.output and CANARY not in result.output


def test_ctrl_c_at_the_confirmation_is_exit_130_and_spends_nothing(harness, demo_sheet):
    harness.interactive = True
    result = harness.invoke("sync", str(demo_sheet), input="")  # EOF at the prompt, like Ctrl-D/Ctrl-C
    assert result.exit_code == ExitCode.INTERRUPTED
    assert "run the same command again" in result.stderr
    assert harness.emulator.task_rows(harness.token) == []


def test_debug_logs_each_request_without_the_token(harness):
    result = harness.invoke("credits", "--debug")
    assert result.exit_code == 0
    assert "debug: sheetsync.client: GET credits -> 200" in result.stderr
    assert CANARY not in result.output
    # The handler is gone after the command: a later run without --debug logs nothing.
    assert "debug:" not in harness.invoke("credits").stderr
