"""The lock that keeps two syncs of one sheet apart on one machine lives where no cleanup reaches."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid

import pytest

from sheetsync import errors
from sheetsync.lease import LeasePolicy
from sheetsync.lock import SheetLock
from sheetsync.workflow import Options

from .helpers import sheet

HOLD = """
import sys, time
from pathlib import Path
from sheetsync.lease import LeasePolicy
from sheetsync.lock import SheetLock
from sheetsync.workflow import Options
lock = SheetLock(Path(sys.argv[1]), sys.argv[2])
lock.acquire()
print("held", flush=True)
time.sleep(60)
"""


def test_deleting_the_state_folder_during_a_sync_does_not_let_a_second_one_start(world, backend, tmp_path):
    backend.seed(sheet(2))
    table = backend.open()
    folder = tmp_path / "state" / "locks"
    with SheetLock(folder, table.identity, table.display_name, machine=world.machine):
        shutil.rmtree(tmp_path / "state")  # a cleanup while the first sync runs
        with pytest.raises(errors.SheetBusyError, match="running on this machine"):
            world.run(table, options=world_options(world, folder))
    assert world.store_posts() == 0


def test_another_home_or_state_folder_on_the_same_machine_is_refused(world, backend, tmp_path):
    backend.seed(sheet(2))
    table = backend.open()
    with SheetLock(tmp_path / "home-a" / "locks", table.identity, machine=world.machine):
        with pytest.raises(errors.SheetBusyError):
            world.run(table, options=world_options(world, tmp_path / "home-b" / "locks"))
    assert world.store_posts() == 0
    world.run(backend.open(), options=world_options(world, tmp_path / "home-b" / "locks"))
    assert world.store_posts() == 2


@pytest.mark.slow
def test_a_holder_in_another_process_is_seen_and_a_killed_one_leaves_nothing_stale(tmp_path):
    folder = tmp_path / "locks"
    identity = f"xlsx:/shared/{uuid.uuid4().hex}.xlsx"  # no other test process holds it
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(folder), identity],
                             stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout.readline().strip() == "held"
        shutil.rmtree(folder)
        with pytest.raises(errors.SheetBusyError):
            SheetLock(tmp_path / "elsewhere", identity).acquire()
    finally:
        child.kill()
        child.wait()
    with SheetLock(tmp_path / "elsewhere", identity):
        pass


def world_options(world, folder) -> Options:
    return Options(lock_folder=folder, machine=world.machine, lease=LeasePolicy(settle=0.0))
