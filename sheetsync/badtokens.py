"""When this machine last had an API token refused, per BacklinkBase address.

BacklinkBase answers 429 to every request from an address that sent more than 3 bad tokens in
a minute, the right token included. Each run sends a bad token once and stops, so the lockout
is reached over several runs: remembering the 401s (the time and the API address, never the
token) lets a later run explain its 429 instead of blaming another sync.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["LOCKOUT_SECONDS", "BadTokenMemo"]

#: How long after a bad token a 429 is put down to the lockout (its window is a minute).
LOCKOUT_SECONDS = 120.0


class BadTokenMemo:
    """Times of recent 401s per API address, in a small JSON file (or in memory with no path)."""

    def __init__(self, path: Path | None = None, *, clock: Callable[[], float] = time.time):
        self.path = path
        self._clock = clock
        self._memory: dict[str, float] = {}

    def record(self, address: str) -> None:
        """Note that `address` refused a token just now."""
        seen = self._load()
        now = self._clock()
        seen = {a: t for a, t in seen.items() if now - t < LOCKOUT_SECONDS}
        seen[address] = now
        self._save(seen)

    def recent(self, address: str) -> bool:
        """Whether `address` refused a token within the lockout's reach."""
        when = self._load().get(address)
        return when is not None and 0 <= self._clock() - when < LOCKOUT_SECONDS

    def _load(self) -> dict[str, float]:
        if self.path is None:
            return dict(self._memory)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): float(v) for k, v in data.items() if isinstance(v, (int, float))}

    def _save(self, seen: dict[str, float]) -> None:
        if self.path is None:
            self._memory = seen
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps(seen), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError:
            pass  # only an explanation is lost, never a request
