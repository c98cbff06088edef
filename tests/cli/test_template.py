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


def test_init_sets_up_a_workbook_and_says_so_then_has_nothing_to_do(tmp_path):
    from openpyxl import Workbook

    target = tmp_path / "mine.xlsx"
    wb = Workbook()
    wb.active.title = "Articles"
    wb.active.append(["Title", "Body", "Links", "Sites"])
    wb.save(target)
    first = invoke(tmp_path, "init", str(target))
    assert first.exit_code == 0, first.output
    assert "Added the columns name, schedule_from" in first.stdout and "blue header" in first.stdout
    again = invoke(tmp_path, "init", str(target), "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["changed"] is False
    header = [c.value for c in load_workbook(target)["Articles"][1]]
    assert header[:4] == ["Title", "Body", "Links", "Sites"] and header[-1] == C.NOTES


def test_the_template_is_init_applied_to_an_empty_workbook(tmp_path):
    from openpyxl import Workbook

    from sheetsync.samples import packaged, TEMPLATE

    blank = tmp_path / "blank.xlsx"
    wb = Workbook()
    wb.active.title = "Articles"
    wb.save(blank)
    assert invoke(tmp_path, "init", str(blank)).exit_code == 0
    shipped = tmp_path / "template.xlsx"
    shipped.write_bytes(packaged(TEMPLATE).read_bytes())
    ours, theirs = load_workbook(blank), load_workbook(shipped)
    assert ours.sheetnames == theirs.sheetnames
    for tab in ours.sheetnames:
        assert list(ours[tab].iter_rows(values_only=True)) == list(theirs[tab].iter_rows(values_only=True))
    a, b = ours["Articles"], theirs["Articles"]
    assert {k: v.width for k, v in a.column_dimensions.items()} == {k: v.width for k, v in b.column_dimensions.items()}
    assert [str(r.sqref) for r in a.data_validations.dataValidation] == [str(r.sqref) for r in b.data_validations.dataValidation]
    assert [str(x.sqref) for x in a.conditional_formatting] == [str(x.sqref) for x in b.conditional_formatting]
