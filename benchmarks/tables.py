"""Cost of one read + write-back per backend, next to the bare library doing the same work.

Run: .venv/bin/python benchmarks/tables.py [--sizes 100,1000,10000] [--repeat 3] [--backends xlsx,gsheets]
     [--wire-sizes 1000,10000]

For .xlsx (`--xlsx-sizes`, `--xlsx-repeat`) the baseline is a bare `openpyxl.load_workbook` +
`save` of the same file; peak memory there is each side's own process. The sync itself writes every row's owned columns
(task_id, status, last_synced) by key, in two cases: a first sync, where those columns are
empty (the saved file then has 3 more cells per row than the bare save writes), and a
re-sync, where they hold the previous run's values. Time is the best of `--repeat` runs, the
sync and the baseline interleaved so that a busy machine slows both; Google's peak memory is
measured by tracemalloc in separate runs, because tracing slows Python down.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sheetsync.tables.base import RowWrite, Table, WriteBack  # noqa: E402
from sheetsync.tables.gsheets import open_google_sheet  # noqa: E402
from sheetsync.tables.xlsx import XlsxTable  # noqa: E402
from sheetsync.testing.fake_sheets import FakeSheets  # noqa: E402

COLUMNS = 12
HEADER = [
    "name", "article_title", "article_body", "article_urls", "target_website_ids",
    "schedule_from", "schedule_till", "ready", "row_key", "task_id", "status", "last_synced",
]


@dataclass
class Row:
    backend: str
    rows: int
    seconds: float
    peak_mb: float
    base_seconds: float
    base_peak_mb: float
    case: str = ""
    cpu_seconds: float = 0.0
    base_cpu_seconds: float = 0.0
    #: The bare library doing the same cell edits between its load and save (0 = not measured).
    edits_cpu_seconds: float = 0.0
    #: Anything else the row should say (the Google rows: Sheets API requests per cycle).
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.seconds / self.base_seconds

    @property
    def cpu_ratio(self) -> float:
        return self.cpu_seconds / self.base_cpu_seconds if self.base_cpu_seconds else float("nan")

    @property
    def edits_ratio(self) -> float:
        return self.cpu_seconds / self.edits_cpu_seconds if self.edits_cpu_seconds else float("nan")


@dataclass
class Cost:
    seconds: float = float("inf")  # best wall time
    cpu_seconds: float = float("inf")  # best CPU time: steadier when the machine is shared
    peak_mb: float = 0.0


def measure(contenders: list[Callable[[], object]], repeat: int) -> list[Cost]:
    """The cost of each contender, their timed runs interleaved."""
    costs = [Cost() for _ in contenders]
    for _ in range(repeat):
        for fn, cost in zip(contenders, costs):
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            cost.seconds = min(cost.seconds, time.perf_counter() - wall)
            cost.cpu_seconds = min(cost.cpu_seconds, time.process_time() - cpu)
    for fn, cost in zip(contenders, costs):
        gc.collect()
        tracemalloc.start()
        fn()
        cost.peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return costs


# --- xlsx ------------------------------------------------------------------------------------
# The baseline is a bare `openpyxl.load_workbook` + `save` of the same file: what a backend that
# rebuilds the workbook costs at the least. The goal for the package-editing backend is at most
# 0.3x its time and 0.5x its peak memory, and a write-back whose cost does not grow with the
# other tabs (their parts are copied, never parsed). Peak memory is the peak RSS of a fresh
# process doing only that job: lxml allocates in C, where tracemalloc cannot see.


def make_workbook(path: Path, rows: int, synced_before: bool, other_tabs: int = 0) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Articles"
    ws.append(HEADER)
    for i in range(rows):
        owned = [f"t{i}", "Publishing", "2025-02-28 09:00"] if synced_before else [None, None, None]
        ws.append([
            f"Article {i}", f"How to pick a good title number {i}", "A body of about twenty words. " * 3,
            f"https://example.com/a/{i}", "388, 372", "2025-03-01", "2025-03-08", True,
            f"k{i:06d}", *owned,
        ])
    for t in range(other_tabs):
        other = wb.create_sheet(f"Other {t + 1}")
        for r in range(1000):  # 10,000 cells: 1,000 rows of 10
            other.append([f"note {t}-{r}-{c}" if c % 2 else r * c for c in range(10)])
    wb.save(path)


def sync_cycle(table: Table) -> None:
    """What a sync does to a table: one read, then every row's owned columns written by key."""
    grid = table.read()
    write_back(table, grid)


