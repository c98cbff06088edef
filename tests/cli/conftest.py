"""Fixtures for command-line tests: an emulator on a real socket, and a runner wired to it."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sheetsync.cli import Runtime, cli
from sheetsync.demo import DEMO_START
from sheetsync.emulator import Emulator, FakeClock

CANARY = "canary-7f3a9c51e2d84b06"
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Harness:
    """Runs `sheetsync ...` in-process against the emulator, with a fake clock and no sleeping."""

    emulator: Emulator
    clock: FakeClock
    base_url: str
    folder: Path
    env: dict[str, str]
    token: str = CANARY
    slept: list[float] = field(default_factory=list)
    interactive: bool = False

    def sleep(self, seconds: float) -> None:
        # Time passes for the emulator instead of for the test.
        assert len(self.slept) < 200, "still waiting after 200 sleeps: a loop that never ends"
        self.slept.append(seconds)
        self.clock.advance(seconds)

    def waits(self) -> list[float]:
        """The `--watch` waits: the sheet lease's settles (under 2 s) left out."""
        return [s for s in self.slept if s >= 2]

    def invoke(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        runtime = Runtime(
            env={**self.env, **(env or {})},
            folder=self.folder,
            interactive=lambda: self.interactive,
            sleep=self.sleep,
            stderr_is_terminal=lambda: False,
        )
        return CliRunner().invoke(cli, list(args), obj=runtime, input=input, catch_exceptions=False)

    def json(self, *args: str, **kw: Any) -> tuple[Result, dict[str, Any]]:
        result = self.invoke(*args, "--json", **kw)
        return result, json.loads(result.stdout)


def assert_no_canary(result: Result) -> None:
    assert CANARY not in result.stdout
    assert CANARY not in result.stderr


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Emulator, FakeClock, str]]:
    """One emulator per test module (starting and stopping a server costs half a second)."""
    clock = FakeClock(start=DEMO_START)
    emulator = Emulator(db=":memory:", clock=clock, rate_limit=0, seed=1)
    with emulator.serve(host="127.0.0.1", port=0) as server:
        yield emulator, clock, server.base_url


@pytest.fixture
def harness(served, tmp_path: Path, request) -> Harness:
    """A fresh account per test (its own task list), whose token contains the canary."""
    emulator, clock, base_url = served
    token = f"{CANARY}-{abs(hash(request.node.nodeid)) % 10**8}"
    emulator.add_account(token, 50)
    env = {
        "BACKLINKBASE_API_TOKEN": token,
        "BACKLINKBASE_API_URL": base_url,
        "SHEETSYNC_RATE_LIMIT": "0",
        "SHEETSYNC_STATE_DIR": str(tmp_path / "state"),
        # The fake Sheets API hands out the same ids in every test process; a machine name of
        # its own keeps this test's host lock apart from a test running elsewhere at once.
        "SHEETSYNC_MACHINE": f"test-{uuid.uuid4().hex[:12]}",
    }
    return Harness(emulator, clock, base_url, tmp_path, env, token=token)


@pytest.fixture
def demo_sheet(tmp_path: Path) -> Path:
    """A fresh copy of the committed demo workbook."""
    target = tmp_path / "demo.xlsx"
    target.write_bytes((ROOT / "sample_sheets" / "demo.xlsx").read_bytes())
    return target


TODAY = dt.date(DEMO_START.year, DEMO_START.month, DEMO_START.day)
