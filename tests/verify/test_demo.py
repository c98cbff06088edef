"""`make demo` shows the first link checks, and writes them to the sheet."""

from __future__ import annotations

from click.testing import CliRunner
from openpyxl import load_workbook

from sheetsync import columns as C
from sheetsync.cli import cli

from ..cli.test_demo import demo_runtime


def test_the_demo_checks_every_published_placement_and_shows_what_it_found(tmp_path):
    runtime, _ = demo_runtime(tmp_path)
    output = tmp_path / "out" / "demo.xlsx"
    result = CliRunner().invoke(cli, ["demo", "--output", str(output)], obj=runtime, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Link checks of the " in result.stdout and "live" in result.stdout
    wb = load_workbook(output)
    tab = [[("" if c is None else str(c)) for c in r] for r in wb["Placements"].iter_rows(values_only=True)]
    header = tab[0]
    lines = [dict(zip(header, r)) for r in tab[1:]]
    published = [p for p in lines if p["status"] == "Published"]
    assert published and all(p["link_status"] and p["checked_at"] for p in published)
    articles = list(wb.worksheets[0].iter_rows(values_only=True))
    i = [str(h) for h in articles[0]].index(C.LINK_HEALTH)
    assert any(r[i] for r in articles[1:])
