"""The demo: the whole loop on a sample sheet against an in-process emulator, in seconds.

The emulator runs on its own calendar day (`DEMO_DAY`, accelerated), the day the sample
workbook's dates were written for, so its valid rows stay valid and its mistakes stay
mistakes whenever the demo is run. It spends the emulator's fake credits in live mode (so
the balance visibly goes down); nothing leaves the machine. Before that it rehearses in
sandbox mode, the way the README tells people to start: free tasks, followed to Published.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

DEMO_DAY = dt.date(2026, 11, 30)
DEMO_START = dt.datetime(DEMO_DAY.year, DEMO_DAY.month, DEMO_DAY.day, 9, 0, tzinfo=dt.timezone.utc)
DEMO_TOKEN = "demo-token"  # the emulator's own local token: fine to show
DEMO_CREDITS = 40
DEFAULT_OUTPUT = Path("demo-output") / "demo.xlsx"
# 20,000x: the longest demo window (about 64 hours) passes in about 12 seconds.
DEFAULT_SPEED = 20_000.0
# The demo's emulator allows more than the real 60/min so polling never has to wait.
DEMO_RATE_LIMIT = 600


def prepare_copy(output: Path, source: Path | None = None) -> Path:
    """Copy the demo workbook (the packaged one unless `source`) to `output`, replacing an
    earlier demo run's copy."""
    from .samples import DEMO, packaged

    output.parent.mkdir(parents=True, exist_ok=True)
    if source is not None:
        shutil.copyfile(source, output)
        return output
    with packaged(DEMO).open("rb") as workbook, open(output, "wb") as target:
        shutil.copyfileobj(workbook, target)
    return output


@dataclass
class DemoResult:
    """What the demo did, for rendering and for --json."""

    output: Path
    api_url: str = ""
    health: Any = None
    credits_before: int = 0
    credits_after: int = 0
    rehearsed: bool = False
    rehearsal_rows: list[dict[str, str]] = field(default_factory=list)
    credits_after_rehearsal: int = 0
    sites: Any = None
    reports: list[Any] = field(default_factory=list)
    polls: int = 0
    sheet_rows: list[dict[str, str]] = field(default_factory=list)
    finished: bool = False
    seconds: float = 0.0
    interrupted: bool = False  # Ctrl-C: the result holds what was done until then

    @property
    def final(self) -> Any:
        return self.reports[-1] if self.reports else None


#: Outcomes of rows whose task this run follows. Other rows may still show a task id (a
#: sandbox task in a live run, a copied row, a task missing from the account) that no
#: refresh will move on, so waiting for them would never end.
FOLLOWED = ("submitted", "adopt", "refresh")


def followed(report: Any) -> list[Any]:
    """Row outcomes whose task this run follows (submitted, adopted or refreshed)."""
    return [o for o in report.rows if getattr(o, "task_id", "") and getattr(o, "action", "") in FOLLOWED]


def unfinished(report: Any) -> list[Any]:
    """Followed row outcomes whose task's status is not final yet."""
    from .models import Status, parse_status
    from .tables.layout import plain_status

    waiting = []
    for outcome in followed(report):
        status = getattr(outcome, "status", None)
        if isinstance(status, str):
            try:
                status = parse_status(plain_status(status))
            except ValueError:
                status = None
        if not isinstance(status, Status) or not status.is_final:
            waiting.append(outcome)
    return waiting


