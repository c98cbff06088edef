"""A messy workbook saved by openpyxl, read through the xlsx backend, reads as people meant it."""

import datetime as dt

import openpyxl
import pytest

from sheetsync import columns as C
from sheetsync.models import Catalogue, Site
from sheetsync.rules import check_row
from sheetsync.sheet import map_header, read_rows
from sheetsync.tables.xlsx import XlsxTable

TODAY = dt.date(2025, 5, 18)
TITLE = "Fintech startup Acme raises series A funding"
CATALOGUE = Catalogue(tuple(Site(i, f"s{i}.com", 1, 1, 1, True, False) for i in (372, 388, 401)))


@pytest.fixture
def workbook(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Articles"
    # Moved columns, aliases, a column of the person's own, and a blank header cell.
    ws.append(["Sites", "Headline", "My notes", "Content", "Links", "", "Deadline", "Send", "Key"])
    ws.append(
        [388, TITLE, "first", "<p>Acme</p>", "https://acme.com", None, dt.date(2025, 5, 25), True]
    )
    ws.append(
        ["388; 372\n401", TITLE, None, "b", "<https://a.com>,\nhttps://b.org", None, 45802, "x"]
    )
    ws.append([None] * 9)
    ws.append([388.0, "Two words", None, "b", "www.acme.com", None, "03/04/2025", "maybe"])
    ws.append([None, None, "only my own note", None, None, None, None, None])
    ws.append(["=A2", TITLE, None, "b", "https://a.com", None, None, True, "k1"])
    path = tmp_path / "articles.xlsx"
    wb.save(path)
    return path


def test_a_messy_workbook_reads_as_meant(workbook):
    with XlsxTable(workbook) as table:
        grid = table.read()
    hm = map_header(grid.header)
    assert hm.text(C.TARGET_WEBSITE_IDS) == "Sites" and hm.text(C.NOTES) == "notes"
    rows = read_rows(grid, hm)
    assert [r.row for r in rows] == [2, 3, 5, 7]

    first, second, bad, formula = rows
    assert first.target_ids == (388,) and first.schedule_till == dt.date(2025, 5, 25)
    assert first.problems == () and check_row(first, CATALOGUE, TODAY) == []

    assert second.target_ids == (388, 372, 401)
    assert second.urls == ("https://a.com", "https://b.org")
    assert second.schedule_till == dt.date(2025, 5, 25)  # serial number 45802
    assert second.ready is True and check_row(second, CATALOGUE, TODAY) == []

    assert [str(p) for p in bad.problems] == [
        'Row 5, Send: "maybe" is not yes or no; tick the checkbox or type TRUE when the row may '
        "be sent, FALSE or nothing when not.",
        'Row 5, Links: "www.acme.com" has no https:// in front; type it as https://www.acme.com.',
        'Row 5, Deadline: "03/04/2025" could be day-month or month-day; type it as 2025-04-03 or '
        "2025-03-04 (year-month-day).",
    ]
    assert [str(p) for p in check_row(bad, CATALOGUE, TODAY)] == [
        "Row 5, Headline: Title has 2 words; it needs 4 to 50."
    ]

    # openpyxl saves formulas without a value: the backend says so, and the row says why.
    [problem] = formula.problems
    assert problem.column == "Sites" and "=A2" in problem.message and "\n" not in str(problem)
    assert formula.key == "k1" and formula.target_ids == ()
