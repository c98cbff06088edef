"""Run one sync of an .xlsx sheet and SIGKILL this very process at a chosen step.

    python -m tests.sync.crash_runner SHEET BASE_URL JOURNAL LOCKS NOW STEP OCCURRENCE MACHINE

STEP is a checkpoint name the sync passes (before-post, after-post, after-journal,
before-sheet-write, ...) or "in-sheet-write": between the write's re-read and its cells being
saved. The process dies at the OCCURRENCE-th time the step is reached, as a crash would.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
from pathlib import Path

from sheetsync.client import Client
from sheetsync.journal import Journal
from sheetsync.tables.xlsx import XlsxTable
from sheetsync.workflow import Options, run

from .helpers import TOKEN


def main(argv: list[str]) -> int:
    sheet, base_url, journal_path, locks, now, step, occurrence, machine = argv
    when = dt.datetime.fromisoformat(now)
    remaining = {step: int(occurrence)}

    def checkpoint(name: str) -> None:
        if name in remaining:
            remaining[name] -= 1
            if remaining[name] == 0:
                os.kill(os.getpid(), signal.SIGKILL)

    class CrashingTable(XlsxTable):
        def _write_cells(self, cells, tab):
            checkpoint("in-sheet-write")
            return super()._write_cells(cells, tab)

    table = CrashingTable(Path(sheet), None)
    client = Client(TOKEN, base_url, rate_limit=0, timeout=(2.0, 5.0), max_retries=1)
    with Journal(journal_path) as journal:
        report = run(
            table, client, Options(batch_size=7, lock_folder=Path(locks), machine=machine), mode="push",
            journal=journal, checkpoint=checkpoint, clock=lambda: when,
        )  # fmt: skip
    print(report.exit_code)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