def write_back(table: Table, grid) -> None:
    key = grid.header.index("row_key")
    writes = tuple(
        RowWrite(str(row[key]), {"task_id": f"t{i}", "status": "Queued Publishing", "last_synced": "2025-03-01T10:00Z"},
                 read_row=grid.row_number(i))
        for i, row in enumerate(grid.rows)
    )
    result = table.write(WriteBack("row_key", "article_title", writes))
    assert len(result.written) == len(grid.rows), result.lost[:3]


def xlsx_sync(path: Path) -> None:
    sync_cycle(XlsxTable(path, "Articles"))


def xlsx_bare(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    wb.save(path)


@dataclass
class XlsxRow:
    rows: int
    other_tabs: int
    case: str
    read_s: float
    write_s: float
    bare_s: float
    rss_mb: float
    bare_rss_mb: float

    @property
    def seconds(self) -> float:
        return self.read_s + self.write_s

    @property
    def ratio(self) -> float:
        return self.seconds / self.bare_s

    @property
    def rss_ratio(self) -> float:
        return self.rss_mb / self.bare_rss_mb


# Each child imports only what its job needs, so that neither pays for the other's libraries.
_CHILD = {
    "sync": (
        "from sheetsync.tables.xlsx import XlsxTable\n"
        "from sheetsync.tables.base import RowWrite, WriteBack\n"
        "table = XlsxTable(PATH, 'Articles')\n"
        "grid = table.read()\n"
        "key = grid.header.index('row_key')\n"
        "writes = tuple(RowWrite(str(row[key]), {'task_id': f't{i}', 'status': 'Queued Publishing',"
        " 'last_synced': '2025-03-01T10:00Z'}, read_row=grid.row_number(i)) for i, row in enumerate(grid.rows))\n"
        "assert len(table.write(WriteBack('row_key', 'article_title', writes)).written) == len(grid.rows)\n"
    ),
    "bare": "import openpyxl\nwb = openpyxl.load_workbook(PATH)\nwb.save(PATH)\n",
}
_PEAK = (
    "for line in open('/proc/self/status'):\n"
    "    if line.startswith('VmHWM:'):\n"
    "        print(int(line.split()[1]))\n"
)


def peak_rss_mb(job: str, path: Path) -> float:
    """Peak resident memory (VmHWM) of a fresh process that runs only `job` on `path`."""
    code = f"PATH = {str(path)!r}\n" + _CHILD[job] + _PEAK
    root = str(Path(__file__).resolve().parent.parent)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    return float(done.stdout.strip()) / 1024


def bench_xlsx(sizes: list[int], repeat: int, folder: Path) -> list[XlsxRow]:
    results = []
    for n in sizes:
        for others in (0, 3):
            for case, synced_before in (("first sync", False), ("re-sync", True)):
                source = folder / f"articles-{n}-{others}-{synced_before}.xlsx"
                make_workbook(source, n, synced_before, others)
                copy = folder / f"copy-{n}.xlsx"
                best = {"read": float("inf"), "write": float("inf"), "bare": float("inf")}
                for _ in range(repeat):
                    # Interleaved, so that a busy machine slows both sides alike.
                    shutil.copyfile(source, copy)
                    gc.collect()
                    start = time.perf_counter()
                    xlsx_bare(copy)
                    best["bare"] = min(best["bare"], time.perf_counter() - start)
                    shutil.copyfile(source, copy)
                    gc.collect()
                    table = XlsxTable(copy, "Articles")
                    start = time.perf_counter()
                    grid = table.read()
                    middle = time.perf_counter()
                    write_back(table, grid)
                    best["read"] = min(best["read"], middle - start)
                    best["write"] = min(best["write"], time.perf_counter() - middle)
                shutil.copyfile(source, copy)
                rss = peak_rss_mb("sync", copy)
                shutil.copyfile(source, copy)
                bare_rss = peak_rss_mb("bare", copy)
                results.append(XlsxRow(n, others, case, best["read"], best["write"], best["bare"], rss, bare_rss))
    return results


def render_xlsx(rows: list[XlsxRow]) -> str:
    lines = [
        f"{'rows':>7} {'other tabs':>10} {'case':11} {'read s':>7} {'write s':>7} {'sync s':>7} {'bare s':>7} "
        f"{'time':>5} {'sync MB':>8} {'bare MB':>8} {'memory':>6}",
    ]
    for r in rows:
        goal = "" if r.ratio <= 0.3 and r.rss_ratio <= 0.5 else "  (over the 0.3x / 0.5x goal)"
        lines.append(
            f"{r.rows:>7,} {r.other_tabs:>10} {r.case:11} {r.read_s:>7.3f} {r.write_s:>7.3f} {r.seconds:>7.3f} "
            f"{r.bare_s:>7.3f} {r.ratio:>5.2f} {r.rss_mb:>8.1f} {r.bare_rss_mb:>8.1f} {r.rss_ratio:>6.2f}{goal}"
        )
    return "\n".join(lines)


# --- Google Sheets ---------------------------------------------------------------------------
# The gsheets backend through the real gspread client against the in-process fake Sheets API,
# whose own work is in the times and memory too. The baseline ("bare", also "edits") is plain
# gspread doing the same job the usual way: open_by_key + worksheet + get_all_values + one RAW
# update of the owned columns. What counts here is the number of Sheets API requests per read +
# write-back cycle, against Google's quota of 60 reads and 60 writes a minute per user: the goal
# is a constant, whatever the rows (4: the read, the re-read before the write, the write, and the
# check after it that puts right what a person's sort or insert moved meanwhile). Time is
# secondary: the typed cells of a getByDataFilter (needed to tell dates from numbers, and to get
# the tab's id in the same request) are a larger answer than the formatted values plain gspread
# reads.


def gsheets_store(rows: int, synced_before: bool) -> tuple[FakeSheets, str, dict]:
    """A fake spreadsheet holding the same articles as `make_workbook`, and a copy of its cells."""
    fake = FakeSheets()
    sid = fake.create_spreadsheet("Articles", ["Articles"], rows=rows + 1, cols=COLUMNS)
    sheet = fake.sheet(sid, "Articles")
    values: list[list[object]] = [list(HEADER)]
    for i in range(rows):
        owned = [f"t{i}", "Publishing", "2025-02-28 09:00"] if synced_before else [None, None, None]
        values.append([
            f"Article {i}", f"How to pick a good title number {i}", "A body of about twenty words. " * 3,
            f"https://example.com/a/{i}", "388, 372", dt.date(2025, 3, 1), dt.date(2025, 3, 8), True,
            f"k{i:06d}", *owned,
        ])
    sheet.set_values(values)
    return fake, sid, dict(sheet.cells)


def gsheets_sync(fake: FakeSheets, sid: str) -> None:
    sync_cycle(open_google_sheet(sid, "Articles", client=fake.client()))


def gsheets_bare(fake: FakeSheets, sid: str) -> None:
    worksheet = fake.client().open_by_key(sid).worksheet("Articles")
    values = worksheet.get_all_values()
    owned = [[f"t{i}", "Queued Publishing", "2025-03-01T10:00Z"] for i in range(len(values) - 1)]
    worksheet.update(owned, f"J2:L{len(values)}", raw=True)


def bench_gsheets(sizes: list[int], repeat: int, folder: Path) -> list[Row]:
    results = []
    for n in sizes:
        for case, synced_before in (("first sync", False), ("re-sync", True)):
            fake, sid, cells = gsheets_store(n, synced_before)
            sheet = fake.sheet(sid, "Articles")
            requests: dict[str, int] = {}

            def from_the_same_sheet(name: str, fn: Callable[[FakeSheets, str], None]) -> Callable[[], None]:
                def run() -> None:
                    sheet.cells = dict(cells)  # the sync's write changes the sheet it reads
                    fake.reset_counts()
                    fn(fake, sid)
                    requests[name] = fake.total

                return run

            bare, ours = measure([from_the_same_sheet("bare", gsheets_bare), from_the_same_sheet("sync", gsheets_sync)], repeat)
            results.append(
                Row("gsheets", n, ours.seconds, ours.peak_mb, bare.seconds, bare.peak_mb, case,
                    ours.cpu_seconds, bare.cpu_seconds, bare.cpu_seconds,
                    note=f"Sheets requests/cycle: {requests['sync']} (plain gspread: {requests['bare']})")
            )
    return results


BENCHMARKS: list[Callable[[list[int], int, Path], list[Row]]] = [bench_gsheets]


# --- Google Sheets: bytes on the wire ------------------------------------------------------
# What a read and a whole cycle transfer, counted by the fake as it sends them: gzip-compressed
# when the client's User-Agent contains "gzip", as Google does. The articles tab sits beside 3
# other tabs of 10,000 cells each (a person's archive, budget, contacts). The yardstick is the
# articles tab's own cells compressed: Google's most compact answer for them, a values.get of
# that tab alone, gzipped. "before" replays the previous backend's requests: one
# spreadsheets.get of every tab with typed cells, uncompressed, then a values.batchGet re-read.

OTHER_TABS = ("Archive", "Budget", "Contacts")
_BEFORE_FIELDS = (
    "sheets(properties(sheetId,title,index,gridProperties(rowCount,columnCount)),merges,"
    "data(startRow,startColumn,rowData(values(effectiveValue,effectiveFormat/numberFormat/type))))"
)


@dataclass
class Wire:
    rows: int
    read_requests: int
    read_bytes: int
    tab_bytes: int  # the articles tab's own cells, compressed (values.get of the tab, gzip)
    cycle_reads: int
    cycle_writes: int
    cycle_down: int
    cycle_up: int
    before_read_bytes: int
    before_cycle_down: int
    # The same cycle with what a sync really writes: last_synced as a UTC minute (a date-time
    # cell) and two result URLs a row (text links), so the write is updateCells, not values.
    rich_requests: int = 0
    rich_up: int = 0

    @property
    def ratio(self) -> float:
        return self.read_bytes / self.tab_bytes


def wire_store(rows: int) -> tuple[FakeSheets, str]:
    fake, sid, _ = gsheets_store(rows, synced_before=True)
    for name in OTHER_TABS:
        fake.add_sheet(sid, name, rows=1000, cols=10).set_values(
            [[f"{name} {r}: value {c} of row {r}" for c in range(10)] for r in range(1000)]
        )
    return fake, sid


def rich_write_back(table: Table, grid) -> None:
    """Every row's owned cells as a sync writes them: a UTC minute and two result URLs."""
    key = grid.header.index("row_key")
    writes = tuple(
        RowWrite(str(row[key]), {"task_id": f"t{i}", "status": "Published", "last_synced": "2025-03-01T10:00Z",
                                 "result_urls": f"https://news.example.com/a/{i}\nhttps://blog.example.org/p/{i}"},
                 read_row=grid.row_number(i))
        for i, row in enumerate(grid.rows)
    )
    result = table.write(WriteBack("row_key", "article_title", writes))
    assert len(result.written) == len(grid.rows), result.lost[:3]


def bench_wire(sizes: list[int]) -> list[Wire]:
    results = []
    for n in sizes:
        fake, sid = wire_store(n)
        table = open_google_sheet(sid, "Articles", client=fake.client())
        fake.reset_counts()
        table.read()
        read_requests, read_bytes = fake.total, fake.bytes_sent

        http = fake.client().http_client
        http.session.headers["User-Agent"] += " (gzip)"
        fake.reset_counts()
        http.values_get(sid, "Articles", params={"valueRenderOption": "UNFORMATTED_VALUE"})
        tab_bytes = fake.bytes_sent

        fake.reset_counts()
        sync_cycle(open_google_sheet(sid, "Articles", client=fake.client()))
        cycle = (fake.reads, fake.writes, fake.bytes_sent, fake.bytes_received)

        plain = fake.client().http_client  # no "gzip" in its User-Agent: answers come uncompressed
        fake.reset_counts()
        plain.fetch_sheet_metadata(sid, params={"includeGridData": "true", "fields": _BEFORE_FIELDS})
        before_read = fake.bytes_sent
        plain.values_batch_get(sid, ["'Articles'!1:1", "'Articles'!I2:I", "'Articles'!B2:B"],
                               params={"valueRenderOption": "UNFORMATTED_VALUE"})
        before_down = fake.bytes_sent

        first = open_google_sheet(sid, "Articles", client=fake.client())
        rich_write_back(first, first.read())  # adds the result_urls column (and its layout) once
        fake.reset_counts()
        again = open_google_sheet(sid, "Articles", client=fake.client())
        rich_write_back(again, again.read())
        rich = (fake.total, fake.bytes_received)
        results.append(Wire(n, read_requests, read_bytes, tab_bytes, *cycle, before_read, before_down, *rich))
    return results


def render_wire(rows: list[Wire]) -> str:
    lines = [
        f"{'rows':>7} {'read req':>8} {'read KB':>8} {'tab KB':>7} {'ratio':>6} {'cycle req (r+w)':>15} "
        f"{'cycle KB down':>13} {'cycle KB up':>11} {'before: read KB':>15} {'before: read+re-read KB':>23} "
        f"{'times+links: req':>16} {'KB up':>7}",
    ]
    for w in rows:
        goal = "" if w.ratio <= 1.2 else "  (over the 1.2 goal)"
        lines.append(
            f"{w.rows:>7,} {w.read_requests:>8} {w.read_bytes / 1e3:>8.1f} {w.tab_bytes / 1e3:>7.1f} {w.ratio:>6.2f} "
            f"{f'{w.cycle_reads + w.cycle_writes} ({w.cycle_reads}+{w.cycle_writes})':>15} {w.cycle_down / 1e3:>13.1f} "
            f"{w.cycle_up / 1e3:>11.1f} {w.before_read_bytes / 1e3:>15.1f} {w.before_cycle_down / 1e3:>23.1f} "
            f"{w.rich_requests:>16} {w.rich_up / 1e3:>7.1f}{goal}"
        )
    return "\n".join(lines)


def render(rows: list[Row]) -> str:
    lines = [
        f"{'backend':8} {'case':11} {'rows':>7} {'sync s':>8} {'bare s':>8} {'ratio':>6} {'cpu ratio':>9} {'vs edits':>8} "
        f"{'sync MB':>8} {'bare MB':>8}",
    ]
    for r in rows:
        goal = "" if round(r.ratio, 2) <= 1.3 or r.backend != "xlsx" else "  (over the 1.3 goal)"
        lines.append(
            f"{r.backend:8} {r.case:11} {r.rows:>7,} {r.seconds:>8.3f} {r.base_seconds:>8.3f} {r.ratio:>6.2f} "
            f"{r.cpu_ratio:>9.2f} {r.edits_ratio:>8.2f} "
            f"{r.peak_mb:>8.1f} {r.base_peak_mb:>8.1f}{goal}{'  ' + r.note if r.note else ''}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="comma-separated row counts")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement (best is kept)")
    parser.add_argument("--backends", default="xlsx,gsheets", help="which backends' rows to measure")
    parser.add_argument("--wire-sizes", default="1000,10000",
                        help="row counts for the Google bytes-on-the-wire table ('' skips it)")
    parser.add_argument("--xlsx-sizes", default="10000,100000", help="row counts for the xlsx table")
    parser.add_argument("--xlsx-repeat", type=int, default=2, help="timed xlsx runs per case (best is kept)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        wanted = {b.strip() for b in args.backends.split(",")}
        if "xlsx" in wanted:
            xlsx_sizes = [int(s) for s in args.xlsx_sizes.split(",") if s.strip()]
            print(
                "xlsx: read + write-back of every row's 3 owned cells, against a bare openpyxl load + save "
                f"of the same file ({COLUMNS} columns; other tabs: 10,000 cells each; best of {args.xlsx_repeat}; "
                "time and memory = sync / bare; MB = peak RSS of a fresh process)"
            )
            print(render_xlsx(bench_xlsx(xlsx_sizes, args.xlsx_repeat, Path(tmp))))
            print()
        for bench in BENCHMARKS:
            if bench.__name__.removeprefix("bench_") in wanted:
                rows.extend(bench(sizes, args.repeat, Path(tmp)))
    if rows:
        print(
            f"{COLUMNS} columns. bare = the library's own load + save of the same file; ratio = sync / bare "
            "wall time (best run); cpu ratio = the same in CPU time; vs edits = sync CPU time / the bare "
            "library writing the same cells"
        )
        print(render(rows))
    wire_sizes = [int(s) for s in args.wire_sizes.split(",") if s.strip()]
    if wire_sizes:
        print()
        print(
            f"Google Sheets, bytes as sent: the articles tab ({COLUMNS} columns) beside {len(OTHER_TABS)} other tabs of "
            "10,000 cells each; tab KB = its own cells compressed (values.get of that tab, gzip); "
            "ratio = read KB / tab KB (goal 1.2); a cycle = one read + one write-back of every row's owned columns"
        )
        print(render_wire(bench_wire(wire_sizes)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
