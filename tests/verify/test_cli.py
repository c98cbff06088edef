"""`sheetsync verify` and the checks `pull` runs, through the command line."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from sheetsync import columns as C
from sheetsync.emulator import pages
from sheetsync.errors import ExitCode

from ..cli.conftest import assert_no_canary, harness, served  # noqa: F401 - fixtures
from ..sync.helpers import sheet


@pytest.fixture
def clean_sheet(tmp_path):
    """Three valid rows (the demo sheet's deliberate mistakes would make every run exit 1)."""
    from openpyxl import Workbook

    wb = Workbook()
    for row in sheet(3, targets="372, 373, 374"):
        wb.active.append(row)
    path = tmp_path / "articles.xlsx"
    wb.save(path)
    return path


@pytest.fixture
def clean_pages(harness):  # noqa: F811
    settings = harness.emulator.pages
    settings.variety, settings.force = False, {}
    yield settings
    settings.variety, settings.force = True, {}


def placements(path) -> list[dict[str, str]]:
    ws = load_workbook(path)["Placements"]
    rows = [[("" if c is None else str(c)) for c in r] for r in ws.iter_rows(values_only=True)]
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_pull_checks_new_placements_and_verify_all_checks_them_again(harness, clean_sheet, clean_pages):  # noqa: F811
    demo_sheet = clean_sheet
    harness.env["SHEETSYNC_CHECK_PAUSE"] = "0"  # every page is on the emulator's one host
    harness.invoke("push", str(demo_sheet), "--yes")
    harness.clock.advance(3 * 24 * 3600)
    result = harness.invoke("pull", str(demo_sheet))
    assert_no_canary(result)
    assert "Note: Checked " in result.stdout
    published = [p for p in placements(demo_sheet) if p["status"] == "Published"]
    assert published and {p["link_status"] for p in published} == {"Live"}
    health = [h for h in _column(demo_sheet, C.LINK_HEALTH) if h]
    assert health and all(h.endswith(" live") for h in health)

    # Nothing is due a minute later; --all checks every published placement now.
    harness.clock.advance(60)
    result, doc = harness.json("verify", str(demo_sheet))
    assert doc["verify"]["checked"] == 0 and result.exit_code == ExitCode.OK
    clean_pages.force = {372: pages.SPONSORED, 373: pages.SPONSORED, 374: pages.SPONSORED}
    clean_pages.variety = True
    result, doc = harness.json("verify", str(demo_sheet), "--all")
    assert_no_canary(result)
    assert doc["verify"]["checked"] == len(published)
    statuses = {p["link_status"] for p in doc["verify"]["placements"]}
    assert "Nofollow" in statuses and result.exit_code == ExitCode.ATTENTION
    sponsored = [p for p in placements(demo_sheet) if p["link_status"] == "Nofollow"]
    assert sponsored and all(p["check_note"] == "rel=sponsored" for p in sponsored)
    assert any("nofollow" in h for h in _column(demo_sheet, C.LINK_HEALTH))


def test_a_bad_pause_is_a_usage_error_too(harness, clean_sheet):  # noqa: F811
    result = harness.invoke("verify", str(clean_sheet), env={"SHEETSYNC_CHECK_PAUSE": "slow"})
    assert result.exit_code == ExitCode.USAGE and "set e.g. 0.5" in result.stderr


def test_a_bad_schedule_is_a_usage_error_that_says_what_to_type(harness, clean_sheet):  # noqa: F811
    result = harness.invoke("verify", str(clean_sheet), "--schedule", "soon")
    assert result.exit_code == ExitCode.USAGE
    assert "write e.g. 2,7,30" in result.stderr


def _column(path, name: str) -> list[str]:
    ws = load_workbook(path).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    if name not in header:
        return []
    i = header.index(name)
    return ["" if r[i] is None else str(r[i]) for r in rows[1:]]


def test_watch_reports_the_link_checks_of_its_latest_cycle():
    from sheetsync.totals import combine
    from sheetsync.workflow import Report

    def run(checked: int, left: int) -> Report:
        return Report(mode="pull", sheet="s", rows=[], extras={"verify": {"checked": checked, "left_for_next_run": left}})

    assert combine([run(3, 2), run(2, 0)]).extras == {"verify": {"checked": 2, "left_for_next_run": 0}}
