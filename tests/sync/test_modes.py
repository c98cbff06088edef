"""validate, plan, push, pull: what each mode reads, writes and sends."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from sheetsync import errors
from sheetsync.lock import SheetLock
from sheetsync.models import Status
from sheetsync.workflow import Options, run

from .helpers import TOKEN, article, column, sheet


def test_a_refresh_that_fails_says_so_in_the_exit_code(world, backend):
    backend.seed(sheet(3))
    world.run(backend.open(), "push")
    world.clock.advance(3 * 24 * 3600)
    world.emu.faults.inject("task/show", "500", count=10)
    report = world.run(backend.open(), "pull")
    assert report.exit_code == 1
    assert all(r.attention and r.message.endswith("run sync again later.") for r in report.rows)
    assert any("Could not refresh task" in n for n in report.notes)


def test_pull_follows_tasks_until_published_and_fills_the_placements_tab(world, backend):
    backend.seed(sheet(3))
    world.run(backend.open(), "push")
    assert set(column(backend.values(), "status")) == {"Queued"}
    world.clock.advance(3 * 24 * 3600)  # past the default one-day schedule window
    events = []
    report = world.run(backend.open(), "pull", progress=events.append)
    assert {r.action for r in report.rows} == {"refresh"}
    assert report.api_requests == 1 + 3 + 1  # list, one task/show per changed task, catalogue
    values = backend.values()
    server = {t["id"]: t for t in world.tasks()}
    for task_id, status, progress, urls in zip(
        column(values, "task_id"), column(values, "status"), column(values, "progress"),
        column(values, "result_urls"),
    ):  # fmt: skip
        placements = server[task_id]["placements"]
        published = [p for p in placements if p["result_url"]]
        assert status in (str(Status.PUBLISHED), str(Status.FAILED))
        assert progress.startswith(f"{len(published)}/{len(placements)} published")
        assert urls.split("\n") == [p["result_url"] for p in published] or (not urls and not published)
    assert set(column(values, "last_synced")) == {"2026-12-01T09:00Z"}
    tab = backend.values("Placements")
    assert tab[0][:5] == ["row_key", "article_title", "task_id", "site_id", "site_url"]
    assert len(tab) == 1 + 6 and {r[4] for r in tab[1:]} <= {"" , *(s.url for s in world.emu.catalogue)}
    assert all(r[4] for r in tab[1:])
    assert events and events[-1].stage == "pull" and events[-1].done == events[-1].total == 3

    # Nothing changed since: one request, nothing written.
    before = backend.values()
    report = world.run(backend.open(), "sync")
    assert report.api_requests == 1 and backend.values() == before


def test_validate_offline_writes_problems_and_clears_them_when_fixed(world, backend, tmp_path):
    rows = sheet(2)
    rows[2][1] = "Too short"
    backend.seed(rows)
    options = Options(lock_folder=tmp_path / "locks")
    report = run(backend.open(), None, options, mode="validate")
    assert report.exit_code == errors.ExitCode.ATTENTION and report.api_requests == 0
    assert [r.action for r in report.rows] == ["ok", "invalid"]
    notes = column(backend.values(), "notes")
    assert notes[0] == "" and notes[1].startswith("article_title:") and "4" in notes[1]
    assert world.store_posts() == 0

    values = backend.values()
    fixed = [list(r) for r in values]
    fixed[2][1] = "A title that is long enough now"
    backend.seed(fixed)
    report = run(backend.open(), None, options, mode="validate")
    assert report.exit_code == errors.ExitCode.OK
    assert column(backend.values(), "notes") == ["", ""]


def test_validate_with_a_client_checks_the_catalogue_and_no_write_writes_nothing(world, backend, tmp_path):
    backend.seed([sheet(0)[0], article(1, targets="375")])  # a disabled site
    before = backend.values()
    report = run(backend.open(), world.client(), Options(write=False), mode="validate")
    assert report.rows[0].action == "invalid" and "375" in report.rows[0].message
    assert report.api_requests == 1 and backend.values() == before


def test_plan_writes_and_spends_nothing_and_matches_what_sync_then_does(world, backend):
    backend.seed(sheet(3) + [article(9, ready=False)])
    before = backend.values()
    report = world.run(backend.open(), "plan")
    assert backend.values() == before and world.store_posts() == 0
    plan = report.plan
    assert plan.cost == 6 and plan.balance == 1000
    assert plan.counts() == {"submit": 3, "not-ready": 1}
    assert report.to_dict()["plan"]["expected_requests"] == plan.expected_requests == 1 + 2 + 3 + 1
    synced = world.run(backend.open(), "sync")
    assert synced.api_requests == plan.expected_requests
    assert [r.action for r in synced.rows] == ["submitted"] * 3 + ["not-ready"]


def test_two_syncs_of_one_sheet_cannot_overlap(world, backend, tmp_path):
    backend.seed(sheet(1))
    table = backend.open()
    with SheetLock(tmp_path / "locks", table.identity, table.display_name, machine=world.machine):
        with pytest.raises(errors.SheetBusyError) as caught:
            world.run(table)
    message = str(caught.value)
    assert str(os.getpid()) in message and message.rstrip().endswith("run again.")
    assert world.store_posts() == 0
    world.run(backend.open())  # released: the next run goes ahead
    assert world.store_posts() == 1


def test_push_only_submits_and_pull_only_refreshes(world, backend):
    backend.seed(sheet(2))
    pulled = world.run(backend.open(), "pull")
    assert [r.action for r in pulled.rows] == ["new", "new"] and world.store_posts() == 0
    world.run(backend.open(), "push")
    assert world.store_posts() == 2
    world.clock.advance(dt.timedelta(days=3).total_seconds())
    pushed = world.run(backend.open(), "push")
    assert pushed.api_requests == 1 and set(column(backend.values(), "status")) == {"Queued"}


def test_a_persons_own_notes_column_is_never_taken_over(world, backend):
    rows = sheet(2)
    rows[0].append("Notes")
    rows[1].append("call the client first")
    rows[2].append("")
    backend.seed(rows)
    before = backend.values()
    with pytest.raises(errors.TableError, match=r"Column G \('Notes'\).*call the client first.*rename"):
        world.run(backend.open(), "sync")
    assert backend.values() == before and world.store_posts() == 0

    # Renamed, it is the person's column again; sheetsync adds its own columns beside it.
    seeded = [list(r) for r in before]
    seeded[0][6] = "Editor notes"
    backend.seed(seeded)
    world.run(backend.open(), "sync")
    values = backend.values()
    assert values[0][6] == "Editor notes" and values[1][6] == "call the client first"
    assert column(values, "task_id")[0] and world.store_posts() == 2


def test_a_warning_repeated_by_the_read_and_the_writes_is_reported_once():
    from sheetsync.workflow import Report

    warning = "ext.xlsx: openpyxl, which writes the file, says: Data Validation extension is not supported"
    report = Report("sync", "ext.xlsx", [], notes=[warning, "Row 3: moved.", warning])
    assert report.notes == [warning, "Row 3: moved."]
