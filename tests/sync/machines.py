"""Two machines syncing one sheet at once: each its own state folder, journal, HOME and name.

Used by the two-machine test and by `benchmarks/two_machines.py`. The machines share only what
two real ones share: the sheet (an .xlsx file, or a spreadsheet in the fake Sheets API behind
the real gspread client) and the BacklinkBase account (the emulator, over a real socket). Each
has its own machine name, so neither sees the other's host lock, as on two computers.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sheetsync.client import Client
from sheetsync.errors import SheetsyncError
from sheetsync.journal import Journal
from sheetsync.lease import LeasePolicy
from sheetsync.workflow import Options, run

from .helpers import World, backend_handle, column, sheet

ROWS = 4


@dataclass
class Trial:
    """One race: both machines sync, then one more sync settles whatever was left."""

    tasks: int = 0
    rows: int = 0
    duplicates: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # runs that stopped with an error (no harm)
    yielded: int = 0  # runs that found the other's claim and sent nothing
    spent: dict[str, int] = field(default_factory=dict)  # credits each run spent

    @property
    def ok(self) -> bool:
        return self.tasks == self.rows and not self.duplicates and not self.orphans


def race(world: World, backend_name: str, folder: Path, *, stagger: float, seed: int) -> Trial:
    """Both machines sync the same fresh sheet; the second starts `stagger` seconds later."""
    token = f"machines-{uuid.uuid4().hex}"
    world.emu.add_account(token, 1000)
    folder.mkdir(parents=True, exist_ok=True)
    backend = backend_handle(backend_name, folder)
    backend.seed(sheet(ROWS))
    trial = Trial(rows=ROWS)
    barrier = threading.Barrier(2)
    rng = random.Random(seed)
    delays = [0.0, stagger * rng.random()]
    rng.shuffle(delays)

    def machine(name: str, delay: float) -> None:
        home = folder / name
        client = Client(token, world.server.base_url, rate_limit=0, timeout=(2.0, 5.0), max_retries=1,
                        sleep=lambda s: None)
        options = Options(lock_folder=home / "state" / "locks", machine=f"{name}-{token[-8:]}",
                          lease=LeasePolicy(settle=0.05))
        with Journal(home / "state" / "journal.sqlite3") as journal:
            barrier.wait()
            time.sleep(delay)
            try:
                report = run(backend.open(), client, options, mode="sync", journal=journal, clock=world.now)
            except SheetsyncError as exc:  # e.g. the .xlsx file saved by the other meanwhile
                trial.refused.append(f"{name}: {exc}")
                return
            trial.spent[name] = report.spent
            if any("holds the sheet until" in n for n in report.notes):
                trial.yielded += 1

    threads = [threading.Thread(target=machine, args=(n, d)) for n, d in zip(("a", "b"), delays)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # A later sync, as the next cron run would be, sends whatever both left for later; by
    # then a claim left behind by a run that stopped with an error has run out.
    world.clock.advance(LeasePolicy().duration + 1)
    settle = Client(token, world.server.base_url, rate_limit=0, timeout=(2.0, 5.0), max_retries=1)
    with Journal(folder / "a" / "state" / "journal.sqlite3") as journal:
        trial.spent["later"] = run(backend.open(), settle,
            Options(lock_folder=folder / "a" / "state" / "locks", machine=f"a-{token[-8:]}",
                    lease=LeasePolicy(settle=0.05)),
            mode="sync", journal=journal, clock=world.now).spent
    check(world, token, backend.values(), trial)
    close = getattr(backend, "close", None)
    if close:
        close()
    return trial


def check(world: World, token: str, values: list[list[object]], trial: Trial) -> None:
    """Exactly one task per row, and every task held by the row whose key it carries."""
    tasks = world.emu.task_rows(token)
    trial.tasks = len(tasks)
    by_marker: dict[str, list[str]] = {}
    for t in tasks:
        by_marker.setdefault(str(t["name"]).split()[-1], []).append(str(t["id"]))
    trial.duplicates = [m for m, ids in by_marker.items() if len(ids) > 1]
    held = dict(zip(column(values, "row_key"), column(values, "task_id")))
    trial.orphans = [
        task_id for m, ids in by_marker.items() for task_id in ids if held.get(m) != task_id
    ]
