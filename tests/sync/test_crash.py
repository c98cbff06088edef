"""SIGKILL the sync at every step of a 30-row push, then run again: nothing duplicated or lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sheetsync.lease import LeasePolicy
from sheetsync.workflow import Options

from .helpers import TOKEN, World, assert_exactly_once, backend_handle, column, sheet
from .tables import DyingTable, Killed

ROOT = Path(__file__).resolve().parents[2]

# (step, occurrence): the batch size is 7, so sheet writes happen after the key assignment and
# after every 7th submission; occurrences are picked to land mid-run.
CRASHES = [
    ("before-post", 5),  # intent journaled, nothing sent
    ("after-post", 12),  # task created, journal not updated
    ("after-journal", 20),  # journal has the id, the sheet does not
    ("before-sheet-write", 3),  # a batch of ids about to be written
    ("in-sheet-write", 3),  # between the write's re-read and its cells being saved (the 1st: the lease)
]
# (tasks created, task ids already in the sheet) when the process dies: ids reach the sheet
# in batches of 7 during the push (the first sheet write only assigns row keys).
AT_DEATH = {
    "before-post": (4, 0),
    "after-post": (12, 7),
    "after-journal": (20, 14),
    "before-sheet-write": (14, 7),
    "in-sheet-write": (7, 0),
}


class Crashed:
    """One world whose first push was killed at `step`."""

    def __init__(self, tmp: Path, step: str, occurrence: int):
        self.world = World(tmp)
        self.backend = backend_handle("xlsx", tmp)
        self.backend.seed(sheet(30, targets="372"))
        w = self.world
        args = [
            sys.executable, "-m", "tests.sync.crash_runner", str(self.backend.path),
            w.server.base_url, str(w.journal_path), str(tmp / "locks"), w.now().isoformat(),
            step, str(occurrence), w.machine,
        ]  # fmt: skip
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def wait(self) -> tuple[int, str]:
        _, err = self.process.communicate(timeout=60)
        return self.process.returncode, err


@pytest.fixture(scope="module")
def crashed(tmp_path_factory):
    """Every crash of the matrix, run side by side (each its own emulator, sheet and journal)."""
    runs = {
        step: Crashed(tmp_path_factory.mktemp(step), step, occurrence)
        for step, occurrence in CRASHES
    }
    yield runs
    for run in runs.values():
        if run.process.poll() is None:
            run.process.kill()
        run.world.close()


@pytest.mark.slow
@pytest.mark.parametrize("step", [step for step, _ in CRASHES])
def test_sigkill_at_each_step_then_rerun(crashed, step):
    run = crashed[step]
    world, backend = run.world, run.backend
    code, err = run.wait()
    assert code == -signal.SIGKILL, err[-2000:]
    posts_before_rerun = world.store_posts()
    before = backend.values()
    ids_before = sum(1 for i in column(before, "task_id") if i) if "task_id" in before[0] else 0
    assert (posts_before_rerun, ids_before) == AT_DEATH[step]
    assert all(column(before, "row_key"))  # every key was in the sheet before the first POST

    report = world.run(backend.open(), "sync")
    values = backend.values()
    assert_exactly_once(world, values)
    assert world.emu.credits(TOKEN) == 1000 - 30
    # The rerun found what the killed run had created instead of sending it again.
    assert world.store_posts() == 30
    adopted = [r for r in report.rows if r.action == "adopt"]
    assert len(adopted) == posts_before_rerun - ids_before
    assert sum(1 for r in report.rows if r.action == "submitted") == 30 - posts_before_rerun


@pytest.mark.parametrize("step", [step for step, _ in CRASHES])
def test_a_google_sheet_sync_dying_at_each_step_then_rerun(world, tmp_path, step):
    """The same matrix on the Sheets backend, the death simulated in process."""
    backend = backend_handle("gsheets", tmp_path)
    backend.seed(sheet(30, targets="372"))
    table = DyingTable(backend.open(), step, dict(CRASHES)[step])
    with pytest.raises(Killed):
        world.run(
            table, "push", checkpoint=table.checkpoint,
            options=Options(batch_size=7, lock_folder=tmp_path / "locks", machine=world.machine,
                            lease=LeasePolicy(settle=0.0)),
        )  # fmt: skip
    before = backend.values()
    ids_before = sum(1 for i in column(before, "task_id") if i) if "task_id" in before[0] else 0
    assert (world.store_posts(), ids_before) == AT_DEATH[step]
    assert all(column(before, "row_key"))

    world.journals.pop().close()  # the dead process's connection
    world.run(backend.open(), "sync")
    assert_exactly_once(world, backend.values())
    assert world.store_posts() == 30 and world.emu.credits(TOKEN) == 1000 - 30
