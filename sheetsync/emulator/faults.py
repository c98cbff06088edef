"""Faults a test can inject into the next requests to an endpoint.

Each fault is consumed by one request to its endpoint ("*" matches any endpoint), in the
order injected.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

KINDS = ("500", "hang", "reset_after_commit", "html", "429")


@dataclass(frozen=True)
class Fault:
    """One injected failure.

    - "500": a JSON 500 answer; the request is not processed unless `after_commit`.
    - "html": an HTML error page (status `status`, default 502), like a proxy in front of the
      service; not processed unless `after_commit`.
    - "429": the documented rate-limit answer; not processed.
    - "hang": the request is processed, then the answer waits `seconds` (past the client's read
      timeout) before it is sent.
    - "reset_after_commit": the request is processed and committed, then the connection is
      closed without an answer.
    """

    kind: str
    seconds: float = 2.0
    status: int | None = None
    after_commit: bool = False


class Faults:
    """Thread-safe queue of faults per endpoint."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Fault]] = {}
        # Set when the server stops, so hanging requests end instead of holding threads.
        self.stopping = threading.Event()

    def inject(
        self,
        endpoint: str,
        kind: str,
        count: int = 1,
        *,
        seconds: float = 2.0,
        status: int | None = None,
        after_commit: bool = False,
    ) -> None:
        """Make the next `count` requests to `endpoint` (e.g. "task/store") fail as `kind`."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {', '.join(KINDS)}")
        if count < 1:
            raise ValueError("count must be at least 1")
        if after_commit and kind not in ("500", "html"):
            # "hang" and "reset_after_commit" always commit; a "429" never does.
            raise ValueError(f"after_commit applies to '500' and 'html' faults, not {kind!r}")
        fault = Fault(kind=kind, seconds=seconds, status=status, after_commit=after_commit)
        with self._lock:
            self._queues.setdefault(endpoint.strip("/"), deque()).extend([fault] * count)

    def take(self, endpoint: str) -> Fault | None:
        """The next fault for this endpoint, consumed; None when there is none."""
        with self._lock:
            for key in (endpoint, "*"):
                queue = self._queues.get(key)
                if queue:
                    return queue.popleft()
        return None

    def pending(self, endpoint: str | None = None) -> int:
        """How many injected faults are still waiting (for one endpoint, or in total)."""
        with self._lock:
            if endpoint is not None:
                return len(self._queues.get(endpoint.strip("/"), ()))
            return sum(len(q) for q in self._queues.values())

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()
