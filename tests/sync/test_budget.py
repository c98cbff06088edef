"""Request budgets: a 1,000-row sync where nothing changed costs almost nothing."""

from __future__ import annotations

from collections import Counter

from sheetsync.plan import new_key

from .helpers import HEADER, TOKEN, article, backend_handle, column


def _seed_synced_elsewhere(world, backend, n: int) -> None:
    """n rows whose tasks already exist (created through the emulator itself, in process)."""
    header: list[object] = [*HEADER, "schedule_from", "row_key"]
    rows = [header]
    for i in range(1, n + 1):
        key = new_key()
        cells = article(i, targets="372") + ["2026-11-29", key]
        fields = {
            "api_token": TOKEN, "name": f"Garden {i} {key}", "article_title": cells[1],
            "article_body": cells[2], "article_urls": cells[3], "target_website_ids": "372",
            "schedule_from": "2026-11-29",
        }  # fmt: skip
        answer = world.emu.handle("task/store", fields, client="setup", root_url=world.server.root_url)
        assert answer.status in (200, 201)
        rows.append(cells)
    backend.seed(rows)


def _api_calls(world) -> Counter:
    return Counter(endpoint for _, endpoint in world.emu.request_log)


def test_a_thousand_row_sync_with_nothing_changed(world, tmp_path):
    backend = backend_handle("gsheets", tmp_path)
    world.emu.add_account(TOKEN, 1010)
    _seed_synced_elsewhere(world, backend, 1000)
    first = world.run(backend.open())  # adopts every task by its marker: no task/show at all
    assert Counter(r.action for r in first.rows) == {"adopt": 1000}
    assert _api_calls(world) == {"tasks": 1, "task/sites": 1}  # sites: URLs for the new tab
    assert all(column(backend.values(), "task_id"))
    assert len(backend.values("Placements")) == 1001

    world.emu.clear_request_log()
    backend.fake.reset_counts()
    report = world.run(backend.open())
    assert report.exit_code == 0
    assert report.api_requests <= 3 and sum(_api_calls(world).values()) == report.api_requests
    assert backend.fake.reads <= 2 and backend.fake.writes <= 1, backend.fake.counts



def test_k_new_rows_cost_about_k_plus_three_requests(world, tmp_path):
    backend = backend_handle("gsheets", tmp_path)
    _seed_synced_elsewhere(world, backend, 40)
    world.run(backend.open())
    for i in range(3):
        backend.insert_row(42 + i, article(2000 + i, targets="372") + ["2026-11-29"])
    world.emu.clear_request_log()
    backend.fake.reset_counts()
    report = world.run(backend.open())
    assert [r.row for r in report.rows if r.action == "submitted"] == [42, 43, 44]
    assert _api_calls(world) == {"tasks": 2, "task/sites": 1, "credits": 1, "task/store": 3}
    # One read; the sheet lease (its tab read, created and written, read back; cleared at the
    # end); then a key write and a final write (a re-read, a batched write and a check each);
    # and the Summary tab, whose counts changed (a re-read and a write).
    assert backend.fake.writes <= 6 and backend.fake.reads <= 14, backend.fake.counts

    # m changed tasks cost m task/show requests, and nothing for the rest (site URLs for the
    # Placements tab are remembered from the catalogue fetched above).
    world.clock.advance(3 * 24 * 3600)
    changed = sum(1 for t in world.tasks() if t["status"] != "Queued Publishing")
    world.emu.clear_request_log()
    report = world.run(backend.open())
    assert changed > 0 and _api_calls(world) == {"tasks": 1, "task/show": changed}
