"""Helpers to drive the client against the emulator over a real socket with one fake clock."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from sheetsync.client import Client
from sheetsync.emulator import Emulator, FakeClock
from sheetsync.emulator.wsgi import EmulatorApp
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


class _Silent(WSGIRequestHandler):
    def log(self, *args: Any) -> None:  # request lines carry the token; tests log nothing
        pass


@contextlib.contextmanager
def serve_quickly(emu: Emulator) -> Iterator[str]:
    """Serve the emulator's WSGI app like `Emulator.serve`, but stop in milliseconds.

    `Emulator.serve` polls for shutdown every 0.5 s, which would dominate these tests.
    """
    server = make_server("127.0.0.1", 0, EmulatorApp(emu), threaded=True, request_handler=_Silent)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    emu.root_url = f"http://127.0.0.1:{server.server_port}/"
    try:
        yield f"{emu.root_url}api/v1/"
    finally:
        emu.faults.stopping.set()  # ends answers held back by a "hang" fault
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def emulated(token: str, credits: int = 100, **options) -> Iterator[Rig]:
    clock = FakeClock(start=START)
    emu = Emulator(db=":memory:", clock=clock, seed=1, **options)
    emu.add_account(token, credits)
    with serve_quickly(emu) as base_url:
        yield Rig(emu, clock, base_url, token, [])


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
