"""Requests per minute of `sheetsync serve` over many sheets, beside a naive loop, same run.

Run: .venv/bin/python benchmarks/service.py [--sheets 200] [--minutes 10] [--naive-minutes 2]

200 sheets (half .xlsx files, half Google sheets on the in-process fake Sheets API with its
Drive change feed), 2 BacklinkBase accounts on the emulator over a real socket, 5 articles per
sheet, all on one simulated clock (a cycle a minute). After a first cycle that reads every
sheet and sends its rows, and a day later a full pass that writes back the finished tasks
(neither measured), these cases are measured:

- idle: nobody edits anything and no task moves;
- changes: each minute a person adds a ready row to 5 sheets (alternately xlsx and Google);
- naive: the loop a first script would be, `sync` of every sheet every minute (idle, then
  with the same 5 changes a minute), measured for `--naive-minutes` minutes.

Rate limits are off on both sides so that the counts are what each side asks for; the
"quota" column says whether that fits in Google's 60 reads + 60 writes a minute per user.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openpyxl  # noqa: E402
from google.auth.transport.requests import AuthorizedSession  # noqa: E402
from google.oauth2.credentials import Credentials  # noqa: E402

from sheetsync.client import Client  # noqa: E402
from sheetsync.emulator import Emulator, FakeClock  # noqa: E402
from sheetsync.journal import Journal  # noqa: E402
from sheetsync.service.changes import DriveFeed  # noqa: E402
from sheetsync.service.config import parse_config  # noqa: E402
from sheetsync.service.cycle import World, run_cycle  # noqa: E402
from sheetsync.service.state import State  # noqa: E402
from sheetsync.tables import open_table  # noqa: E402
from sheetsync.tables.gsheets import RetryPolicy, open_google_sheet  # noqa: E402
from sheetsync.testing.fake_drive import FakeDrive  # noqa: E402
from sheetsync.testing.fake_sheets import READ_KINDS, FakeSheets  # noqa: E402
from sheetsync.workflow import Options, run  # noqa: E402

START = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone.utc)
HEADER = ["name", "article_title", "article_body", "article_urls", "target_website_ids", "ready"]
TOKENS = {"acme": "bench-acme-token-1", "globex": "bench-globex-token-2"}
USER = "sheetsync@agency.iam.gserviceaccount.com"


def article(i: int) -> list[Any]:
    return ["", f"Article number {i} about community gardens", f"<p>Body of article {i}.</p>",
            f"https://example.com/garden/{i}", "372", True]  # fmt: skip


class Bench:
    def __init__(self, folder: Path, sheets: int):
        self.folder = folder
        self.clock = FakeClock(start=START)
        self.emu = Emulator(db=":memory:", clock=self.clock, rate_limit=0, seed=1)
        for token in TOKENS.values():
            self.emu.add_account(token, 1_000_000)
        self._server = self.emu.serve(port=0)
        self.server = self._server.__enter__()
        self.fake = FakeSheets(clock=self.clock)
        self.drive = FakeDrive(self.fake)
        self.session = AuthorizedSession(Credentials(token=USER))
        self.fake.mount(self.session)
        self.drive.mount(self.session)
        import gspread

        self.gclient = gspread.Client(self.session.credentials, session=self.session)
        self.journal = Journal(folder / "journal.sqlite3")
        self.clients: dict[str, Client] = {}
        self.next_article = 0
        specs = []
        self.google: dict[str, str] = {}  # sheet id -> spreadsheet id
        for n in range(sheets):
            account = "acme" if n % 2 == 0 else "globex"
            values = [HEADER] + [self._article() for _ in range(5)]
            if n % 4 < 2:
                path = folder / f"sheet{n}.xlsx"
                wb = openpyxl.Workbook()
                wb.active.title = "Articles"
                for line in values:
                    wb.active.append(line)
                wb.save(path)
                specs.append({"sheet": str(path), "account": account, "client": f"Client {n}"})
            else:
                sid = self.fake.create_spreadsheet(f"Sheet {n}", ["Articles"])
                sheet = self.fake.sheet(sid, "Articles")
                for r, line in enumerate(values, start=1):
                    for c, v in enumerate(line, start=1):
                        sheet.set_cell(r, c, v)
                specs.append({"sheet": sid, "account": account, "client": f"Client {n}"})
        accounts = {name: {"token_env": f"{name.upper()}_TOKEN", "api_url": self.server.base_url, "rate_limit": 0}
                    for name in TOKENS}  # fmt: skip
        self.config = parse_config({"accounts": accounts, "sheets": specs, "state": str(folder / "state.sqlite3")},
                                   folder / "agency.toml")  # fmt: skip
        self.state = State(self.config.state)
        self.env = {f"{name.upper()}_TOKEN": token for name, token in TOKENS.items()}

    def _article(self) -> list[Any]:
        self.next_article += 1
        return article(self.next_article)

    def client(self, account: Any) -> Client:
        if account.name not in self.clients:
            self.clients[account.name] = Client(account.token(self.env), account.api_url, rate_limit=0,
                                                sleep=lambda s: None)  # fmt: skip
        return self.clients[account.name]

    def open(self, spec: Any) -> Any:
        if spec.is_google:
            return open_google_sheet(spec.sheet, None, client=self.gclient, retry=RetryPolicy(sleep=lambda s: None))
        return open_table(spec.sheet)

    def world(self) -> World:
        return World(now=self.clock.now, open_table=self.open, client=self.client,
                     drive=lambda spec: (USER, DriveFeed(self.session)), journal=self.journal,
                     lock_folder=self.folder / "locks")  # fmt: skip

    def change(self, n: int) -> None:
        """A person adds a ready row to sheet `n`."""
        spec = self.config.sheets[n]
        line = self._article()
        if spec.is_google:
            sheet = self.fake.sheet(spec.sheet, "Articles")
            row = len(sheet.values()) + 1
            for c, v in enumerate(line, start=1):
                sheet.set_cell(row, c, v)
            self.drive.edit(spec.sheet, "alice@agency.com")
        else:
            wb = openpyxl.load_workbook(spec.sheet)
            ws = wb["Articles"]
            row = ws.max_row + 1
            for c, v in enumerate(line, start=1):
                ws.cell(row, c).value = v
            wb.save(spec.sheet)

    def counts(self) -> tuple[int, int, int]:
        reads = sum(n for k, n in self.fake.counts.items() if k in READ_KINDS) + sum(self.drive.counts.values())
        writes = sum(n for k, n in self.fake.counts.items() if k not in READ_KINDS)
        return reads, writes, len(self.emu.request_log)

    def close(self) -> None:
        self.state.close()
        self.journal.close()
        self._server.__exit__(None, None, None)


def measure(bench: Bench, minutes: int, changes: int, step: Any) -> dict[str, float]:
    r0, w0, b0 = bench.counts()
    t0 = time.perf_counter()
    per_minute_max = 0
    for m in range(minutes):
        bench.clock.advance(60)
        for i in range(changes):
            bench.change((m * changes + i) * 7 % len(bench.config.sheets))
        before = sum(bench.counts()[:2])
        step()
        per_minute_max = max(per_minute_max, sum(bench.counts()[:2]) - before)
    r1, w1, b1 = bench.counts()
    return {"reads": (r1 - r0) / minutes, "writes": (w1 - w0) / minutes, "blb": (b1 - b0) / minutes / len(TOKENS),
            "max": per_minute_max, "cpu": (time.perf_counter() - t0) / minutes}  # fmt: skip


def naive_step(bench: Bench) -> None:
    for spec in bench.config.sheets:
        table = bench.open(spec)
        try:
            run(table, bench.client(bench.config.accounts[spec.account]), Options(lock_folder=bench.folder / "locks"),
                mode="sync", journal=bench.journal, confirm=lambda p: True, clock=bench.clock.now)  # fmt: skip
        finally:
            table.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=200)
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--naive-minutes", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(Path(tmp), args.sheets)
        try:
            world = bench.world()
            t0 = time.perf_counter()
            run_cycle(bench.config, bench.state, world)  # the first read of every sheet: not measured
            first = time.perf_counter() - t0
            # A day later every task has finished and the hourly pass has written it back: from
            # here on "idle" means nobody edits and nothing moves (not measured either).
            bench.clock.advance(26 * 3600)
            run_cycle(bench.config, bench.state, world)
            cases = [
                ("serve", "idle", measure(bench, args.minutes, 0, lambda: run_cycle(bench.config, bench.state, world))),
                ("serve", "5 changes/min", measure(bench, args.minutes, 5, lambda: run_cycle(bench.config, bench.state, world))),
                ("naive", "idle", measure(bench, args.naive_minutes, 0, lambda: naive_step(bench))),
                ("naive", "5 changes/min", measure(bench, args.naive_minutes, 5, lambda: naive_step(bench))),
            ]
        finally:
            bench.close()
    print(f"{args.sheets} sheets ({args.sheets // 2} xlsx, {args.sheets - args.sheets // 2} Google, one Google user), "
          f"{len(TOKENS)} accounts; first cycle (reads and sends everything, not measured): {first:.1f} s")  # fmt: skip
    print("| loop | case | Google reads/min | Google writes/min | BacklinkBase req/min per account | "
          "busiest minute (Google r+w) | fits 60+60/min quota | CPU s per simulated min |")
    print("|---|---|---:|---:|---:|---:|---|---:|")
    for loop, case, m in cases:
        fits = "yes" if m["reads"] <= 60 and m["writes"] <= 60 else "no"
        print(f"| {loop} | {case} | {m['reads']:.1f} | {m['writes']:.1f} | {m['blb']:.1f} | {m['max']:.0f} | {fits} | {m['cpu']:.2f} |")


if __name__ == "__main__":
    main()
