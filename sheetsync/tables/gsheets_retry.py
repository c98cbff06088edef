"""When to ask Google Sheets again, and for how long: pure, with the sleep injected.

Google's quotas are per minute (60 reads and 60 writes per user), so a 429 can last until the
minute turns: waiting gives up only after `patience` seconds (90 by default, more than a whole
minute), and a Retry-After header is honoured.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RetryPolicy", "Waits"]


@dataclass
class RetryPolicy:
    """Capped, jittered exponential backoff; `sleep` and `random` are injectable."""

    #: Tries of one request (or one write) at most, whatever the patience left.
    attempts: int = 12
    base: float = 2.0
    cap: float = 32.0
    #: Seconds of waiting after which a transient failure (429, 5xx, network) is given up.
    patience: float = 90.0
    sleep: Callable[[float], None] = time.sleep
    random: Callable[[], float] = random.random

    def delay(self, attempt: int) -> float:
        """The wait before try `attempt + 2`: half of the capped doubling fixed, half jitter."""
        ceiling = min(self.cap, self.base * 2**attempt)
        return float(ceiling / 2 + self.random() * ceiling / 2)

    def waits(self) -> "Waits":
        """A fresh account of the waits of one operation."""
        return Waits(self)


@dataclass
class Waits:
    """The waits one operation made so far; `wait()` sleeps once more or says to give up."""

    policy: RetryPolicy
    tries: int = 1
    waited: float = 0.0

    def wait(self, retry_after: float | None = None) -> bool:
        """Sleep before the next try and return True, or return False when patience ran out."""
        if self.tries >= self.policy.attempts or self.waited >= self.policy.patience:
            return False
        seconds = self.policy.delay(self.tries - 1)
        if retry_after is not None and retry_after > seconds:
            seconds = min(float(retry_after), self.policy.patience)
        self.policy.sleep(seconds)
        self.waited += seconds
        self.tries += 1
        return True
