"""`sheetsync serve` as a process: --once, status, one instance per config, SIGTERM, SIGKILL."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sheetsync.emulator import Emulator

from .harness import column, rows, write_xlsx, xlsx_values

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "process-token-93ad1c"
pytestmark = pytest.mark.slow


@pytest.fixture
def emulator():
    emu = Emulator(db=":memory:", rate_limit=0, seed=5)
    emu.add_account(TOKEN, 10_000)
    with emu.serve(port=0) as server:
        yield emu, server


def setup(tmp_path: Path, base_url: str, sheets: int, n: int, interval: int = 1) -> Path:
    lines = [f"interval = {interval}", "[accounts.acme]", 'token_env = "ACME_TOKEN"', f'api_url = "{base_url}"']
    for s in range(sheets):
        path = write_xlsx(tmp_path / f"sheet{s}.xlsx", rows(n, start=100 * s + 1, targets="372"))
        lines += ["[[sheets]]", f'sheet = "{path.name}"', 'account = "acme"', f'client = "Client {s}"']
    config = tmp_path / "agency.toml"
    config.write_text("\n".join(lines) + "\n")
    return config


def env(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT), ACME_TOKEN=TOKEN, XDG_DATA_HOME=str(tmp_path / "data"))


def start(tmp_path: Path, config: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sheetsync", "serve", "--config", str(config), *args],
        cwd=tmp_path, env=env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sheetsync", *args], cwd=tmp_path, env=env(tmp_path),
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_once_then_status_and_one_instance_per_config(tmp_path, emulator):
    emu, server = emulator
    config = setup(tmp_path, server.base_url, 2, 2)
    done = run_cli(tmp_path, "serve", "--config", str(config), "--once")
    assert done.returncode == 0, done.stderr
    assert TOKEN not in done.stdout + done.stderr
    assert len(emu.task_rows(TOKEN)) == 4
    assert "Client 1 (first read): 2 submitted, 2 credit(s)" in done.stdout
    status = run_cli(tmp_path, "status", "--config", str(config))
    assert status.returncode == 0, status.stderr
    assert "Client 0" in status.stdout and "Client 1" in status.stdout
    assert "acme" in status.stdout and "4" in status.stdout  # spent this month
    # A second service for the same config refuses to start while one runs.
    first = start(tmp_path, config)
    try:
        time.sleep(1.5)
        second = run_cli(tmp_path, "serve", "--config", str(config), "--once")
        assert second.returncode == 2
        assert "already running (process" in second.stderr and str(first.pid) in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
    assert first.returncode == 0


def test_sigterm_finishes_the_sheet_in_hand_and_exits_0(tmp_path, emulator):
    emu, server = emulator
    config = setup(tmp_path, server.base_url, 3, 2)
    emu.faults.inject("task/store", "hang", count=6, seconds=0.4)
    proc = start(tmp_path, config)
    deadline = time.monotonic() + 20
    while not emu.task_rows(TOKEN) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    sent = len(emu.task_rows(TOKEN))
    assert sent in (2, 4)  # whole sheets only: the one in hand was finished, no other started
    finished = 0
    for s in range(3):
        values = xlsx_values(tmp_path / f"sheet{s}.xlsx")
        ids = column(values, "task_id") if "task_id" in values[0] else []
        assert all(ids) or not any(ids)
        finished += bool(ids and all(ids))
    assert finished * 2 == sent


def test_nothing_is_sent_twice_through_sigkill_at_random_moments(tmp_path, emulator):
    emu, server = emulator
    config = setup(tmp_path, server.base_url, 3, 5)
    rng = random.Random(int(os.environ.get("SHEETSYNC_KILL_SEED", "11")))
    emu.faults.inject("task/store", "hang", count=15, seconds=0.25)
    for _ in range(4):  # bounded: four kills, each at a random moment
        proc = start(tmp_path, config)
        time.sleep(rng.uniform(0.8, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    final = run_cli(tmp_path, "serve", "--config", str(config), "--once")
    assert final.returncode == 0, final.stderr
    tasks = emu.task_rows(TOKEN)
    markers = [str(t["name"]).split()[-1] for t in tasks]
    assert len(markers) == len(set(markers)) == 15, sorted(markers)
    by_id = {t["id"]: t for t in tasks}
    for s in range(3):
        values = xlsx_values(tmp_path / f"sheet{s}.xlsx")
        for key, task_id in zip(column(values, "row_key"), column(values, "task_id"), strict=True):
            assert str(by_id[task_id]["name"]).split()[-1] == key
