"""Clocks for the emulator: a real one (optionally accelerated) and a fake one tests drive."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """Current time, timezone-aware UTC."""
        ...


class RealClock:
    """Wall-clock time, optionally starting from `start` (`ScaledClock` does the acceleration)."""

    def __init__(self, *, start: dt.datetime | None = None):
        self._anchor_real = time.monotonic()
        self._anchor_now = start or dt.datetime.now(dt.timezone.utc)

    def now(self) -> dt.datetime:
        return self._anchor_now + dt.timedelta(seconds=time.monotonic() - self._anchor_real)

    def __repr__(self) -> str:
        return "RealClock()"


class FakeClock:
    """A clock that only moves when told to; thread-safe because the server reads it from threads."""

    def __init__(self, start: dt.datetime | None = None):
        start = start or dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.timezone.utc)
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._now = start.astimezone(dt.timezone.utc)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> dt.datetime:
        """Move time forward by `seconds` and return the new time."""
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        with self._lock:
            self._now += dt.timedelta(seconds=seconds)
            return self._now

    def set(self, when: dt.datetime) -> None:
        """Jump to `when` (not earlier than now)."""
        with self._lock:
            if when < self._now:
                raise ValueError("a clock does not go backwards")
            self._now = when

    def __repr__(self) -> str:
        return f"FakeClock({self.now().isoformat()})"


class ScaledClock:
    """Emulated time: `base` time with its elapsed part multiplied by `speed`.

    Rate limiting reads the unscaled base clock (a minute is a real minute for the client's
    pacing), while placements progress on the scaled one so a demo finishes in seconds.
    """

    def __init__(self, base: Clock, speed: float = 1.0, *, not_before: dt.datetime | None = None):
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.base = base
        self.speed = speed
        self._anchor_base = base.now()
        # Resuming a saved database: emulated time never runs backwards past what it served.
        self._anchor_now = max(self._anchor_base, not_before) if not_before else self._anchor_base

    def now(self) -> dt.datetime:
        if self.speed == 1.0 and self._anchor_now == self._anchor_base:
            return self.base.now()
        elapsed = (self.base.now() - self._anchor_base).total_seconds() * self.speed
        return self._anchor_now + dt.timedelta(seconds=elapsed)
