"""Shared pieces of the sync tests: sheets to seed, an emulator on a socket, a client on it."""

from __future__ import annotations

import datetime as dt
import importlib
import uuid
from pathlib import Path
from typing import Any

from sheetsync.client import Client
from sheetsync.emulator import Emulator, FakeClock
from sheetsync.journal import Journal
from sheetsync.lease import LeasePolicy
from sheetsync.workflow import Options, Report, run

TOKEN = "sync-test-token-7f3a9c"
START = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.timezone.utc)
HEADER = ["name", "article_title", "article_body", "article_urls", "target_website_ids", "ready"]


def article(i: int, targets: str = "372, 373", ready: object = True) -> list[object]:
    """A valid row whose content is unique to `i`."""
    return [
        "",
        f"Article number {i} about sustainable gardening",
        f"<p>Body of article {i}: compost, mulch and patience make a garden grow.</p>",
        f"https://example.com/garden/{i}",
        targets,
        ready,
    ]


def sheet(n: int, **kw: Any) -> list[list[object]]:
    rows: list[list[object]] = [list(HEADER)]
    return rows + [article(i, **kw) for i in range(1, n + 1)]


def backend_handle(name: str, tmp_path: Path):
    """The tables contract suite's test-side handle for backend `name`."""
    module = importlib.import_module(f"tests.tables.{name}_backend")
    return module.Backend(tmp_path)


class World:
    """One emulator served on a real socket, one account, and helpers to sync against it."""

    def __init__(self, tmp_path: Path, credits: int = 1000, db: str = ":memory:", **emu: Any):
        self.tmp_path = tmp_path
        self.clock = FakeClock(start=START)
        self.emu = Emulator(db=db, clock=self.clock, rate_limit=0, seed=1, **emu)
        self.emu.add_account(TOKEN, credits)
        self._server = self.emu.serve(port=0)
        self.server = self._server.__enter__()
        self.journal_path = tmp_path / "journal.sqlite3"
        self.journals: list[Journal] = []
        self.machine = f"test-{uuid.uuid4().hex[:12]}"

    def close(self) -> None:
        for j in self.journals:
            j.close()
        self._server.__exit__(None, None, None)

    def client(self, **kw: Any) -> Client:
        kw.setdefault("timeout", (2.0, 5.0))
        kw.setdefault("max_retries", 1)
        return Client(TOKEN, self.server.base_url, rate_limit=0, sleep=lambda s: None, **kw)

    def journal(self, path: Path | None = None) -> Journal:
        j = Journal(path or self.journal_path)
        self.journals.append(j)
        return j

    def now(self) -> dt.datetime:
        return self.clock.now()

    def run(self, table, mode: str = "sync", *, client=None, journal=None, **kw: Any) -> Report:
        # The fake Sheets API gives every test process the same spreadsheet ids: a machine name
        # per world keeps the host lock of this test apart from one running elsewhere at once.
        opts = {"lease": LeasePolicy(settle=0.0), "machine": self.machine, **kw.pop("opts", {})}
        options = kw.pop("options", None) or Options(lock_folder=self.tmp_path / "locks", **opts)
        return run(
            table,
            client if client is not None else self.client(),
            options,
            mode=mode,
            journal=journal or self.journal(),
            clock=kw.pop("clock", self.now),
            **kw,
        )

    def tasks(self) -> list[dict]:
        return self.emu.task_rows(TOKEN)

    def store_posts(self) -> int:
        return sum(1 for _, endpoint in self.emu.request_log if endpoint == "task/store")


def column(values: list[list[object]], name: str) -> list[str]:
    """Text of column `name` for every data row of `values` (as Backend.values returns)."""
    header = [str(h) for h in values[0]]
    i = header.index(name)
    return [str(r[i]) if i < len(r) and r[i] is not None else "" for r in values[1:]]


def assert_exactly_once(world: World, values: list[list[object]]) -> None:
    """No duplicate task on the server, and every row holds exactly its own task id."""
    tasks = world.tasks()
    names = [t["name"] for t in tasks]
    markers = [n.split()[-1] for n in names]
    assert len(markers) == len(set(markers)), f"duplicate tasks: {sorted(names)}"
    by_id = {t["id"]: t for t in tasks}
    keys, ids, titles = column(values, "row_key"), column(values, "task_id"), column(values, "article_title")
    assert len(tasks) == len(values) - 1
    for key, task_id, title in zip(keys, ids, titles, strict=True):
        assert task_id in by_id, f"row {title!r} has task id {task_id!r}"
        task = by_id[task_id]
        assert task["name"].split()[-1] == key
        assert task["article_title"] == title
