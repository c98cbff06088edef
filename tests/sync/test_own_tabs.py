"""A person's own "Placements" tab is never wiped, and an articles tab by that name is refused,
by every command, before anything is sent or written."""

from __future__ import annotations

import openpyxl
import pytest

from sheetsync import columns as C
from sheetsync.errors import TableError

from .helpers import sheet

THEIRS = [["site", "owner", "paid"]] + [[f"site{i}.example", "Ana", "yes"] for i in range(50)]


def add_tab(backend, title: str, rows: list[list[object]]) -> None:
    if backend.name == "xlsx":
        wb = openpyxl.load_workbook(backend.path)
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        wb.save(backend.path)
    else:
        tab = backend.fake.add_sheet(backend.spreadsheet_id, title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                tab.set_cell(r, c, value)


@pytest.mark.parametrize("title", ["Placements", "placements", "PLACEMENTS"])
@pytest.mark.parametrize("mode", ["validate", "plan", "sync", "pull"])
def test_a_persons_placements_tab_stops_every_command_before_anything_is_spent(world, backend, title, mode):
    backend.seed(sheet(3))
    add_tab(backend, title, THEIRS)
    with pytest.raises(TableError, match=f"The tab 'Placements' is not sheetsync's.*'site'.*rename your tab"):
        world.run(backend.open(), mode)
    assert world.tasks() == []
    assert backend.values(title) == THEIRS
    assert "row_key" not in backend.values()[0]


@pytest.mark.parametrize("mode", ["validate", "plan", "sync"])
def test_an_articles_tab_named_placements_is_refused_before_spending(world, backend, mode):
    backend.seed(sheet(3), worksheet="Placements")
    with pytest.raises(TableError, match="articles tab is named 'Placements'.*rename the articles tab"):
        world.run(backend.open(), mode)
    assert world.tasks() == []


@pytest.mark.parametrize(
    "header",
    [
        list(C.PLACEMENT_COLUMNS),
        list(C.OLD_PLACEMENT_COLUMNS),  # before article_title
        list(C.OLD_PLACEMENT_COLUMNS[:8]),  # before the link checker's columns
        [],
    ],
    ids=["current", "without-article-title", "without-check-columns", "blank"],
)
def test_sheetsyncs_own_placements_tab_old_or_new_or_blank_is_replaced(world, backend, header):
    backend.seed(sheet(2))
    add_tab(backend, "Placements", [header, ["ss-old", "t-old"]] if header else [[], ["", ""]])
    report = world.run(backend.open())
    assert report.spent == 4
    tab = backend.values("Placements")
    assert tuple(tab[0]) == C.PLACEMENT_COLUMNS[: len(tab[0])] and len(tab) == 5
    head, *rows = backend.values()
    title_of = {r[head.index("row_key")]: r[head.index("article_title")] for r in rows}
    for line in tab[1:]:
        assert line[1] == title_of[line[0]] != ""


def test_the_lease_tab_is_made_hidden_and_the_articles_tab_stays_in_sight(world, backend):
    backend.seed(sheet(3))
    world.run(backend.open(), "sync")
    assert world.tasks(), "the sync sent rows, so it claimed the sheet"
    if backend.name == "xlsx":
        wb = openpyxl.load_workbook(backend.path)
        states = {ws.title: ws.sheet_state for ws in wb}
        assert wb.active.title == wb.sheetnames[0]
    else:
        book = backend.fake.book(backend.spreadsheet_id)
        states = {s.title: "hidden" if s.hidden else "visible" for s in book.sheets}
    assert states.pop("sheetsync lease") == "hidden"
    assert set(states.values()) == {"visible"}
