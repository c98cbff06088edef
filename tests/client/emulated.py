"""Helpers to drive the client against the emulator over a real socket with one fake clock."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

from sheetsync.client import Client
from sheetsync.emulator import Emulator, FakeClock
from sheetsync.models import NewTask

START = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.timezone.utc)


@dataclass
class Rig:
    emu: Emulator
    clock: FakeClock
    base_url: str
    token: str
    sleeps: list[float]

    def seconds(self) -> float:
        """The client's monotonic clock is the emulator's fake clock: pacing and server agree."""
        return self.clock.now().timestamp()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.advance(seconds)

    def client(self, **kw) -> Client:
        kw.setdefault("sleep", self.sleep)
        kw.setdefault("monotonic", self.seconds)
        kw.setdefault("rng", random.Random(3))
        kw.setdefault("timeout", (2.0, 2.0))
        return Client(kw.pop("token", self.token), kw.pop("base_url", self.base_url), **kw)


@contextlib.contextmanager
def emulated(token: str, credits: int = 100, **options) -> Iterator[Rig]:
    clock = FakeClock(start=START)
    emu = Emulator(db=":memory:", clock=clock, seed=1, **options)
    emu.add_account(token, credits)
    with emu.serve() as server:
        yield Rig(emu, clock, server.base_url, token, [])


def new_task(marker: str = "k7f3", *, sites: tuple[int, ...] = (372, 373, 374), sandbox: bool = False,
             title: str = "Fintech startup Acme raises series A funding") -> NewTask:
    return NewTask(
        name=f"Press release batch {marker}",
        article_title=title,
        article_body="<p>Acme, a Pune based fintech company, raised money.</p>",
        article_urls=("https://acme.com", "https://acme.com/product"),
        target_website_ids=sites,
        schedule_from=dt.date(2026, 11, 28),
        schedule_till=dt.date(2026, 11, 30),
        sandbox=sandbox,
    )
