"""State kept in a file database survives a restart; the file never holds a token."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import requests

from sheetsync.emulator import Emulator, FakeClock

from .conftest import START, TOKEN, store_payload


def test_accounts_and_tasks_survive_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "emulator.sqlite")
    clock = FakeClock(START)
    first = Emulator(db=db, clock=clock, rate_limit=0)
    first.add_account(TOKEN, 10)
    with first.serve() as server:
        created = requests.post(server.base_url + "task/store", json=store_payload()).json()["task_id"]
    first.close()

    again = Emulator(db=db, clock=clock, rate_limit=0)
    again.ensure_account(TOKEN, 10)  # an existing account keeps its balance
    assert again.credits(TOKEN) == 7
    with again.serve() as server:
        listed = requests.get(server.base_url + "tasks", params={"api_token": TOKEN}).json()["message"]
        second = requests.post(server.base_url + "task/store", json=store_payload(sandbox=True)).json()["task_id"]
    assert [t["id"] for t in listed] == [created]
    assert second != created
    assert TOKEN.encode() not in Path(db).read_bytes()


def test_resumed_time_never_runs_backwards(tmp_path: Path) -> None:
    db = str(tmp_path / "emulator.sqlite")
    fast = FakeClock(START)
    first = Emulator(db=db, clock=fast, speed=3600, rate_limit=0, resume_time=True)
    first.add_account(TOKEN, 10)
    with first.serve() as server:
        fast.advance(10)  # ten emulated hours
        requests.get(server.base_url + "health-check", params={"api_token": TOKEN})
    first.close()
    restarted = Emulator(db=db, clock=FakeClock(START), rate_limit=0, resume_time=True)
    assert restarted.now() == START + dt.timedelta(hours=10)
