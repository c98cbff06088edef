"""Sliding-window request limits: per token, and for bad tokens per client address."""

from __future__ import annotations

import threading
from collections import deque


class SlidingWindow:
    """Counts events per key over the last `window` seconds; thread-safe."""

    def __init__(self, limit: int, window: float = 60.0):
        self.limit = limit
        self.window = window
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def full(self, key: str, now: float) -> bool:
        """True when `key` already used its `limit` in the window (limit 0: never)."""
        if self.limit <= 0:
            return False
        with self._lock:
            return len(self._trim(key, now)) >= self.limit

    def hit(self, key: str, now: float) -> None:
        if self.limit <= 0:
            return
        with self._lock:
            self._trim(key, now).append(now)

    def try_hit(self, key: str, now: float) -> bool:
        """Record one event unless the window is full; False means refused."""
        if self.limit <= 0:
            return True
        with self._lock:
            events = self._trim(key, now)
            if len(events) >= self.limit:
                return False
            events.append(now)
            return True
