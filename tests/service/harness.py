"""An agency in one process: two emulator accounts on a socket, xlsx files and Google sheets on
the fake Sheets API with its Drive change feed, all on one injected clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
from google.auth.transport.requests import AuthorizedSession
from google.oauth2.credentials import Credentials

from sheetsync.client import Client
from sheetsync.emulator import Emulator, FakeClock
from sheetsync.journal import Journal
from sheetsync.service.changes import DriveFeed
from sheetsync.service.config import ServiceConfig, SheetSpec, parse_config
from sheetsync.service.cycle import CycleReport, World, run_cycle
from sheetsync.service.google import pace_sheets
from sheetsync.service.state import State
from sheetsync.tables import open_table
from sheetsync.tables.gsheets import RetryPolicy, open_google_sheet
from sheetsync.testing.fake_drive import FakeDrive
from sheetsync.testing.fake_sheets import FakeSheets

from ..sync.helpers import HEADER, article

START = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.timezone.utc)
TOKENS = {"acme": "acme-token-5b1f9e", "globex": "globex-token-77c2d1"}
ENV = {"ACME_TOKEN": TOKENS["acme"], "GLOBEX_TOKEN": TOKENS["globex"]}
SERVICE_USER = "sheetsync@agency.iam.gserviceaccount.com"


def rows(n: int, start: int = 1, ready: object = True, targets: str = "372, 373") -> list[list[object]]:
    return [list(HEADER)] + [article(i, targets=targets, ready=ready) for i in range(start, start + n)]


def write_xlsx(path: Path, values: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Articles"
    for r in values:
        ws.append(r)
    wb.save(path)
    return path


def xlsx_values(path: Path, tab: str = "Articles") -> list[list[object]]:
    wb = openpyxl.load_workbook(path)
    if tab not in wb.sheetnames:
        return []
    return [list(r) for r in wb[tab].iter_rows(values_only=True)]


def xlsx_set(path: Path, row: int, header: str, value: object) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["Articles"]
    col = [c.value for c in ws[1]].index(header) + 1 if header in [c.value for c in ws[1]] else ws.max_column + 1
    if ws.cell(1, col).value is None:
        ws.cell(1, col).value = header
    ws.cell(row, col).value = value
    wb.save(path)


class Agency:
    """Everything a service test needs; `cycle()` runs one cycle, `minutes(n)` moves the clock."""

    def __init__(self, tmp_path: Path, *, credits: int = 1000, rate_limit: int = 0):
        self.tmp = tmp_path
        self.clock = FakeClock(start=START)
        self.emu = Emulator(db=":memory:", clock=self.clock, rate_limit=0, seed=3)
        for token in TOKENS.values():
            self.emu.add_account(token, credits)
        self._server = self.emu.serve(port=0)
        self.server = self._server.__enter__()
        self.sheets = FakeSheets(clock=self.clock)
        self.drive = FakeDrive(self.sheets)
        self.rate_limit = rate_limit
        self.clients: dict[str, Client] = {}
        self.journal = Journal(tmp_path / "journal.sqlite3")
        self.session = self._session(SERVICE_USER)
        self.gclient = self._gclient(self.session)
        self.state: State | None = None
        self.config: ServiceConfig | None = None
        self.sent: list[tuple[str, str]] = []

    def _session(self, user: str) -> AuthorizedSession:
        session = AuthorizedSession(Credentials(token=user))
        self.sheets.mount(session)
        self.drive.mount(session)
        pace_sheets(session, clock=lambda: self.clock.now().timestamp(), sleep=self.clock.advance)
        return session

    def _gclient(self, session: AuthorizedSession) -> Any:
        import gspread

        return gspread.Client(session.credentials, session=session)

    # -- sheets
    def xlsx(self, name: str, values: list[list[object]]) -> str:
        return str(write_xlsx(self.tmp / name, values))

    def google(self, values: list[list[object]], title: str = "Queue") -> str:
        sid = self.sheets.create_spreadsheet(title, ["Articles"])
        sheet = self.sheets.sheet(sid, "Articles")
        for r, line in enumerate(values, start=1):
            for c, value in enumerate(line, start=1):
                if value is not None:
                    sheet.set_cell(r, c, value)
        return sid

    def gvalues(self, sid: str, tab: str = "Articles") -> list[list[object]]:
        return self.sheets.sheet(sid, tab).values()

    def gset(self, sid: str, row: int, header: str, value: object, person: str = "alice@agency.com") -> None:
        sheet = self.sheets.sheet(sid, "Articles")
        head = [str(v) for v in sheet.values()[0]]
        col = head.index(header) + 1 if header in head else len(head) + 1
        if header not in head:
            sheet.set_cell(1, col, header)
        sheet.set_cell(row, col, value)
        self.drive.edit(sid, person)

    # -- the service
    def configure(self, sheets: list[dict[str, Any]], **top: Any) -> ServiceConfig:
        data = {
            "accounts": {
                "acme": {"token_env": "ACME_TOKEN", "api_url": self.server.base_url, **top.pop("acme", {})},
                "globex": {"token_env": "GLOBEX_TOKEN", "api_url": self.server.base_url, **top.pop("globex", {})},
            },
            "sheets": sheets,
            "state": str(self.tmp / "service.sqlite3"),
            **top,
        }
        self.config = parse_config(data, self.tmp / "agency.toml")
        if self.state is not None:
            self.state.close()
        self.state = State(self.config.state)
        return self.config

    def client(self, account: Any) -> Client:
        if account.name not in self.clients:
            self.clients[account.name] = Client(
                account.token(ENV), account.api_url, rate_limit=self.rate_limit, sleep=self.clock.advance,
                monotonic=lambda: self.clock.now().timestamp(), timeout=(2.0, 5.0), max_retries=1,
            )
        return self.clients[account.name]

    def open(self, spec: SheetSpec) -> Any:
        if spec.is_google:
            return open_google_sheet(spec.sheet, spec.worksheet, client=self.gclient, retry=RetryPolicy(sleep=lambda s: None))
        return open_table(spec.sheet, spec.worksheet)

    def world(self) -> World:
        return World(
            now=self.clock.now, open_table=self.open, client=self.client,
            drive=lambda spec: (SERVICE_USER, DriveFeed(self.session)), journal=self.journal,
            lock_folder=self.tmp / "locks", send=self._send, secrets=tuple(TOKENS.values()),
        )  # fmt: skip

    def _send(self, title: str, body: str) -> bool:
        self.sent.append((title, body))
        return True

    def cycle(self, world: World | None = None) -> CycleReport:
        assert self.config is not None and self.state is not None
        return run_cycle(self.config, self.state, world or self.world())

    def minutes(self, n: float) -> None:
        self.clock.advance(60 * n)

    # -- looking
    def tasks(self, account: str) -> list[dict[str, Any]]:
        return self.emu.task_rows(TOKENS[account])

    def blb_requests(self) -> int:
        return len(self.emu.request_log)

    def google_requests(self) -> int:
        return self.sheets.total + sum(self.drive.counts.values())

    def close(self) -> None:
        if self.state is not None:
            self.state.close()
        self.journal.close()
        self._server.__exit__(None, None, None)


def column(values: list[list[object]], name: str) -> list[str]:
    header = [str(h) for h in values[0]]
    i = header.index(name)
    return [str(r[i]) if i < len(r) and r[i] is not None else "" for r in values[1:]]
