"""The sheet lease: one sync at a time submits rows from a sheet, on whatever machine it runs.

The host lock (`lock.py`) keeps two syncs on one machine apart; two machines, two containers or
two cron accounts share only the sheet, so the claim lives there, in a small tab of its own
("sheetsync lease": who submits, and until when). A sync that is about to submit reads the tab,
writes its claim when nobody else holds a live one, waits `settle` seconds (at least twice what
its own read and write took), and reads the tab again: only if its claim is still there does it
send anything. Two syncs that claim at once both read the tab back after the later write has
landed, so at most one finds its own claim. Where the backend refuses a write over someone
else's (an .xlsx file's bytes are compared before it is replaced), a short wait is enough.

Before each submission the holder renews the claim when less than half of it is left; a
crashed holder's claim runs out after `duration` seconds, and at once on its own machine when
its process is gone. Machines' clocks must agree to within a minute or two: a claim is judged
by the reader's clock.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from .errors import SheetBusyError, TableError
from .lock import machine_name, process_alive
from .own_tabs import LEASE_HEADER, LEASE_TAB, is_own, own_tab_message
from .tables.base import Tab, Table

_ABOUT = (
    "sheetsync notes here which sync is sending rows of this sheet to BacklinkBase, so that two "
    "syncs never send the same row; leave this tab as it is."
)
_FREE = "Nobody is sending rows now."


@dataclass(frozen=True)
class LeasePolicy:
    """How long a claim lasts, how long to wait before trusting it, and how often to try."""

    duration: float = 300.0
    settle: float = 1.0
    #: The wait where the backend refuses a write over someone else's (`Table.checked_writes`).
    checked_settle: float = 0.05
    attempts: int = 3


@dataclass(frozen=True)
class Claim:
    """One sync's claim on the sheet, as the lease tab shows it."""

    holder: str
    machine: str
    pid: int
    expires: dt.datetime

    def describe(self) -> str:
        return (
            f"a sync on {self.machine} (process {self.pid}) holds the sheet until "
            f"{self.expires.strftime('%Y-%m-%d %H:%M:%SZ')}"
        )


class SheetLease:
    """This run's claim on one sheet. `acquire`, then `keep` before each submission, `release`."""

    def __init__(
        self,
        table: Table,
        policy: LeasePolicy = LeasePolicy(),
        *,
        clock: Callable[[], dt.datetime],
        machine: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        alive: Callable[[int], bool] = process_alive,
        rng: random.Random | None = None,
    ):
        self.table = table
        self.policy = policy
        self.clock = clock
        self.machine = machine or machine_name()
        self.pid = os.getpid()
        self.holder = secrets.token_hex(6)
        self.sleep = sleep
        self.monotonic = monotonic
        self.alive = alive
        self.rng = rng or random.Random()
        self.held: Claim | None = None

    def acquire(self) -> Claim | None:
        """Claim the sheet: None once it is ours, else the live claim of whoever holds it."""
        seen: Claim | None = None
        for attempt in range(max(1, self.policy.attempts)):
            if attempt:
                self.sleep(self.policy.settle * self.rng.uniform(0.5, 1.5))
            started = self.monotonic()
            current = self._read()
            if current is not None and self._live(current):
                return current
            mine = self._claim()
            try:
                self._write(mine)
            except SheetBusyError:
                continue  # the file changed under our write: someone else was writing it
            if self.table.checked_writes:
                self.sleep(self.policy.checked_settle)
            else:
                self.sleep(max(self.policy.settle, 2 * (self.monotonic() - started)))
            back = self._read()
            if back is not None and back.holder == self.holder:
                self.held = mine
                return None
            seen = back
            if back is not None and self._live(back):
                return back
        return seen or Claim("", "another machine", 0, self.clock())

    def keep(self) -> bool:
        """Whether the claim still holds for at least half its length (renewed when needed)."""
        if self.held is None:
            return False
        left = (self.held.expires - self.clock()).total_seconds()
        if left > self.policy.duration / 2:
            return True
        try:
            current = self._read()
            if current is None or current.holder != self.holder:
                self.held = None
                return False
            mine = self._claim()
            self._write(mine)
        except SheetBusyError:
            return False  # cannot renew now: stop sending rather than outlive the claim
        self.held = mine
        return True

    def release(self) -> None:
        """Clear the claim if it is still ours; when that fails it simply runs out."""
        if self.held is None:
            return
        self.held = None
        for _ in range(3):
            try:
                current = self._read()
                if current is not None and current.holder == self.holder:
                    self._write(None)
                return
            except SheetBusyError:
                continue  # the file changed under the write (another sync's save): read again
            except TableError:
                return

    # --- the tab ---------------------------------------------------------------------------

    def _live(self, claim: Claim) -> bool:
        """Whether another sync's claim still stands."""
        if claim.holder == self.holder or claim.expires <= self.clock():
            return False
        if claim.machine == self.machine:
            # On this machine the host lock already keeps other processes out: a claim of this
            # machine is a crashed run's (its process gone), or this process's own leftover.
            return claim.pid != self.pid and self.alive(claim.pid)
        return True

    def _claim(self) -> Claim:
        expires = self.clock() + dt.timedelta(seconds=self.policy.duration)
        return Claim(self.holder, self.machine, self.pid, expires.replace(microsecond=0))

    def _read(self) -> Claim | None:
        rows = self.table.read_tab(LEASE_TAB)
        if rows is None:
            return None
        if rows and not is_own(rows[0], LEASE_HEADER):
            raise TableError(own_tab_message(LEASE_TAB, rows[0], "which sync is sending rows"))
        if len(rows) < 2:
            return None
        cells = list(rows[1]) + [""] * len(LEASE_HEADER)
        holder, machine, pid, expires = (c.strip() for c in cells[:4])
        if not holder:
            return None
        try:
            when = dt.datetime.fromisoformat(expires.replace("Z", "+00:00"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.timezone.utc)
            number = int(pid) if pid else 0
        except ValueError:
            # Edited by hand into something unreadable: treat it as expired, not as held forever.
            return None
        return Claim(holder, machine, number, when)

    def _write(self, claim: Claim | None) -> None:
        if claim is None:
            row: tuple[str, ...] = ("", "", "", "", _FREE)
        else:
            row = (claim.holder, claim.machine, str(claim.pid),
                   claim.expires.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), _ABOUT)
        self.table.write_tab(Tab(LEASE_TAB, LEASE_HEADER, (row,), hidden=True))
