"""Shared fixtures: an emulator on a fake clock, served over a real socket."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import requests

from sheetsync.emulator import Emulator, FakeClock

START = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.timezone.utc)
TOKEN = "emu-test-token-7f3a"
OTHER = "emu-other-token-19c2"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=START)


@pytest.fixture
def emu(clock: FakeClock) -> Emulator:
    emulator = Emulator(db=":memory:", clock=clock, rate_limit=0, seed=1)
    emulator.add_account(TOKEN, 100)
    emulator.add_account(OTHER, 5)
    return emulator


@pytest.fixture
def base(emu: Emulator) -> Iterator[str]:
    with emu.serve() as server:
        yield server.base_url


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def store_payload(**overrides: object) -> dict[str, object]:
    """The reference's own task/store example, with dates inside the emulator's window."""
    payload: dict[str, object] = {
        "api_token": TOKEN,
        "name": "Press release batch",
        "article_title": "Fintech startup Acme raises series A funding",
        "article_body": "Acme, a Pune based fintech company…",
        "article_urls": "https://acme.com, https://acme.com/product",
        "target_website_ids": "388, 372, 401",
        "schedule_from": "2026-11-28",
        "schedule_till": "2026-12-05",
    }
    payload.update(overrides)
    return payload
