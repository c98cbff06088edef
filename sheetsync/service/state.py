"""The service's state database (SQLite): what every sheet and account looked like last time.

One file per config. Everything the loop needs to resume after a restart or a SIGKILL is here:
change-feed page tokens, which sheets are dirty, per-sheet task statuses, the budget ledger,
approvals, queued notifications and History lines. Exactly-once itself stays with the sync's
own journal and the server's task list; this database only saves requests.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import StateError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sheets (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL DEFAULT '',
    dirty INTEGER NOT NULL DEFAULT 1,
    stat TEXT NOT NULL DEFAULT '',
    last_read TEXT,
    last_run TEXT,
    last_refresh TEXT,
    next_run TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    retry_at TEXT,
    problem TEXT NOT NULL DEFAULT '',
    pending INTEGER NOT NULL DEFAULT 0,
    waiting INTEGER NOT NULL DEFAULT 0,
    tasks TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS feeds (user TEXT PRIMARY KEY, page_token TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ledger (
    task_id TEXT NOT NULL, account TEXT NOT NULL, client TEXT NOT NULL, month TEXT NOT NULL,
    credits INTEGER NOT NULL, at TEXT NOT NULL, PRIMARY KEY (account, task_id)
);
CREATE TABLE IF NOT EXISTS approvals (
    sheet TEXT NOT NULL, row_key TEXT NOT NULL, fingerprint TEXT NOT NULL, PRIMARY KEY (sheet, row_key)
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, sheet TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL,
    at TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS digests (sheet TEXT NOT NULL, kind TEXT NOT NULL, day TEXT NOT NULL, PRIMARY KEY (sheet, kind));
CREATE TABLE IF NOT EXISTS history (sheet TEXT NOT NULL, at TEXT NOT NULL, line TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS history_sheet ON history (sheet, at);
CREATE TABLE IF NOT EXISTS accounts (name TEXT PRIMARY KEY, credits INTEGER, checked_at TEXT, problem TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def ts(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def parse_ts(text: str | None) -> dt.datetime | None:
    return None if not text else dt.datetime.fromisoformat(text)


@dataclass
class SheetState:
    """One sheet as the service last saw it."""

    id: str
    label: str = ""
    dirty: bool = True
    stat: str = ""
    last_read: dt.datetime | None = None
    last_run: dt.datetime | None = None
    last_refresh: dt.datetime | None = None
    next_run: dt.datetime | None = None
    failures: int = 0
    retry_at: dt.datetime | None = None
    problem: str = ""
    pending: int = 0  # rows ready but not sent (waiting, held, invalid)
    waiting: int = 0  # rows waiting for credits, budget or approval
    #: task id -> [status, updated_at] as the sheet showed them after the last run.
    tasks: dict[str, list[str]] = field(default_factory=dict)

    @property
    def unfinished(self) -> bool:
        return any(status not in ("Published", "Failed", "Cancelled") for status, _ in self.tasks.values())


class State:
    """The database; `path=":memory:"` for tests."""

    def __init__(self, path: str | Path, *, readonly: bool = False):
        self.path = str(path)
        try:
            if self.path != ":memory:" and not readonly:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            uri = f"file:{self.path}?mode=ro" if readonly else self.path
            self.db = sqlite3.connect(uri, uri=readonly, isolation_level=None, check_same_thread=False, timeout=10)
            if not readonly:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StateError(
                f"Cannot open the service state database {self.path} ({exc}); check the folder's "
                "permissions and free space, or set state = \"...\" in the config."
            ) from None
        self.db.row_factory = sqlite3.Row

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- sheets
    def sheet(self, sheet_id: str) -> SheetState:
        row = self.db.execute("SELECT * FROM sheets WHERE id = ?", (sheet_id,)).fetchone()
        if row is None:
            return SheetState(sheet_id)
        return SheetState(
            id=row["id"], label=row["label"], dirty=bool(row["dirty"]), stat=row["stat"],
            last_read=parse_ts(row["last_read"]), last_run=parse_ts(row["last_run"]),
            last_refresh=parse_ts(row["last_refresh"]), next_run=parse_ts(row["next_run"]),
            failures=row["failures"], retry_at=parse_ts(row["retry_at"]), problem=row["problem"],
            pending=row["pending"], waiting=row["waiting"], tasks=json.loads(row["tasks"] or "{}"),
        )  # fmt: skip

    def sheets(self) -> list[SheetState]:
        return [self.sheet(r["id"]) for r in self.db.execute("SELECT id FROM sheets ORDER BY id")]

    def save_sheet(self, s: SheetState) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO sheets (id, label, dirty, stat, last_read, last_run, last_refresh, "
            "next_run, failures, retry_at, problem, pending, waiting, tasks) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (s.id, s.label, int(s.dirty), s.stat, ts(s.last_read), ts(s.last_run), ts(s.last_refresh),
             ts(s.next_run), s.failures, ts(s.retry_at), s.problem, s.pending, s.waiting,
             json.dumps(s.tasks, sort_keys=True)),
        )  # fmt: skip

    def mark_dirty(self, sheet_ids: Iterable[str]) -> None:
        for sid in sheet_ids:
            self.db.execute("INSERT OR IGNORE INTO sheets (id) VALUES (?)", (sid,))
            self.db.execute("UPDATE sheets SET dirty = 1 WHERE id = ?", (sid,))

    # -- change feeds
    def page_token(self, user: str) -> str | None:
        row = self.db.execute("SELECT page_token FROM feeds WHERE user = ?", (user,)).fetchone()
        return None if row is None else str(row[0])

    def set_page_token(self, user: str, token: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO feeds (user, page_token) VALUES (?, ?)", (user, token))

    # -- budget ledger
    def spend(self, account: str, client: str, task_id: str, credits: int, at: dt.datetime) -> None:
        """Record a task's cost once (a task adopted after a crash is not counted twice)."""
        self.db.execute(
            "INSERT OR IGNORE INTO ledger (task_id, account, client, month, credits, at) VALUES (?, ?, ?, ?, ?, ?)",
            (task_id, account, client, at.strftime("%Y-%m"), credits, ts(at)),
        )

    def spent(self, account: str, month: str, client: str | None = None) -> int:
        sql, args = "SELECT COALESCE(SUM(credits), 0) FROM ledger WHERE account = ? AND month = ?", [account, month]
        if client is not None:
            sql, args = sql + " AND client = ?", [*args, client]
        return int(self.db.execute(sql, args).fetchone()[0])

    def spent_by_client(self, account: str, month: str) -> dict[str, int]:
        rows = self.db.execute(
            "SELECT client, SUM(credits) FROM ledger WHERE account = ? AND month = ? GROUP BY client ORDER BY client",
            (account, month),
        )
        return {r[0]: int(r[1]) for r in rows}

    # -- approvals
    def approvals(self, sheet: str) -> dict[str, str]:
        rows = self.db.execute("SELECT row_key, fingerprint FROM approvals WHERE sheet = ?", (sheet,))
        return {r[0]: r[1] for r in rows}

    def set_approvals(self, sheet: str, approved: dict[str, str], cleared: Iterable[str]) -> None:
        for key, fp in approved.items():
            self.db.execute("INSERT OR REPLACE INTO approvals VALUES (?, ?, ?)", (sheet, key, fp))
        for key in cleared:
            self.db.execute("DELETE FROM approvals WHERE sheet = ? AND row_key = ?", (sheet, key))

    # -- notifications
    def add_event(self, sheet: str, kind: str, text: str, at: dt.datetime) -> None:
        self.db.execute("INSERT INTO events (sheet, kind, text, at) VALUES (?, ?, ?, ?)", (sheet, kind, text, ts(at)))

    def unsent(self) -> dict[tuple[str, str], list[tuple[int, str, str]]]:
        out: dict[tuple[str, str], list[tuple[int, str, str]]] = {}
        for r in self.db.execute("SELECT id, sheet, kind, text, at FROM events WHERE sent = 0 ORDER BY id"):
            out.setdefault((r["sheet"], r["kind"]), []).append((r["id"], r["at"], r["text"]))
        return out

    def digest_day(self, sheet: str, kind: str) -> str | None:
        row = self.db.execute("SELECT day FROM digests WHERE sheet = ? AND kind = ?", (sheet, kind)).fetchone()
        return None if row is None else str(row[0])

    def digest_sent(self, sheet: str, kind: str, day: str, event_ids: Iterable[int]) -> None:
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO digests VALUES (?, ?, ?)", (sheet, kind, day))
            for i in event_ids:
                self.db.execute("UPDATE events SET sent = 1 WHERE id = ?", (i,))

    # -- history
    def add_history(self, sheet: str, at: dt.datetime, line: dict[str, Any], keep: int) -> None:
        self.db.execute("INSERT INTO history VALUES (?, ?, ?)", (sheet, ts(at), json.dumps(line)))
        self.db.execute(
            "DELETE FROM history WHERE sheet = ? AND rowid NOT IN "
            "(SELECT rowid FROM history WHERE sheet = ? ORDER BY at DESC, rowid DESC LIMIT ?)",
            (sheet, sheet, keep),
        )

    def history(self, sheet: str) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT line FROM history WHERE sheet = ? ORDER BY at DESC, rowid DESC", (sheet,))
        return [json.loads(r[0]) for r in rows]

    # -- accounts and meta
    def set_account(self, name: str, credits: int | None, at: dt.datetime, problem: str = "") -> None:
        self.db.execute("INSERT OR REPLACE INTO accounts VALUES (?, ?, ?, ?)", (name, credits, ts(at), problem))

    def account(self, name: str) -> tuple[int | None, dt.datetime | None, str]:
        row = self.db.execute("SELECT credits, checked_at, problem FROM accounts WHERE name = ?", (name,)).fetchone()
        return (None, None, "") if row is None else (row[0], parse_ts(row[1]), row[2])

    def get(self, name: str, default: str = "") -> str:
        row = self.db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return default if row is None else str(row[0])

    def put(self, name: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))
