"""The Sites and Summary tabs: kept current by each sync, rewritten only when they changed."""

from __future__ import annotations

import datetime as dt

from sheetsync.emulator import CATALOGUE
from sheetsync.tabs import SITES_HEADER, domain, sorted_sites

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
