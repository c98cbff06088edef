"""Running the emulator as a program (`sheetsync emulator`): serve until interrupted."""

from __future__ import annotations

import errno
import threading
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import ConfigError
from .clock import RealClock
from .emulator import Emulator
from .server import ServerHandle

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


def build(options: StandaloneOptions) -> Emulator:
    """An emulator for a person to use: real (optionally accelerated) time, one account.

    An account already saved in the database keeps its balance; emulated time resumes where
    the saved database left it, so tasks never appear to be created in the future.
    """
    if options.speed <= 0:
        raise ConfigError(f"--speed must be above 0, not {options.speed}; use e.g. --speed 60.")
    if options.credits < 0:
        raise ConfigError(f"--credits must be 0 or more, not {options.credits}; use e.g. --credits 100.")
    emulator = Emulator(
        db=options.db,
        clock=RealClock(),
        speed=options.speed,
        rate_limit=options.rate_limit,
        seed=options.seed,
        resume_time=options.db != ":memory:",
    )
    emulator.ensure_account(options.token, options.credits)
    return emulator


def serve_until_stopped(
    options: StandaloneOptions,
    ready: Callable[[ServerHandle, Emulator], None],
    stop: threading.Event | None = None,
) -> None:
    """Serve until `stop` is set or the user presses Ctrl-C (KeyboardInterrupt propagates)."""
    emulator = build(options)
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
    with handle:
        ready(handle, emulator)
        waiter = stop or threading.Event()
        # wait() in slices so Ctrl-C reaches the main thread promptly on every platform.
        while not waiter.wait(0.5):
            pass
