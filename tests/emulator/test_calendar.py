"""--speed makes placements progress faster; the calendar schedule dates are checked against stays."""

from __future__ import annotations

import datetime as dt

import requests

from sheetsync.emulator import Emulator, FakeClock

from .conftest import START, TOKEN, store_payload


def test_a_fast_emulator_checks_schedule_dates_against_todays_date():
    clock = FakeClock(start=START)
    emu = Emulator(clock=clock, speed=3600, rate_limit=0)
    emu.add_account(TOKEN, 10)
    clock.advance(15 * 60)  # a quarter of an hour: over 37 emulated days of placements
    today = START.date()
    assert emu.now().date() > today + dt.timedelta(days=30) and emu.today() == today
    till = today + dt.timedelta(days=20)
    with emu.serve() as server:
        accepted = requests.post(server.base_url + "task/store", json=store_payload(
            schedule_from=today.isoformat(), schedule_till=till.isoformat()))
        yesterday = (today - dt.timedelta(days=1)).isoformat()
        refused = requests.post(server.base_url + "task/store", json=store_payload(
            schedule_from=yesterday, schedule_till=yesterday))
    assert accepted.status_code == 201, accepted.text
    assert refused.status_code == 422 and "schedule_till" in refused.json()["errors"]
