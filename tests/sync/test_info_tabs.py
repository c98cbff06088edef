"""The Sites and Summary tabs: kept current by each sync, rewritten only when they changed."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sheetsync.apply import tab_digest
from sheetsync.emulator import CATALOGUE
from sheetsync.own_tabs import is_own
from sheetsync.render import filter_sites
from sheetsync.tabs import SITES_HEADER, domain, sites_tab, sorted_sites

from .helpers import sheet


def sections(rows):
    """Summary lines by section: {"": {...}, "Rows per status": {"  Queued": "1"}, ...}."""
    out: dict[str, dict[str, str]] = {"": {}}
    current = ""
    for r in rows[1:]:
        what = str(r[0] or "") if r else ""
        value = str(r[1] or "") if len(r) > 1 else ""
        if what and not what.startswith("  ") and value in ("", "none"):
            current = what
            out[current] = {}
        elif what or value:
            out[current][what or value] = value
    return out


def test_a_sync_writes_the_catalogue_and_a_summary(world, backend):
    rows = sheet(2)
    rows[2][1] = "Two words"  # row 3: a title too short, a problem the Summary lists
    backend.seed(rows)
    world.run(backend.open())
    sites = backend.values("Sites")
    assert tuple(sites[0]) == SITES_HEADER
    expected = sorted_sites(CATALOGUE.sites)
    assert [str(r[0]) for r in sites[1:]] == [str(s.id) for s in expected]
    assert sites[1][1] == domain(expected[0].url) and "://" not in str(sites[1][1])
    summary = sections(backend.values("Summary"))
    assert summary[""]["Credits left"].startswith(f"{1000 - 2} (at ")
    month = world.now().strftime("%Y-%m")
    assert summary["Credits spent per month"] == {f"  {month}": "2"}
    assert summary["Rows per status"] == {"  Queued": "1", "  not sent": "1"}
    assert summary["Placements per status"] == {"  Queued": "2"}
    (problem,) = summary["Problems in the last run"]
    assert problem.startswith("Row 3: article_title") and "4 to 50" in problem


def test_the_sites_tabs_numbers_are_numbers_in_the_order_sheetsync_sites_lists_them(world, backend):
    backend.seed(sheet(1))
    world.run(backend.open())
    sites = backend.values("Sites")
    header, rows = list(sites[0]), sites[1:]
    numeric = [header.index(h) for h in ("id", "da", "pa", "spam_score", "credits")]
    for row in rows:
        for i, value in enumerate(row):
            # Numbers sort and filter as numbers; the domain and yes/no stay text.
            assert isinstance(value, (int, float)) == (i in numeric), (header[i], value)
    by_id = {s.id: s for s in CATALOGUE.sites}
    for row in rows:
        site = by_id[int(row[0])]
        assert (row[2], row[3], row[4], row[7]) == (site.da, site.pa, site.spam_score, 1)
        assert row[1] == domain(site.url) and row[5] == ("yes" if site.enabled else "no")
    # The enabled sites come first, as `sheetsync sites` lists them; then the disabled ones.
    enabled = [int(r[0]) for r in rows if r[5] == "yes"]
    assert enabled == [s.id for s in filter_sites(CATALOGUE)]
    assert [int(r[0]) for r in rows[: len(enabled)]] == enabled
    # What reads the tab back sees the text a person sees, and knows the tab for sheetsync's.
    table = backend.open()
    assert table.read_tab("Sites")[1][0] == str(rows[0][0])
    assert is_own(table.tab_header("Sites"), SITES_HEADER)


def test_number_cells_of_a_tab_written_with_links_in_the_same_write_stay_numbers(backend):
    # On Google a write that holds a link goes as updateCells as a whole: the tab's numbers too.
    from sheetsync.tables.base import RowWrite, WriteBack

    backend.seed([["article_title", "row_key", "result_urls"], ["Four words title here", "ka", ""]])
    table = backend.open()
    table.read()
    tab = sites_tab(CATALOGUE)
    table.write(WriteBack("row_key", "article_title", (RowWrite("ka", {"result_urls": "https://a.example/1"}, 2),), tab=tab))
    sites = backend.values("Sites")
    assert [r[0] for r in sites[1:]] == [int(r[0]) for r in tab.rows]
    assert all(isinstance(r[4], (int, float)) for r in sites[1:])  # spam scores of 0 included
    assert backend.values()[1][2] == "https://a.example/1"


def test_a_sites_tab_written_with_text_numbers_is_written_once_more():
    tab = sites_tab(CATALOGUE)
    assert tab.numbers and tab_digest(tab) != tab_digest(replace(tab, numbers=()))


def test_a_sync_in_which_nothing_changed_rewrites_neither_tab(world, backend):
    backend.seed(sheet(2))
    world.run(backend.open())
    world.clock.advance(3 * 24 * 3600)
    world.run(backend.open())  # published: the Summary changes once
    before = backend.values("Summary")
    fake = getattr(backend, "fake", None)
    if fake is not None:
        fake.reset_counts()
    stamp = getattr(backend, "path", None)
    data = stamp.read_bytes() if stamp else None
    world.clock.advance(3600)
    world.run(backend.open("Articles"))  # named: no list of tabs needed to find it
    assert backend.values("Summary") == before
    if fake is not None:
        assert fake.writes == 0 and fake.reads == 1, fake.counts
    else:
        assert stamp.read_bytes() == data


def test_a_persons_own_sites_tab_is_left_alone_with_a_note(world, backend, tmp_path):
    backend.seed(sheet(1))
    table = backend.open()
    from sheetsync.tables.base import Tab

    table.write_tab(Tab("Sites", ("Site name", "Contact"), (("Blog A", "ana@example.com"),)))
    report = world.run(backend.open())
    assert backend.values("Sites")[0][:2] == ["Site name", "Contact"]
    assert any("Your tab 'Sites' is not sheetsync's" in n for n in report.notes)


def test_sheetsyncs_tabs_have_a_bold_frozen_header_and_widths(world, backend):
    backend.seed(sheet(1))
    world.run(backend.open())
    for title in ("Placements", "Sites", "Summary"):
        fake = getattr(backend, "fake", None)
        if fake is not None:
            tab = fake.sheet(backend.spreadsheet_id, title)
            assert tab.grid_extra.get("frozenRowCount") == 1, title
            assert tab.extra(1, 1)["userEnteredFormat"]["textFormat"]["bold"], title
            assert tab.column_props[0]["pixelSize"] != 100, title
        else:
            import openpyxl

            ws = openpyxl.load_workbook(backend.path)[title]
            assert ws.freeze_panes == "A2" and ws["A1"].font.b, title
            assert ws.column_dimensions["A"].width > 8, title


def test_the_summary_counts_live_and_lost_links_once_they_are_checked(world, backend):
    from sheetsync.hooks import PullExtras

    def checker(tasks, now):
        extras = PullExtras()
        for task in tasks:
            for i, p in enumerate(task.placements):
                extras.placement_cells[(task.task_id, p.site_id)] = {"link_status": "Live" if i == 0 else "Lost"}
        return extras

    backend.seed(sheet(1))
    world.run(backend.open(), after_pull=checker)
    links = sections(backend.values("Summary"))["Published links (last check)"]
    assert links == {"  Live": "1", "  Lost": "1"}
