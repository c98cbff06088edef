"""Client-side pacing: stay at or under BacklinkBase's per-token request limit by ourselves.

The service allows 60 requests a minute per token and answers 429 beyond that. Every thread
and every `Client` that uses the same token against the same base URL shares one sliding
window, found in a module-level registry keyed by a hash of token and URL (never the token).

The server counts requests when they arrive, the client when it sends them: a first request
slowed by its TCP and TLS handshake arrives later than it left, so a window of exactly 60 s
would let the 61st arrive inside the server's minute. Shared windows are a little longer.
"""

from __future__ import annotations

import collections
import hashlib
import threading
import time
from collections.abc import Callable

WINDOW_SECONDS = 60.0
# Slack for the difference between send and arrival times (see above).
LATENCY_MARGIN = 1.0


class SlidingWindowLimiter:
    """At most `limit` acquisitions in any `window` seconds; `limit=0` disables pacing.

    Entries are the times requests go out, reserved in order (possibly in the near future),
    so any `window` seconds hold at most `limit` of them.
    """

    def __init__(
        self,
        limit: int,
        window: float = WINDOW_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if limit < 0:
            raise ValueError("rate limit must be 0 (off) or a positive number of requests")
        self._limit = limit
        self._window = window
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._sent: collections.deque[float] = collections.deque()

    @property
    def limit(self) -> int:
        return self._limit

    def tighten(self, limit: int) -> None:
        """Lower the limit (never raise it): the strictest caller sharing the token wins."""
        with self._lock:
            if limit > 0 and (self._limit == 0 or limit < self._limit):
                self._limit = limit

    def wait_time(self) -> float:
        """Seconds until a slot frees up (0.0 when one is free now); does not take a slot."""
        with self._lock:
            now = self._clock()
            return self._slot_locked(now) - now

    def acquire(self) -> float:
        """Take a slot, sleeping until it comes. Returns the seconds waited.

        The slot is reserved under the lock and slept for outside it, so concurrent callers
        queue up in order, and an injected sleep that does not move the clock cannot spin.
        """
        with self._lock:
            now = self._clock()
            slot = self._slot_locked(now)
            if self._limit:
                self._sent.append(slot)
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return max(0.0, wait)

    def _slot_locked(self, now: float) -> float:
        """When the next request may go: now, or when the `limit`-th latest leaves the window."""
        if not self._limit:
            return now
        # A request sent exactly `window` seconds ago has left the window.
        while self._sent and self._sent[0] <= now - self._window:
            self._sent.popleft()
        if len(self._sent) < self._limit:
            return now
        return max(now, self._sent[-self._limit] + self._window)


_REGISTRY: dict[str, SlidingWindowLimiter] = {}
_REGISTRY_LOCK = threading.Lock()


def registry_key(token: str, base_url: str) -> str:
    """The registry key for a token and URL: a SHA-256 hash, so the token is never stored."""
    return hashlib.sha256(f"{base_url}\0{token}".encode("utf-8")).hexdigest()


def shared_limiter(
    token: str,
    base_url: str,
    limit: int,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> SlidingWindowLimiter:
    """The limiter every client of this token and URL shares; a private no-op when `limit=0`.

    The first caller's clock and sleep are kept; later callers can only lower the limit.
    """
    if limit == 0:
        return SlidingWindowLimiter(0, clock=clock, sleep=sleep)
    key = registry_key(token, base_url)
    with _REGISTRY_LOCK:
        limiter = _REGISTRY.get(key)
        if limiter is None:
            limiter = _REGISTRY[key] = SlidingWindowLimiter(
                limit, WINDOW_SECONDS + LATENCY_MARGIN, clock=clock, sleep=sleep
            )
        else:
            limiter.tighten(limit)
        return limiter


def forget_limiters() -> None:
    """Drop every shared limiter (for a process that switches tokens, and for tests)."""
    with _REGISTRY_LOCK:
        _REGISTRY.clear()
