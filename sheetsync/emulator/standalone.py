"""Running the emulator as a program (`sheetsync emulator`): serve until interrupted."""

from __future__ import annotations

import contextlib
import errno
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from .clock import RealClock
from .emulator import Emulator
from .server import ServerHandle
from .store import Store, token_hash

DEFAULT_TOKEN = "demo-token"
DEFAULT_CREDITS = 100


@dataclass(frozen=True)
class StandaloneOptions:
    host: str = "127.0.0.1"
    port: int = 8787
    db: str = ":memory:"
    token: str = DEFAULT_TOKEN
    credits: int = DEFAULT_CREDITS
    speed: float = 1.0
    rate_limit: int = 60
    seed: int = 1
    top_up: int = 0  # credits added to the account, new or saved
    credits_given: bool = False  # --credits was on the command line (not the default)
    quiet: bool = False  # no request log on stderr
    page_latency: float = 0.0  # seconds before each result page answers
    site_hosts: bool = False  # result pages on <domain>.localhost


def account_line(options: StandaloneOptions, existed: bool, balance: int) -> str:
    """What happened to the local account's balance, in words (the banner's second line)."""
    if existed and options.credits_given and not options.top_up:
        return (
            f"credits: {balance} (the saved account in {options.db} keeps its balance; "
            f"--credits {options.credits} only sets up a new account; add credits with --top-up N)"
        )
    if options.top_up:
        return f"credits: {balance} (topped up by {options.top_up})"
    return f"credits: {balance}" + (" (saved account)" if existed else "")


def request_line(method: str, endpoint: str, status: int, ms: float) -> str:
    """One request, as the log on stderr shows it (the token is never part of it)."""
    return f"{method} {endpoint} {status} {ms:.0f} ms"


def build(options: StandaloneOptions) -> Emulator:
    """An emulator for a person to use: real (optionally accelerated) time, one account.

    An account already saved in the database keeps its balance; emulated time resumes where
    the saved database left it, so tasks never appear to be created in the future.
    """
    if options.speed <= 0:
        raise ConfigError(f"--speed must be above 0, not {options.speed}; use e.g. --speed 60.")
    if options.credits < 0:
        raise ConfigError(f"--credits must be 0 or more, not {options.credits}; use e.g. --credits 100.")
    if options.top_up < 0:
        raise ConfigError(f"--top-up must be 0 or more, not {options.top_up}; use e.g. --top-up 50.")
    emulator = Emulator(
        db=options.db,
        clock=RealClock(),
        speed=options.speed,
        rate_limit=options.rate_limit,
        seed=options.seed,
        resume_time=options.db != ":memory:",
    )
    emulator.pages.latency = options.page_latency
    emulator.pages.hosts = options.site_hosts
    emulator.ensure_account(options.token, options.credits)
    if options.top_up:
        emulator.top_up(options.token, options.top_up)
    return emulator


def serve_until_stopped(
    options: StandaloneOptions,
    ready: Callable[[ServerHandle, Emulator, bool], None],
    stop: threading.Event | None = None,
    log: Callable[[str], None] | None = None,
) -> None:
    """Serve until `stop` is set or the user presses Ctrl-C (KeyboardInterrupt propagates).

    `ready(server, emulator, existed)` is called once serving; `existed`: the account was
    already saved in the database. `log` gets one line per request unless `options.quiet`.
    """
    existed = _saved_account(options)
    emulator = build(options)
    if log is not None and not options.quiet:
        emulator.on_request = lambda *request: log(request_line(*request))
    try:
        handle = emulator.serve(options.host, options.port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"Port {options.port} on {options.host} is already in use; choose another with --port."
            ) from None
        raise ConfigError(
            f"Cannot listen on {options.host}:{options.port} ({exc.strerror}); check --host and --port."
        ) from None
    with handle, _interruptible():
        ready(handle, emulator, existed)
        waiter = stop or threading.Event()
        # wait() in slices so Ctrl-C reaches the main thread promptly on every platform.
        while not waiter.wait(0.5):
            pass


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl-C and SIGTERM stop the server, also where the emulator was started with SIGINT
    ignored (a background job of a script), which would otherwise leave it deaf to both."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    before = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def _saved_account(options: StandaloneOptions) -> bool:
    if options.db == ":memory:" or not Path(options.db).exists():
        return False
    store = Store(options.db)
    try:
        return store.credits(token_hash(options.token)) is not None
    finally:
        store.close()
