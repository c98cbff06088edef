"""Credits are money: balance and --max-credits respected in sheet order, confirm, sandbox."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sheetsync import errors
from sheetsync.workflow import Options

from .helpers import TOKEN, article, assert_exactly_once, column, sheet


def test_max_credits_and_balance_are_spent_in_sheet_order_with_notes(world, backend):
    backend.seed(sheet(4))  # 2 credits per row
    report = world.run(backend.open(), opts={"max_credits": 5})
    assert [r.action for r in report.rows] == ["submitted", "submitted", "wait", "wait"]
    assert report.spent == 4 and report.exit_code == 1
    notes = column(backend.values(), "notes")
    assert notes[:2] == ["", ""]
    assert notes[2].startswith("Waiting for credits: needs 2, 1 left under --max-credits 5")
    assert "(row 4 is first in line)" in notes[3]  # sheet row 4 is the third data row

    world.emu.add_account(TOKEN, 3)  # the balance is now the tighter limit
    report = world.run(backend.open())
    assert [r.action for r in report.rows][2:] == ["submitted", "wait"]
    assert world.emu.credits(TOKEN) == 1
    assert column(backend.values(), "notes")[2] == ""  # cleared once the problem is gone
    assert "needs 2, 1 left;" in column(backend.values(), "notes")[3]


def test_declined_confirmation_spends_nothing(world, backend):
    backend.seed(sheet(3))
    asked = []
    report = world.run(backend.open(), confirm=lambda plan: asked.append(plan.cost) or False)
    assert asked == [6]
    assert world.store_posts() == 0 and world.emu.credits(TOKEN) == 1000
    assert {r.action for r in report.rows} == {"declined"} and report.spent == 0
    report = world.run(backend.open(), confirm=lambda plan: True)
    assert report.spent == 6 and world.store_posts() == 3


def test_sandbox_costs_nothing_shows_its_mode_and_never_counts_as_live(world, backend):
    backend.seed(sheet(2))
    asked = []
    report = world.run(backend.open(), opts={"sandbox": True}, confirm=asked.append)
    assert asked == [] and report.spent == 0 and world.emu.credits(TOKEN) == 1000
    values = backend.values()
    assert column(values, "mode") == ["sandbox", "sandbox"]
    assert all(t["sandbox"] and t["name"].endswith(".sandbox") for t in world.tasks())
    sandbox_ids = column(values, "task_id")

    # A live run submits for real: the sandbox task is not taken for a placement.
    report = world.run(backend.open())
    assert [r.action for r in report.rows] == ["submitted", "submitted"]
    values = backend.values()
    assert column(values, "mode") == ["live", "live"]
    assert not set(column(values, "task_id")) & set(sandbox_ids)
    assert world.emu.credits(TOKEN) == 996
    # ... and a sandbox run never replaces a live task.
    world.run(backend.open(), opts={"sandbox": True})
    assert len(world.tasks()) == 4


def test_a_bad_token_stops_the_run_without_leaking_it(world, backend):
    from sheetsync.client import Client

    backend.seed(sheet(1))
    bad = Client("wrong-token-1234567890", world.server.base_url, rate_limit=0, sleep=lambda s: None)
    with pytest.raises(errors.BadTokenError) as caught:
        world.run(backend.open(), client=bad)
    assert "wrong-token-1234567890" not in str(caught.value)
    assert world.store_posts() == 0


def test_the_token_never_reaches_the_sheet_or_the_report(world, backend):
    backend.seed(sheet(3))
    world.emu.faults.inject("task/store", "500")
    report = world.run(backend.open())
    text = json.dumps(report.to_dict()) + json.dumps(backend.values(), default=str)
    text += json.dumps(backend.values("Placements"), default=str)
    assert TOKEN not in text


def test_sync_refuses_to_run_without_writing():
    from sheetsync.workflow import run

    with pytest.raises(errors.ConfigError) as caught:
        run(None, object(), Options(write=False), mode="sync")  # type: ignore[arg-type]
    assert "plan or validate" in str(caught.value)


def test_credits_gone_after_confirmation_stop_submissions_with_notes(world, backend):
    """Someone spends the balance between the plan and the first POST: 409, then no storm."""
    backend.seed(sheet(4))
    report = world.run(backend.open(), confirm=lambda plan: world.emu.add_account(TOKEN, 3) or True)
    assert [r.action for r in report.rows] == ["submitted", "wait", "not-sent", "not-sent"]
    assert world.store_posts() == 2  # the refused one, and no more after it
    notes = column(backend.values(), "notes")
    assert notes[0] == "" and all(n.startswith(("Waiting for credits", "Waiting")) for n in notes[1:])
    world.emu.add_account(TOKEN, 100)
    world.run(backend.open())
    assert_exactly_once(world, backend.values())


def test_out_of_credits_answer_stops_submissions(world, backend):
    backend.seed(sheet(2))
    report = world.run(backend.open(), confirm=lambda plan: world.emu.add_account(TOKEN, 0) or True)
    assert [r.action for r in report.rows] == ["wait", "not-sent"] and report.spent == 0
    assert world.store_posts() == 1 and report.exit_code == 1


class RevokedAfter:
    """The real client, whose token is revoked after `n` tasks were created."""

    def __init__(self, client, n: int):
        self.client, self.left = client, n

    def __getattr__(self, name):
        return getattr(self.client, name)

    def create_task(self, new):
        if self.left == 0:
            raise errors.BadTokenError("BacklinkBase refused the token; check BACKLINKBASE_API_TOKEN.")
        self.left -= 1
        return self.client.create_task(new)


def test_a_token_revoked_mid_push_stops_after_writing_what_is_known(world, backend):
    backend.seed(sheet(5))
    with pytest.raises(errors.BadTokenError):
        world.run(backend.open(), client=RevokedAfter(world.client(), 2))
    ids = column(backend.values(), "task_id")
    assert ids[:2] == [t["id"] for t in world.tasks()] and ids[2:] == ["", "", ""]
    world.run(backend.open())
    assert_exactly_once(world, backend.values())


def test_a_row_the_server_refuses_gets_its_reasons_and_nothing_is_charged(world, backend):
    """This machine's clock runs days ahead of the server's: a deadline valid here is refused."""
    header = sheet(0)[0] + ["schedule_till"]
    ahead = world.now() + dt.timedelta(days=5)
    till = (ahead.date() + dt.timedelta(days=30)).isoformat()
    backend.seed([header, article(1) + [till], article(2) + [""]])
    report = world.run(backend.open(), clock=lambda: ahead)
    assert [r.action for r in report.rows] == ["invalid", "submitted"]
    note = column(backend.values(), "notes")[0]
    assert note.startswith("BacklinkBase refused this row: schedule_till:") and note.endswith("sync again.")
    assert world.emu.credits(TOKEN) == 998 and len(world.tasks()) == 1
