"""Requests and wall time of one sync, next to a naive row-by-row loop doing the same job.

Run: .venv/bin/python benchmarks/sync.py [--sizes 100,1000,10000] [--new 0,10,100]

Both sides run in the same process against the same services: the BacklinkBase emulator over
a real socket (rate limit off, so nobody sleeps) and the in-process fake of the Sheets API
behind the real gspread client. For each sheet size the sheet is first brought to a synced
state (every row but a held-back few submitted; not measured), then for each count of new
rows that many held-back rows are ticked ready and measured (after each case an unmeasured
sync settles the first refresh of the new tasks, so every case starts from a synced sheet):

- sync: `workflow.run(mode="sync")`: one task list, catalogue and credits when there is
  something to submit, one task/store per new row; one Sheets read, one re-read, one write.
- naive: what a first script would do: read the sheet once, then per row a `task/show`
  (or a `task/store` for a new row) and one Sheets `values.update` for that row.

"at quota" is the least time the requests need at the documented limits (60 BacklinkBase
requests a minute per token, 60 Sheets reads and 60 writes a minute per user): in a sliding
minute the first 60 go at once, every further one waits about a second.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gspread.utils import rowcol_to_a1  # noqa: E402

from sheetsync import columns as C  # noqa: E402
from sheetsync.client import Client  # noqa: E402
from sheetsync.emulator import Emulator, FakeClock  # noqa: E402
from sheetsync.journal import Journal  # noqa: E402
from sheetsync.plan import new_task  # noqa: E402
from sheetsync.sheet import map_header, read_rows  # noqa: E402
from sheetsync.tables.gsheets import RetryPolicy, open_google_sheet  # noqa: E402
from sheetsync.testing.fake_sheets import READ_KINDS, FakeSheets  # noqa: E402
from sheetsync.workflow import Options, run  # noqa: E402

TOKEN = "bench-token-not-secret"
TAB = "Articles"
HEADER = [C.NAME, C.ARTICLE_TITLE, C.ARTICLE_BODY, C.ARTICLE_URLS, C.TARGET_WEBSITE_IDS, C.READY]
START = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone.utc)
BODY = (
    "Community gardens turn empty lots into shared green space. Neighbours grow vegetables, "
    "swap seeds and meet people they would otherwise only pass in the street."
)


@dataclass
class Cost:
    api: int = 0
    sheets_reads: int = 0
    sheets_writes: int = 0
    seconds: float = 0.0

    @property
    def sheets(self) -> int:
        return self.sheets_reads + self.sheets_writes

    @property
    def at_quota_seconds(self) -> float:
        """Least time at 60 requests per sliding minute: 60 at once, then one a second."""
        return float(max(0, max(self.api, self.sheets_reads, self.sheets_writes) - 60))


@dataclass
class Line:
    rows: int
    new: int
    sync: Cost
    naive: Cost


class Bench:
    """One sheet of `rows` rows in the fake, one account on the emulator, one journal."""

    # Every sheet's articles differ from every other's: the account is shared, and a row whose
    # article matches a task sent from another sheet is (rightly) held as possibly sent already.
    made = 0

    def __init__(self, rows: int, hold: int, folder: Path, server_url: str, emulator: Emulator):
        self.rows = rows
        self.folder = folder
        self.emulator = emulator
        Bench.made += 1
        self.fake = FakeSheets()
        self.sheet_id = self.fake.create_spreadsheet("Benchmark", [TAB])
        values: list[list[Any]] = [list(HEADER)]
        for i in range(rows):
            ready = i < rows - hold  # the last `hold` rows wait to be ticked
            values.append([
                "", f"Benchmark sheet {Bench.made} article number {i} about community gardens", BODY,
                f"https://gardens.example.org/{i}", str(372 + (i % 3)), ready,
            ])
        self.fake.sheet(self.sheet_id, TAB).set_values(values)
        self.held = list(range(rows - hold + 2, rows + 2))  # sheet rows still not ready
        self.client = Client(TOKEN, server_url, rate_limit=0)
        self.journal = Journal(folder / f"journal-{rows}-{hold}.sqlite3")

    def table(self, sheet_id: str | None = None):
        return open_google_sheet(
            sheet_id or self.sheet_id, TAB, client=self.fake.client(), retry=RetryPolicy(sleep=lambda s: None)
        )

    def tick(self, count: int) -> None:
        """A person marks `count` held-back rows ready (straight in the store: not counted)."""
        sheet = self.fake.sheet(self.sheet_id, TAB)
        column = HEADER.index(C.READY) + 1
        for row in self.held[:count]:
            sheet.set_cell(row, column, True)
        del self.held[:count]

    def sync(self, batch_size: int = 20) -> Cost:
        return self._measure(lambda: run(
            self.table(), self.client, Options(batch_size=batch_size, lock_folder=self.folder),
            mode="sync", journal=self.journal, confirm=lambda plan: True, clock=self.emulator.now,
        ))

    def copy(self) -> str:
        """A second spreadsheet with the same cells, for the naive loop to work on."""
        values = self.fake.sheet(self.sheet_id, TAB).values()
        copy_id = self.fake.create_spreadsheet("Benchmark (naive)", [TAB])
        self.fake.sheet(copy_id, TAB).set_values(values)
        return copy_id

    def naive(self, sheet_id: str) -> Cost:
        return self._measure(lambda: self._naive(sheet_id))

    def _naive(self, sheet_id: str) -> None:
        with self.table(sheet_id) as table:
            grid = table.read()
        hm = map_header(grid.header)
        worksheet = self.fake.client().open_by_key(sheet_id).worksheet(TAB)
        header = list(grid.header)
        for name in (C.TASK_ID, C.STATUS):
            if name not in header:
                header.append(name)
                worksheet.update([[name]], rowcol_to_a1(1, len(header)), raw=True)
        status_col = header.index(C.STATUS) + 1
        task_col = header.index(C.TASK_ID) + 1
        for row in read_rows(grid, hm):
            if row.task_id:
                task = self.client.task(row.task_id)
                worksheet.update(
                    [[str(task.status)]], rowcol_to_a1(row.row, status_col), raw=True
                )
            elif row.ready and not row.problems:
                task_id = self.client.create_task(new_task(row, "naive", False))
                worksheet.update(
                    [[task_id]], rowcol_to_a1(row.row, task_col), raw=True
                )

    def _measure(self, work) -> Cost:
        self.fake.reset_counts()
        before = self.client.requests_made
        started = time.perf_counter()
        work()
        seconds = time.perf_counter() - started
        reads = sum(n for kind, n in self.fake.counts.items() if kind in READ_KINDS)
        writes = sum(self.fake.counts.values()) - reads
        return Cost(self.client.requests_made - before, reads, writes, seconds)


def measure_size(rows: int, news: list[int], folder: Path, server_url: str, emulator: Emulator) -> list[Line]:
    wanted = sorted(n for n in news if n <= rows)
    shared = sum(wanted) <= rows
    lines = []
    bench = None
    for new in wanted:
        if bench is None or not shared:
            # One sheet for all cases when it can hold every case's new rows; else one per case.
            bench = Bench(rows, sum(wanted) if shared else new, folder, server_url, emulator)
            # Bring the sheet to a synced state (not measured); big batches keep set-up short.
            bench.sync(batch_size=1000)
            bench.sync()
        bench.tick(new)
        copy_id = bench.copy()
        sync = bench.sync()
        naive = bench.naive(copy_id)
        lines.append(Line(rows, new, sync, naive))
        # The first refresh after a submission fetches the new tasks' details once; settle that
        # here so the next case measures only its own new rows.
        bench.sync()
        print(f"  measured {rows} rows, {new} new", file=sys.stderr, flush=True)
    return lines


def duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def table(lines: list[Line]) -> str:
    out = [
        "| rows | new | sync: API req | sync: Sheets req (r+w) | sync: time | sync: at quota "
        "| naive: API req | naive: Sheets req (r+w) | naive: time | naive: at quota |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for line in lines:
        s, n = line.sync, line.naive
        out.append(
            f"| {line.rows:,} | {line.new} | {s.api} | {s.sheets} ({s.sheets_reads}+{s.sheets_writes}) "
            f"| {s.seconds:.2f} s | {duration(s.at_quota_seconds)} "
            f"| {n.api:,} | {n.sheets:,} ({n.sheets_reads}+{n.sheets_writes}) "
            f"| {n.seconds:.2f} s | {duration(n.at_quota_seconds)} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="sheet sizes, comma-separated")
    parser.add_argument("--new", default="0,10,100", help="new rows per sync, comma-separated")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    news = [int(s) for s in args.new.split(",") if s.strip()]

    emulator = Emulator(db=":memory:", clock=FakeClock(start=START), rate_limit=0, seed=1)
    emulator.add_account(TOKEN, 10**9)
    lines: list[Line] = []
    with tempfile.TemporaryDirectory() as tmp, emulator.serve() as server:
        for rows in sizes:
            lines += measure_size(rows, news, Path(tmp), server.base_url, emulator)
    print(table(lines))


if __name__ == "__main__":
    main()
