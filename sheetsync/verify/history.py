"""Each placement's check history, in the local state database (tables of its own).

`link_checks` keeps every check (append only); `link_state` the latest `LinkState` per
placement, which is all the scheduler needs. Each check is committed on its own, so a run
stopped halfway keeps what it checked.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import TableError
from .classify import Check
from .schedule import LinkState

_SCHEMA = """
CREATE TABLE IF NOT EXISTS link_checks (
    task_id TEXT NOT NULL,
    site_id INTEGER NOT NULL,
    checked_at TEXT NOT NULL,
    result_url TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    anchor_text TEXT NOT NULL DEFAULT '',
    rel TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS link_checks_placement ON link_checks (task_id, site_id, checked_at);
CREATE TABLE IF NOT EXISTS link_state (
    task_id TEXT NOT NULL,
    site_id INTEGER NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (task_id, site_id)
);
"""

#: Checks committed together: one commit per check would cost more than parsing the page.
BATCH = 50

_FIELDS = tuple(f.name for f in dataclasses.fields(LinkState))
_TIMES = {f.name for f in dataclasses.fields(LinkState) if "datetime" in str(f.type)}


class History:
    """SQLite-backed check history; placements are keyed by (task id, site id)."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._pending = 0
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            # As the journal: a commit survives the process being killed, not a power cut.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise TableError(
                f"The state database {self.path} cannot be opened ({exc}); check the folder's "
                "permissions."
            ) from None

    def close(self) -> None:
        self.flush()
        self._db.close()

    def __enter__(self) -> "History":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def states(self, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], LinkState]:
        """The latest state of each placement in `keys` that has one."""
        wanted = set(keys)
        found: dict[tuple[str, int], LinkState] = {}
        for task_id, site_id, text in self._db.execute("SELECT task_id, site_id, state FROM link_state"):
            if (task_id, site_id) in wanted:
                found[(task_id, site_id)] = _load(text)
        return found

    def record(self, task_id: str, site_id: int, check: Check, state: LinkState) -> None:
        """Append one check and store the state it led to; committed in batches (`flush`).

        A check lost to a crash before its commit is simply made again on the next run.
        """
        if not self._pending:
            self._db.execute("BEGIN")
        self._db.execute(
            "INSERT INTO link_checks (task_id, site_id, checked_at, result_url, status, note,"
            " anchor_text, rel) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (task_id, site_id, state.checked_at.isoformat(), state.result_url, check.status,
             check.note, check.anchor_text, check.rel),
        )  # fmt: skip
        self._db.execute(
            "INSERT INTO link_state (task_id, site_id, state) VALUES (?, ?, ?)"
            " ON CONFLICT (task_id, site_id) DO UPDATE SET state=excluded.state",
            (task_id, site_id, _dump(state)),
        )
        self._pending += 1
        if self._pending >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Commit the checks recorded since the last commit."""
        if self._pending:
            self._db.execute("COMMIT")
            self._pending = 0

    def checks(self, task_id: str, site_id: int) -> list[dict[str, Any]]:
        """Every check of one placement, oldest first."""
        cursor = self._db.execute(
            "SELECT checked_at, result_url, status, note, anchor_text, rel FROM link_checks"
            " WHERE task_id=? AND site_id=? ORDER BY checked_at, rowid",
            (task_id, site_id),
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]


def _dump(state: LinkState) -> str:
    data = {name: getattr(state, name) for name in _FIELDS}
    for name in _TIMES:
        if data[name] is not None:
            data[name] = data[name].isoformat()
    return json.dumps(data)


def _load(text: str) -> LinkState:
    data = json.loads(text)
    known = {f.name for f in dataclasses.fields(LinkState)}
    data = {k: v for k, v in data.items() if k in known}
    for name in _TIMES:
        if data.get(name):
            data[name] = dt.datetime.fromisoformat(data[name])
    return LinkState(**data)
