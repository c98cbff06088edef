"""The emulator's state in SQLite: accounts, tasks and placements.

Tokens are kept only as SHA-256 digests, so a saved database never holds a token. One lock
serialises every access because the server answers from several threads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .progress import PlacementPlan

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    token_hash TEXT PRIMARY KEY,
    credits INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    token_hash TEXT NOT NULL REFERENCES accounts(token_hash),
    name TEXT NOT NULL,
    article_title TEXT NOT NULL,
    article_body TEXT NOT NULL,
    article_urls TEXT NOT NULL,
    schedule_from TEXT NOT NULL,
    schedule_till TEXT NOT NULL,
    sandbox INTEGER NOT NULL,
    charged INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    cancelled_at TEXT
);
CREATE TABLE IF NOT EXISTS placements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL REFERENCES tasks(id),
    site_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    schedule_at TEXT NOT NULL,
    finish_at TEXT NOT NULL,
    outcome TEXT NOT NULL,
    slug TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_by_token ON tasks(token_hash, seq);
CREATE INDEX IF NOT EXISTS placements_by_task ON placements(task_id, position);
"""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class PlacementRecord:
    id: int
    site_id: int
    plan: PlacementPlan
    slug: str


@dataclass(frozen=True)
class TaskRecord:
    id: str
    seq: int
    name: str
    article_title: str
    article_body: str
    article_urls: tuple[str, ...]
    schedule_from: dt.date
    schedule_till: dt.date
    sandbox: bool
    charged: int
    created_at: dt.datetime
    cancelled_at: dt.datetime | None
    placements: tuple[PlacementRecord, ...]


class Store:
    """Thread-safe access to the emulator's SQLite database."""

    def __init__(self, path: str = ":memory:"):
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work, holding the lock throughout."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # --- meta ---------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row["value"])

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # --- accounts -----------------------------------------------------------------------

    def set_account(self, token: str, credits: int, *, keep_existing: bool = False) -> None:
        verb = "DO NOTHING" if keep_existing else "DO UPDATE SET credits = excluded.credits"
        with self._lock:
            self._db.execute(
                f"INSERT INTO accounts(token_hash, credits) VALUES (?, ?) ON CONFLICT(token_hash) {verb}",
                (token_hash(token), credits),
            )

    def credits(self, hashed: str) -> int | None:
        with self._lock:
            row = self._db.execute(
                "SELECT credits FROM accounts WHERE token_hash = ?", (hashed,)
            ).fetchone()
        return None if row is None else int(row["credits"])

    # --- tasks --------------------------------------------------------------------------

    def next_seq(self, db: sqlite3.Connection) -> int:
        row = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM tasks").fetchone()
        return int(row["n"])

    def task_exists(self, db: sqlite3.Connection, task_id: str) -> bool:
        return db.execute("SELECT 1 FROM tasks WHERE id = ?", (task_id,)).fetchone() is not None

    def insert_task(
        self,
        db: sqlite3.Connection,
        *,
        hashed: str,
        task: TaskRecord,
    ) -> None:
        db.execute(
            "INSERT INTO tasks(id, seq, token_hash, name, article_title, article_body, article_urls,"
            " schedule_from, schedule_till, sandbox, charged, created_at, cancelled_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (
                task.id, task.seq, hashed, task.name, task.article_title, task.article_body,
                json.dumps(list(task.article_urls)), task.schedule_from.isoformat(),
                task.schedule_till.isoformat(), int(task.sandbox), task.charged,
                task.created_at.isoformat(),
            ),
        )
        for position, placement in enumerate(task.placements):
            db.execute(
                "INSERT INTO placements(task_id, site_id, position, schedule_at, finish_at, outcome, slug)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    task.id, placement.site_id, position, placement.plan.schedule_at.isoformat(),
                    placement.plan.finish_at.isoformat(), placement.plan.outcome, placement.slug,
                ),
            )
        if task.charged:
            db.execute(
                "UPDATE accounts SET credits = credits - ? WHERE token_hash = ?",
                (task.charged, hashed),
            )

    def tasks(self, hashed: str) -> list[TaskRecord]:
        """Every task of one account, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM tasks WHERE token_hash = ? ORDER BY seq", (hashed,)
            ).fetchall()
            # One query for every placement, not one per task: lists run to thousands of tasks.
            placements: dict[str, list[sqlite3.Row]] = {}
            for p in self._db.execute(
                "SELECT p.* FROM placements p JOIN tasks t ON t.id = p.task_id"
                " WHERE t.token_hash = ? ORDER BY p.task_id, p.position",
                (hashed,),
            ):
                placements.setdefault(p["task_id"], []).append(p)
            return [self._task(row, placements.get(row["id"], [])) for row in rows]

    def task(self, hashed: str, task_id: str) -> TaskRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM tasks WHERE token_hash = ? AND id = ?", (hashed, task_id)
            ).fetchone()
            return None if row is None else self._task(row)

    def find_placement(self, site_id: int, slug: str) -> tuple[TaskRecord, PlacementRecord] | None:
        """The task and placement a result page (site, slug) belongs to."""
        with self._lock:
            row = self._db.execute(
                "SELECT t.* , p.id AS pid FROM placements p JOIN tasks t ON t.id = p.task_id"
                " WHERE p.slug = ? AND p.site_id = ?",
                (slug, site_id),
            ).fetchone()
            if row is None:
                return None
            task = self._task(row)
        placement = next(p for p in task.placements if p.id == row["pid"])
        return task, placement

    def placements_of_site(self, site_id: int) -> list[tuple[TaskRecord, PlacementRecord]]:
        """Every placement on one site, with its task (for the site's robots.txt)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT t.*, p.id AS pid FROM placements p JOIN tasks t ON t.id = p.task_id"
                " WHERE p.site_id = ? ORDER BY p.id",
                (site_id,),
            ).fetchall()
            found = [(self._task(row), row["pid"]) for row in rows]
        return [(task, next(p for p in task.placements if p.id == pid)) for task, pid in found]

    def cancel(self, task_id: str, when: dt.datetime) -> bool:
        with self._lock:
            cursor = self._db.execute(
                "UPDATE tasks SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL",
                (when.isoformat(), task_id),
            )
            return cursor.rowcount == 1

    def _task(self, row: sqlite3.Row, placements: list[sqlite3.Row] | None = None) -> TaskRecord:
        if placements is None:
            placements = self._db.execute(
                "SELECT * FROM placements WHERE task_id = ? ORDER BY position", (row["id"],)
            ).fetchall()
        return TaskRecord(
            id=row["id"],
            seq=row["seq"],
            name=row["name"],
            article_title=row["article_title"],
            article_body=row["article_body"],
            article_urls=tuple(json.loads(row["article_urls"])),
            schedule_from=dt.date.fromisoformat(row["schedule_from"]),
            schedule_till=dt.date.fromisoformat(row["schedule_till"]),
            sandbox=bool(row["sandbox"]),
            charged=row["charged"],
            created_at=dt.datetime.fromisoformat(row["created_at"]),
            cancelled_at=(
                dt.datetime.fromisoformat(row["cancelled_at"]) if row["cancelled_at"] else None
            ),
            placements=tuple(
                PlacementRecord(
                    id=p["id"],
                    site_id=p["site_id"],
                    plan=PlacementPlan(
                        schedule_at=dt.datetime.fromisoformat(p["schedule_at"]),
                        finish_at=dt.datetime.fromisoformat(p["finish_at"]),
                        outcome=p["outcome"],
                    ),
                    slug=p["slug"],
                )
                for p in placements
            ),
        )