def run_demo(
    output: Path = DEFAULT_OUTPUT,
    *,
    speed: float = DEFAULT_SPEED,
    interval: float = 1.0,
    deadline: float = 50.0,
    journal_folder: Path | None = None,
    say: Callable[[str, Any], None] = lambda kind, value: None,
    progress: Callable[[Any], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    base_clock: Any = None,
    after_pull: Callable[[Path], Any] | None = None,
) -> DemoResult:
    """Run the demo; `say(kind, value)` is called as each step completes, for live output.

    kinds: "start" (api url), "health", "credits", "sites", "report" ((report, emulated now)).
    Ctrl-C during the runs ends them early: the result then says `interrupted`.
    `base_clock` is the emulator's unaccelerated clock (default: real time from DEMO_START);
    tests pass a FakeClock and a `sleep` that advances it, so nothing waits for real.
    `after_pull(state folder)` gives the post-pull step for each sync and pull (link checks).
    """
    from .client import Client
    from .emulator import Emulator, RealClock
    from .journal import Journal
    from .tables import open_table
    from .workflow import Options, run

    if speed <= 0:
        raise ConfigError(f"--speed {speed} is not positive; pass a number like {DEFAULT_SPEED:g}.")
    base = base_clock or RealClock(start=DEMO_START)

    def elapsed() -> float:
        return (base.now() - started).total_seconds()

    started = base.now()
    result = DemoResult(output=prepare_copy(output))
    # The emulator accelerates the base clock for placements; its rate limit stays on base time.
    emulator = Emulator(db=":memory:", clock=base, speed=speed, rate_limit=DEMO_RATE_LIMIT, seed=1)
    emulator.add_account(DEMO_TOKEN, DEMO_CREDITS)
    folder = journal_folder or output.parent / ".sheetsync"
    folder.mkdir(parents=True, exist_ok=True)
    # A fresh journal per demo run: the emulator's tasks vanish with the process.
    journal_path = folder / "journal.sqlite3"
    for suffix in ("", "-wal", "-shm"):  # a stale write-ahead log would replay into the new file
        Path(f"{journal_path}{suffix}").unlink(missing_ok=True)
    rehearsal = Options(sandbox=True, lock_folder=folder)
    options = Options(sandbox=False, lock_folder=folder)

    with emulator.serve(host="127.0.0.1", port=0) as server, Journal(journal_path) as journal:
        result.api_url = server.base_url
        say("start", server.base_url)
        client = Client(DEMO_TOKEN, server.base_url, rate_limit=DEMO_RATE_LIMIT, sleep=sleep)
        result.health = client.health()
        say("health", result.health)
        result.credits_before = client.credits()
        say("credits", result.credits_before)
        result.sites = client.sites()
        say("sites", result.sites)

        def once(mode: str, opts: Options) -> Any:
            with open_table(str(result.output)) as table:
                report = run(
                    table, client, opts, mode=mode, journal=journal,
                    # The demo spends the emulator's fake credits; there is nothing to confirm.
                    confirm=lambda plan: True, progress=progress, clock=emulator.now,
                    after_pull=after_pull(folder) if after_pull is not None else None,
                )
            result.reports.append(report)
            say("report", (report, emulator.now()))
            return report

        def until_done(opts: Options) -> bool:
            report = once("sync", opts)
            while unfinished(report) and elapsed() < deadline:
                sleep(interval)
                result.polls += 1
                report = once("pull", opts)
            return not unfinished(report)

        try:
            # Sandbox first, as the README advises: free tasks that go all the way to Published.
            say("phase", "sandbox")
            result.rehearsed = until_done(rehearsal)
            result.rehearsal_rows = sheet_rows(result.output)
            result.credits_after_rehearsal = client.credits()
            say("rehearsal", (result.rehearsal_rows, result.credits_after_rehearsal))
            say("phase", "live")
            result.finished = until_done(options) and result.rehearsed
        except KeyboardInterrupt:
            # What was done so far is still reported; the emulator's balance says what it cost.
            result.interrupted = True
        result.credits_after = emulator.credits(DEMO_TOKEN)
        say("credits", result.credits_after)
    result.sheet_rows = sheet_rows(result.output)
    result.seconds = elapsed()
    return result


SHOWN_COLUMNS = ("row", "article_title", "status", "progress", "result_urls", "notes")


def sheet_rows(spec: str | Path) -> list[dict[str, str]]:
    """The sheet as it is now: per data row its title and what sheetsync wrote, as text."""
    from . import columns as C
    from .sheet import map_header
    from .tables import open_table

    with open_table(str(spec)) as table:
        grid = table.read()
    hm = map_header(grid.header)
    wanted = [C.ARTICLE_TITLE, C.STATUS, C.PROGRESS, C.RESULT_URLS, C.NOTES]
    out = []
    for index, cells in enumerate(grid.rows):
        if all(v is None or str(v).strip() == "" for v in cells):
            continue
        line = {"row": str(grid.row_number(index))}
        for name in wanted:
            value = cells[hm.index[name]] if hm.has(name) and hm.index[name] < len(cells) else None
            line[name] = "" if value is None else str(value)
        out.append(line)
    return out
