"""`sheetsync template PATH`: a blank, ready-to-fill workbook from the packaged copy."""

from __future__ import annotations

import json

from click.testing import CliRunner
from openpyxl import load_workbook

from sheetsync import DISTRIBUTION, __version__
from sheetsync import columns as C
from sheetsync.cli import Runtime, cli


def invoke(tmp_path, *args: str):
    runtime = Runtime(env={}, folder=tmp_path, interactive=lambda: False, stderr_is_terminal=lambda: False)
    return CliRunner().invoke(cli, list(args), obj=runtime)


def test_template_writes_a_blank_workbook_that_validates(tmp_path):
    target = tmp_path / "articles.xlsx"
    result = invoke(tmp_path, "template", str(target))
    assert result.exit_code == 0, result.output
    assert f"Wrote {target}" in result.stdout
    wb = load_workbook(target)
    header = [c.value for c in wb["Articles"][1]]
    assert header == list(C.INPUT_COLUMNS) + list(C.OUTPUT_COLUMNS)
    assert "How to fill this in" in wb.sheetnames
    checked = invoke(tmp_path, "validate", str(target), "--offline", "--json")
    assert checked.exit_code == 0 and json.loads(checked.stdout)["rows"] == []


def test_template_never_overwrites_a_workbook_unless_forced(tmp_path):
    target = tmp_path / "articles.xlsx"
    target.write_bytes(b"someone's work")
    result = invoke(tmp_path, "template", str(target))
    assert result.exit_code == 2
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert target.read_bytes() == b"someone's work"
    assert invoke(tmp_path, "template", str(target), "--force").exit_code == 0
    assert load_workbook(target)["Articles"]["A1"].value == C.INPUT_COLUMNS[0]


def test_template_wants_an_xlsx_name_and_an_existing_folder(tmp_path):
    result = invoke(tmp_path, "template", str(tmp_path / "articles.csv"))
    assert result.exit_code == 2 and ".xlsx" in result.stderr
    result = invoke(tmp_path, "template", str(tmp_path / "nope" / "a.xlsx"))
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_version_names_the_distribution_it_is_installed_as():
    from importlib.metadata import version

    result = CliRunner().invoke(cli, ["--version"])
    assert result.stdout.strip() == f"sheetsync {__version__} ({DISTRIBUTION})"
    assert version(DISTRIBUTION) == __version__


def test_help_lists_every_command_with_its_whole_first_sentence():
    result = CliRunner().invoke(cli, ["--help"], terminal_width=80)
    listing = result.stdout.split("Commands:", 1)[1]
    assert "..." not in listing
    joined = " ".join(listing.split())
    assert "Show the account's remaining credits (one credit per target site)." in joined
    for name in ("demo", "emulator", "template", "sync", "validate"):
        assert f"\n  {name} " in listing
