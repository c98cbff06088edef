"""SIGKILL the sync at every step of a 30-row push, then run again: nothing duplicated or lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import assert_exactly_once, backend_handle, column, sheet

ROOT = Path(__file__).resolve().parents[2]

# (step, occurrence): the batch size is 7, so sheet writes happen after the key assignment and
# after every 7th submission; occurrences are picked to land mid-run.
CRASHES = [
    ("before-post", 5),
    ("after-post", 12),
    ("after-journal", 20),
    ("before-sheet-write", 3),
    ("in-sheet-write", 2),
]


def crash(world, path: Path, step: str, occurrence: int) -> subprocess.CompletedProcess:
    args = [
        sys.executable, "-m", "tests.sync.crash_runner", str(path), world.server.base_url,
        str(world.journal_path), str(world.tmp_path / "locks"), world.now().isoformat(),
        step, str(occurrence),
    ]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.slow
@pytest.mark.parametrize("step,occurrence", CRASHES)
def test_sigkill_at_each_step_then_rerun(world, tmp_path, step, occurrence):
    backend = backend_handle("xlsx", tmp_path)
    backend.seed(sheet(30, targets="372"))
    killed = crash(world, backend.path, step, occurrence)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    posts_before_rerun = world.store_posts()
    assert 0 < posts_before_rerun <= 30 or step == "before-post"

    report = world.run(backend.open(), "sync")
    values = backend.values()
    assert_exactly_once(world, values)
    assert world.emu.credits("sync-test-token-7f3a9c") == 1000 - 30
    assert all(column(values, "task_id"))
    # The rerun found what the killed run had created instead of sending it again.
    assert world.store_posts() == 30
    adopted = [r for r in report.rows if r.action == "adopt"]
    assert len(adopted) == posts_before_rerun - _ids_written_before(values, report)

    world.run(backend.open(), "sync")
    assert world.store_posts() == 30


def _ids_written_before(values, report) -> int:
    """Rows whose task id the killed run had already written to the sheet."""
    return sum(1 for r in report.rows if r.action in ("refresh", "unchanged"))
