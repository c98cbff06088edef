from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator

import pytest

from sheetsync.client import Client

from .fakeserver import FakeApi


class FakeTime:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def token() -> str:
    # Unique per test: clients of one token share a pacing window across the process.
    return f"tok-{uuid.uuid4().hex}"


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with FakeApi() as server:
        yield server


@pytest.fixture
def make_client(api: FakeApi, token: str, fake_time: FakeTime) -> Callable[..., Client]:
    def build(**kw) -> Client:
        kw.setdefault("sleep", fake_time.sleep)
        kw.setdefault("monotonic", fake_time.monotonic)
        kw.setdefault("rng", random.Random(7))
        kw.setdefault("timeout", (2.0, 2.0))
        base_url = kw.pop("base_url", api.base_url)
        return Client(kw.pop("token", token), base_url, **kw)

    return build
