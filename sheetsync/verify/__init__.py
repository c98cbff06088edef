"""Checking that every paid placement really links to the article, and keeps doing so.

Three parts, each testable alone: `classify` (pure: a fetched page in, a status out),
`fetch` (polite, capped, safe fetching over many hosts), `schedule` (pure: history in, the
displayed status and the next due time out); `history` keeps the checks in the local state
database and `monitor.Verifier` ties them into a pull. The core never imports this package.
"""

from .classify import Check, classify
from .fetch import Fetcher, Policy
from .history import History
from .monitor import Verifier
from .schedule import Schedule

__all__ = ["Check", "Fetcher", "History", "Policy", "Schedule", "Verifier", "classify"]
