"""Running cycles until stopped: one instance per config, signals handled here only.

SIGTERM (and Ctrl-C) set a flag: the sheet in hand finishes, the loop ends, exit 0. SIGKILL at
any moment is safe: exactly-once lives in the sync's journal and the server's task list, and the
state database is written in transactions, so a restart resumes where it stopped.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import ConfigError, SheetBusyError
from ..lock import SheetLock
from .config import Account, ServiceConfig, SheetSpec
from .cycle import CycleReport, World, run_cycle
from .state import State


class Stopper:
    """The stop flag the cycle checks between sheets and the loop waits on between cycles."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal: int | None = None

    def __call__(self) -> bool:
        return self.event.is_set()

    def stop(self, signum: int | None = None, _frame: Any = None) -> None:
        self.signal = signum
        self.event.set()


@contextmanager
def handle_signals(stopper: Stopper) -> Iterator[None]:
    """SIGTERM and SIGINT stop the loop after the step in hand (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, stopper.stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextmanager
def instance_lock(config: ServiceConfig) -> Iterator[None]:
    """One service per config: a second one stops at once and names the first."""
    lock = SheetLock(config.state.parent, f"service:{config.path}", str(config.path))
    try:
        lock.acquire()
    except SheetBusyError:
        try:
            pid = lock.path.read_text().strip()
        except OSError:
            pid = ""
        holder = f"process {pid}" if pid.isdigit() else "another process"
        raise ConfigError(
            f"A service for {config.path} is already running ({holder}); stop it first "
            "(one instance per config keeps each row sent once and the quotas shared)."
        ) from None
    try:
        yield
    finally:
        lock.release()


def serve(
    config: ServiceConfig,
    world: World,
    *,
    once: bool = False,
    stopper: Stopper | None = None,
    wait: Callable[[float], bool] | None = None,
    on_cycle: Callable[[CycleReport], None] | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> int:
    """Run cycles every `config.interval` seconds until stopped (or once); returns cycles run."""
    stopper = stopper or Stopper()
    world.stop = stopper
    wait = wait or stopper.event.wait
    cycles = 0
    with instance_lock(config):
        state = State(config.state)
        try:
            while not stopper():
                started = monotonic()
                report = run_cycle(config, state, world)
                cycles += 1
                state.put("next_cycle", (world.now() + dt.timedelta(seconds=config.interval)).isoformat())
                if on_cycle is not None:
                    on_cycle(report)
                if once or stopper():
                    break
                wait(max(0.0, config.interval - (monotonic() - started)))
        finally:
            state.close()
    return cycles


def default_world(config: ServiceConfig, env: Mapping[str, str], *, journal: Any = None) -> World:
    """The real world: BacklinkBase clients per account, gspread per Google user, apprise."""
    from ..client import Client
    from ..journal import Journal
    from ..tables import open_table
    from .google import GoogleUsers
    from .notify import apprise_sender

    tokens = {name: acc.token(env) for name, acc in config.accounts.items()}
    clients: dict[str, Any] = {}

    def client(acc: Account) -> Any:
        if acc.name not in clients:
            clients[acc.name] = Client(tokens[acc.name], acc.api_url, rate_limit=acc.rate_limit)
        return clients[acc.name]

    users = GoogleUsers(env)

    def open_sheet(spec: SheetSpec) -> Any:
        if not spec.is_google:
            return open_table(spec.sheet, spec.worksheet)
        return open_table(spec.sheet, spec.worksheet, client=users.client(spec.credentials))

    from ..config import load_settings
    from ..verify.cli import link_checks

    # The link checks a sync runs after its pull, with the SHEETSYNC_CHECK_* settings.
    check_settings = load_settings({}, env=env, folder=config.path.parent)

    return World(
        after_pull=lambda spec: link_checks(check_settings, env),
        now=lambda: dt.datetime.now(dt.timezone.utc),
        open_table=open_sheet,
        client=client,
        drive=users.drive,
        journal=journal or Journal.default(),
        send=apprise_sender(config.notify),
        secrets=tuple(tokens.values()),
    )


def state_path(config: ServiceConfig) -> Path:
    return config.state
