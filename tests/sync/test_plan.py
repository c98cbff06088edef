"""`plan.build` is pure: hand-made rows and server tasks in, actions out, no I/O."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from sheetsync import plan as P
from sheetsync.emulator import CATALOGUE
from sheetsync.journal import EMPTY, Entry, Seen, Snapshot
from sheetsync.models import Placement, Status, TaskSummary
from sheetsync.sheet import map_header, read_rows
from sheetsync.tables.base import Grid

TODAY = dt.date(2026, 11, 28)
T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.timezone.utc)
HEADER = ("name", "article_title", "article_body", "article_urls", "target_website_ids", "ready",
          "row_key", "task_id", "mode", "status", "progress", "result_urls", "notes")  # fmt: skip


def row(i, *, targets="372, 373", ready=True, key="", task_id="", mode="", status="",
        progress="", results="", title=None):  # fmt: skip
    return (
        "", title or f"Article number {i} about sustainable gardening", f"Body of article {i}.",
        f"https://example.com/{i}", targets, ready, key, task_id, mode, status, progress, results, "",
    )  # fmt: skip


def rows(*cells):
    grid = Grid(header=HEADER, rows=tuple(cells))
    return read_rows(grid, map_header(grid.header))


def keys():
    counter = itertools.count(1)
    letters = "abcdefghijklmnopqrstuvwxyz"
    return lambda: "ss-keys" + "".join(letters[int(d)] for d in f"{next(counter):04d}")


def summary(task_id, name, status=Status.QUEUED, updated=T0, created=T0):
    return TaskSummary(id=task_id, name=name, status=status, created_at=created, updated_at=updated)


def build(rs, remote=(), balance=100, catalogue=CATALOGUE, **kw):
    kw.setdefault("make_key", keys())
    return P.build(rs, remote=list(remote), catalogue=catalogue, balance=balance, today=TODAY, **kw)


def test_keys_and_markers_round_trip():
    key = P.new_key()
    assert key.startswith("ss-") and len(key) == 11
    assert P.parse_marker(f"My article {key}") == (key, False)
    assert P.parse_marker(f"My article {P.marker(key, True)}") == (key, True)
    assert P.parse_marker("My article") is None
    assert P.new_key() != key


def test_new_ready_valid_rows_are_submitted_in_sheet_order_with_a_marker():
    plan = build(rows(row(1), row(2, targets="372")))
    assert [a.kind for a in plan.actions] == ["submit", "submit"]
    first, second = plan.submits
    assert first.by_position and first.key.startswith("ss-")
    assert first.task.name.split()[-1] == first.key
    assert (first.cost, second.cost, plan.cost) == (2, 1, 3)
    assert plan.expected_requests == 1 + 2 + 2 + 1  # tasks list, sites + credits, two posts, the list again under the lease


def test_without_catalogue_the_plan_asks_for_it_only_when_something_would_be_sent():
    assert build(rows(row(1)), catalogue=None, balance=None).needs_catalogue
    done = rows(row(1, key="ss-aaaaaaaa", task_id="t1", mode="live"))
    remote = [summary("t1", "x ss-aaaaaaaa", Status.PUBLISHED)]
    assert not build(done, remote, catalogue=None, balance=None).needs_catalogue


def test_credits_are_spent_in_sheet_order_and_the_rest_wait():
    plan = build(rows(row(1), row(2), row(3), row(4, targets="372")), balance=5)
    assert [a.kind for a in plan.actions] == ["submit", "submit", "wait", "wait"]
    first_wait, later = plan.actions[2], plan.actions[3]
    assert first_wait.message.startswith("Waiting for credits: needs 2, 1 left;")
    assert "row 4 is first in line" in later.message  # a cheap row does not jump the queue
    assert plan.cost == 4


def test_max_credits_is_named_when_it_is_the_tighter_limit():
    plan = build(rows(row(1), row(2)), balance=100, max_credits=3)
    assert [a.kind for a in plan.actions] == ["submit", "wait"]
    assert "1 left under --max-credits 3" in plan.actions[1].message
    # The note is read in the sheet: it says who can act, not only a flag its readers never see.
    assert "whoever runs sheetsync capped this run with --max-credits" in plan.actions[1].note
    assert "raise --max-credits" not in plan.actions[1].note


def test_a_row_waiting_for_the_balance_says_who_can_add_credits():
    plan = build(rows(row(1), row(2)), balance=3)
    assert "whoever manages the BacklinkBase account can add credits" in plan.actions[1].note
    assert "--max-credits" not in plan.actions[1].note


def test_sandbox_costs_nothing_and_carries_a_sandbox_marker():
    plan = build(rows(row(1), row(2)), balance=0, sandbox=True)
    assert [a.kind for a in plan.actions] == ["submit", "submit"]
    assert plan.cost == 0 and plan.mode == "sandbox"
    assert plan.submits[0].task.sandbox
    assert plan.submits[0].task.name.endswith(".sandbox")
    assert plan.expected_requests == 1 + 1 + 2 + 1  # no credits call in sandbox


def test_a_keyed_row_without_task_id_adopts_its_task_instead_of_resubmitting():
    r = rows(row(1, key="ss-aaaaaaaa"))
    plan = build(r, [summary("t9", "Article ss-aaaaaaaa", created=T0)])
    assert [a.kind for a in plan.actions] == ["adopt"]
    assert plan.actions[0].task.id == "t9" and plan.cost == 0


def test_duplicate_tasks_on_the_server_keep_the_oldest_and_say_so():
    r = rows(row(1, key="ss-aaaaaaaa"))
    later = summary("t2", "A ss-aaaaaaaa", created=T0 + dt.timedelta(minutes=1))
    plan = build(r, [later, summary("t1", "A ss-aaaaaaaa")])
    adopt = plan.actions[0]
    assert adopt.task.id == "t1" and adopt.duplicates == ("t2",)
    assert adopt.attention and "Cancel the others" in adopt.note


def test_a_sandbox_task_is_never_adopted_by_a_live_run():
    r = rows(row(1, key="ss-aaaaaaaa"))
    plan = build(r, [summary("t1", "A ss-aaaaaaaa.sandbox")])
    assert [a.kind for a in plan.actions] == ["submit"]
    assert plan.submits[0].task.name.endswith(" ss-aaaaaaaa")


def test_live_run_replaces_a_sandbox_task_but_a_sandbox_run_keeps_a_live_one():
    sandboxed = rows(row(1, key="ss-aaaaaaaa", task_id="t1", mode="sandbox", status="Published"))
    assert [a.kind for a in build(sandboxed).actions] == ["submit"]
    live = rows(row(1, key="ss-aaaaaaaa", task_id="t1", mode="live", status="Queued"))
    remote = [summary("t1", "A ss-aaaaaaaa")]
    assert [a.kind for a in build(live, remote, sandbox=True).actions] == ["refresh"]


@pytest.mark.parametrize("cell", ["", "live"])
def test_a_sandbox_task_counts_as_sandbox_whatever_the_mode_cell_says(cell):
    r = rows(row(1, key="ss-aaaaaaaa", task_id="t1", mode=cell, status="Published"))
    remote = [summary("t1", "A ss-aaaaaaaa.sandbox", Status.PUBLISHED)]
    assert [a.kind for a in build(r, remote).actions] == ["submit"]
    assert [a.kind for a in build(r, remote, sandbox=True).actions] == ["refresh"]


@pytest.mark.parametrize("key", ["abc", "SS-AAAAAAAA", "ss-aaaa", "ss-aaaaaaaa.sandbox"])
def test_a_row_key_not_made_by_sheetsync_is_never_sent(key):
    # The task list could never tell whether such a row was sent, so a crash could double it.
    plan = build(rows(row(1, key=key)))
    assert [a.kind for a in plan.actions] == ["hold"] and plan.cost == 0
    assert "clear the row_key cell" in plan.actions[0].note


def test_an_intent_the_server_never_received_is_sent_again():
    r = rows(row(1, key="ss-aaaaaaaa"))
    journal = Snapshot({("ss-aaaaaaaa", "live"): Entry("ss-aaaaaaaa", "live", "unknown")}, {}, {})
    plan = build(r, [], journal=journal)
    assert [a.kind for a in plan.actions] == ["submit"]
    assert plan.submits[0].retry and not plan.submits[0].by_position


def test_a_journaled_task_the_server_no_longer_lists_is_held():
    r = rows(row(1, key="ss-aaaaaaaa"))
    entry = Entry("ss-aaaaaaaa", "live", "submitted", "t1")
    plan = build(r, [], journal=Snapshot({("ss-aaaaaaaa", "live"): entry}, {}, {}))
    assert [a.kind for a in plan.actions] == ["hold"]
    assert "t1" in plan.actions[0].note


def test_a_copied_row_with_the_same_key_is_held():
    plan = build(rows(row(1, key="ss-aaaaaaaa"), row(2, key="ss-aaaaaaaa")))
    # Neither row could receive a task id while both hold the key, so neither is sent.
    assert [a.kind for a in plan.actions] == ["hold", "hold"] and plan.cost == 0
    assert "also in row 3" in plan.actions[0].note and "in the copy" in plan.actions[0].note
    assert plan.actions[1].note.startswith("Copied from row 2 together with its row_key")


def test_a_copied_row_whose_original_has_its_task_follows_the_original():
    sent = row(1, key="ss-aaaaaaaa", task_id="t1", mode="live", status="Queued")
    plan = build(rows(sent, row(2, key="ss-aaaaaaaa")), [summary("t1", "A ss-aaaaaaaa")])
    assert [a.kind for a in plan.actions] == ["refresh", "hold"]


def test_a_row_whose_key_was_cleared_is_held_not_resubmitted():
    original = rows(row(1, key="ss-aaaaaaaa"))[0]
    cleared = rows(row(1))
    entry = Entry("ss-aaaaaaaa", "live", "submitted", "t1", "n", P.fingerprint(original))
    journal = Snapshot({("ss-aaaaaaaa", "live"): entry}, {}, {})
    plan = build(cleared, [summary("t1", "A ss-aaaaaaaa")], journal=journal)
    assert [a.kind for a in plan.actions] == ["hold"]
    assert "put ss-aaaaaaaa back into row_key" in plan.actions[0].note
    # Content changed on purpose: a new task.
    assert [a.kind for a in build(rows(row(2)), [summary("t1", "A ss-aaaaaaaa")], journal=journal).actions] == ["submit"]


def test_invalid_and_unready_rows_are_not_sent_and_say_why():
    plan = build(rows(row(1, title="Too short"), row(2, ready=False), row(3, targets="375")))
    assert [a.kind for a in plan.actions] == ["invalid", "not-ready", "invalid"]
    assert "article_title" in plan.actions[0].note
    assert plan.actions[0].attention and not plan.actions[1].attention
    assert "375" in plan.actions[2].note
    assert "set ready to TRUE" in plan.actions[1].note


def test_an_unready_row_with_mistakes_shows_the_mistakes_not_the_ready_hint():
    (action,) = build(rows(row(1, ready=False, title="Too short"))).actions
    assert action.kind == "not-ready"
    assert "article_title" in action.note and "ready" not in action.note


@pytest.mark.parametrize(
    "seen_updated,sheet_status,fetch",
    [
        (T0, "Publishing", False),
        (T0 - dt.timedelta(minutes=5), "Publishing", True),  # the server's task moved on
        (T0, "Queued", True),  # the sheet lags behind
        (None, "Publishing", True),  # this machine never saw its details
    ],
)
def test_refresh_fetches_details_only_when_something_changed(seen_updated, sheet_status, fetch):
    r = rows(row(1, key="ss-aaaaaaaa", task_id="t1", mode="live", status=sheet_status, progress="0/2 published"))
    remote = [summary("t1", "A ss-aaaaaaaa", Status.PUBLISHING, updated=T0)]
    seen = {}
    if seen_updated is not None:
        placements = (Placement(372, Status.PUBLISHING, None, None),)
        seen = {"t1": Seen("t1", seen_updated, "Publishing", placements)}
    plan = build(r, remote, journal=Snapshot({}, seen, {}))
    assert [a.kind for a in plan.actions] == ["refresh"]
    assert plan.actions[0].fetch is fetch
    assert plan.expected_requests == 1 + int(fetch)


def test_a_task_missing_from_the_account_is_reported_in_the_row():
    r = rows(row(1, key="ss-aaaaaaaa", task_id="gone", mode="live", status="Queued"))
    action = build(r, []).actions[0]
    assert action.kind == "missing" and not action.fetch and action.attention
    assert "gone" in action.note


def test_pull_only_runs_never_submit():
    plan = build(rows(row(1)), push=False)
    assert [a.kind for a in plan.actions] == ["new"] and plan.cost == 0


def test_plan_is_json_ready():
    d = build(rows(row(1), row(2, ready=False))).to_dict()
    assert d["counts"] == {"submit": 1, "not-ready": 1}
    assert d["rows"][0]["targets"] == [372, 373] and d["cost"] == 2
    assert EMPTY.entries == {}


def test_a_queued_task_never_needs_details():
    r = rows(row(1, key="ss-aaaaaaaa", task_id="t1", mode="live", status="", progress=""))
    plan = build(r, [summary("t1", "A ss-aaaaaaaa", Status.QUEUED)])
    assert not plan.actions[0].fetch and plan.expected_requests == 1
    adopt = build(rows(row(1, key="ss-aaaaaaaa")), [summary("t1", "A ss-aaaaaaaa", Status.QUEUED)])
    assert adopt.expected_requests == 1


def test_a_copied_row_without_key_is_held_as_a_repeat():
    original = rows(row(1, key="ss-aaaaaaaa", task_id="t1", mode="live", status="Queued"))[0]
    entry = Entry("ss-aaaaaaaa", "live", "submitted", "t1", "n", P.fingerprint(original))
    both = rows(row(1, key="ss-aaaaaaaa", task_id="t1", mode="live", status="Queued"), row(1))
    plan = build(both, [summary("t1", "A ss-aaaaaaaa")], journal=Snapshot({("ss-aaaaaaaa", "live"): entry}, {}, {}))
    assert [a.kind for a in plan.actions] == ["refresh", "hold"]
    assert plan.actions[1].note.startswith("This row repeats row 2 (task t1)")


def test_a_task_id_pasted_from_another_row_is_held_not_followed():
    remote = [summary("t1", "A ss-aaaaaaaa"), summary("t2", "B ss-bbbbbbbb")]
    sheet = rows(row(1, key="ss-aaaaaaaa", task_id="t1"), row(2, key="ss-bbbbbbbb", task_id="t1"))
    first, second = build(sheet, remote).actions
    assert first.kind == "refresh"
    assert second.kind == "hold" and "belongs to row_key ss-aaaaaaaa" in second.note
    # Cleared, the row's own task is found again by its key: adopted, never resubmitted.
    (adopted,) = build(rows(row(2, key="ss-bbbbbbbb")), remote).actions
    assert adopted.kind == "adopt" and adopted.task.id == "t2"


def test_sites_typed_by_domain_as_the_sites_tab_shows_them_become_ids():
    from sheetsync.tabs import domain

    a, b = CATALOGUE.sites[0], CATALOGUE.sites[1]
    pasted = f"{b.id}\nhttps://www.{domain(a.url)}/"  # an address pasted from the browser
    plan = build(rows(row(1, targets=f"{domain(a.url)}, {b.id}"), row(2, targets=pasted)))
    first, second = plan.submits
    assert first.task.target_website_ids == (b.id, a.id) and second.task.target_website_ids == (b.id, a.id)
    assert first.cost == second.cost == 2


def test_an_unknown_domain_is_a_problem_in_the_row_and_needs_the_catalogue_first():
    unplanned = build(rows(row(1, targets="nowhere-at-all.example")), catalogue=None)
    assert unplanned.needs_catalogue  # a domain becomes an id only with the catalogue
    plan = build(rows(row(1, targets="nowhere-at-all.example, 372")))
    (reject,) = plan.actions
    assert reject.kind == "invalid"
    assert "nowhere-at-all.example is not a site in your BacklinkBase catalogue" in reject.note
    assert "Sites tab" in reject.note
