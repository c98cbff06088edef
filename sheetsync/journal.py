"""The local record of submissions: what was about to be sent, what was created, what was seen.

One SQLite file in the user's data folder. Every change is committed on its own, right when it
happens, so a crash at any point leaves a record the next run can reconcile: an intent without a
task id means "maybe sent". The sheet and the server stay the shared truth; this is the fast
path and the memory of one machine (see DESIGN.md, "Exactly-once submission").
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import platformdirs

from . import models
from .errors import StateError

F = TypeVar("F", bound=Callable[..., Any])

APP_NAME = "sheetsync"

# Submission states.
INTENT = "intent"  # about to POST: the task may or may not exist
SUBMITTED = "submitted"  # the server answered with a task id
UNKNOWN = "unknown"  # the POST went out, the answer was lost

_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    sheet TEXT NOT NULL,
    row_key TEXT NOT NULL,
    mode TEXT NOT NULL,
    state TEXT NOT NULL,
    task_id TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL,
    PRIMARY KEY (sheet, row_key, mode)
);
CREATE INDEX IF NOT EXISTS submissions_fingerprint ON submissions (sheet, fingerprint);
CREATE TABLE IF NOT EXISTS tasks_seen (
    sheet TEXT NOT NULL,
    task_id TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT '',
    placements TEXT,
    PRIMARY KEY (sheet, task_id)
);
CREATE TABLE IF NOT EXISTS sheet_state (
    sheet TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (sheet, name)
);
"""


@dataclass(frozen=True)
class Entry:
    """One row's submission record for one mode ("live" or "sandbox")."""

    row_key: str
    mode: str
    state: str
    task_id: str = ""
    name: str = ""
    fingerprint: str = ""


@dataclass(frozen=True)
class Seen:
    """What the last refresh saw of a task, so the next one can skip `task/show`."""

    task_id: str
    updated_at: dt.datetime | None
    status: str
    placements: tuple[models.Placement, ...] | None


@dataclass(frozen=True)
class Snapshot:
    """Everything the journal knows about one sheet, as plain data for the planner."""

    entries: Mapping[tuple[str, str], Entry]
    seen: Mapping[str, Seen]
    state: Mapping[str, str]

    def by_fingerprint(self, fingerprint: str, mode: str) -> list[Entry]:
        """Entries of `mode` whose row asked for exactly this content."""
        return self._by_content.get((fingerprint, mode), [])

    @functools.cached_property
    def _by_content(self) -> dict[tuple[str, str], list[Entry]]:
        # Built once per run: every keyless row asks, and journals grow with every submission.
        index: dict[tuple[str, str], list[Entry]] = {}
        for e in self.entries.values():
            index.setdefault((e.fingerprint, e.mode), []).append(e)
        return index


EMPTY = Snapshot(entries={}, seen={}, state={})


def state_error(folder: Path | str, exc: BaseException, doing: str = "write to") -> StateError:
    """The configuration error for a state folder that cannot be used, with the next step."""
    reason = getattr(exc, "strerror", None) or " ".join(str(exc).split()) or type(exc).__name__
    full = "full" in reason.lower() or getattr(exc, "errno", None) == 28  # ENOSPC
    step = "free some space there" if full else "check its permissions"
    return StateError(
        f"sheetsync cannot {doing} its state folder {folder} ({reason}); {step}, or set "
        "SHEETSYNC_STATE_DIR to a writable folder with room, then run again."
    )


def _writes(method: F) -> F:
    """Turn a failed journal write (a full disk, a folder made read-only) into a StateError."""

    @functools.wraps(method)
    def wrapper(self: "Journal", *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except (sqlite3.Error, OSError) as exc:
            raise state_error(Path(self.path).parent, exc) from None

    return wrapper  # type: ignore[return-value]


class Journal:
    """SQLite-backed submission journal; every method commits before it returns."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            folder = Path(self.path).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise state_error(folder, exc, "create") from None
        try:
            # isolation_level=None: we commit each statement ourselves, immediately.
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            # WAL + NORMAL: a commit survives the process being killed at any point (what a
            # crash or Ctrl-C does); only a power cut can undo the latest commits, and then the
            # run after it still finds the task by its marker in the server's task list.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            if "full" in str(exc).lower():
                raise state_error(Path(self.path).parent, exc) from None
            raise StateError(
                f"The sync journal {self.path} cannot be opened ({exc}); check the folder's "
                "permissions (or set SHEETSYNC_STATE_DIR to another folder), or delete the file "
                "to start a new journal."
            ) from None

    @classmethod
    def default(cls) -> "Journal":
        """The journal in the user's data folder (e.g. ~/.local/share/sheetsync)."""
        return cls(default_folder() / "journal.sqlite3")

    def __repr__(self) -> str:
        return f"Journal({self.path!r})"

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- submissions ---------------------------------------------------------------------

    @_writes
    def record_intent(self, sheet: str, entry: Entry) -> None:
        """Durably note that `entry` is about to be sent (call before the POST)."""
        self._upsert(sheet, Entry(entry.row_key, entry.mode, INTENT, "", entry.name, entry.fingerprint))

    @_writes
    def record_submitted(self, sheet: str, row_key: str, mode: str, task_id: str) -> None:
        """Durably note the task id the server gave (call right after the POST)."""
        self._db.execute(
            "UPDATE submissions SET state=?, task_id=?, updated=? WHERE sheet=? AND row_key=? AND mode=?",
            (SUBMITTED, task_id, _now(), sheet, row_key, mode),
        )

    @_writes
    def record_adopted(self, sheet: str, entry: Entry) -> None:
        """Record a task found on the server by its marker (another machine, or a lost answer)."""
        self._upsert(sheet, Entry(entry.row_key, entry.mode, SUBMITTED, entry.task_id, entry.name, entry.fingerprint))

    @_writes
    def record_unknown(self, sheet: str, row_key: str, mode: str) -> None:
        """The POST went out but its answer was lost: the next run must look before sending."""
        self._db.execute(
            "UPDATE submissions SET state=?, updated=? WHERE sheet=? AND row_key=? AND mode=? AND state!=?",
            (UNKNOWN, _now(), sheet, row_key, mode, SUBMITTED),
        )

    @_writes
    def forget_intent(self, sheet: str, row_key: str, mode: str) -> None:
        """The server refused the POST (or it never left): nothing was created."""
        self._db.execute(
            "DELETE FROM submissions WHERE sheet=? AND row_key=? AND mode=? AND state!=?",
            (sheet, row_key, mode, SUBMITTED),
        )

    def _upsert(self, sheet: str, e: Entry) -> None:
        self._db.execute(
            "INSERT INTO submissions (sheet, row_key, mode, state, task_id, name, fingerprint, updated)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (sheet, row_key, mode) DO UPDATE SET state=excluded.state,"
            " task_id=excluded.task_id, name=excluded.name, fingerprint=excluded.fingerprint,"
            " updated=excluded.updated",
            (sheet, e.row_key, e.mode, e.state, e.task_id, e.name, e.fingerprint, _now()),
        )

    # --- what refreshes saw --------------------------------------------------------------

    @_writes
    def remember_seen(self, sheet: str, seen: Iterable[Seen]) -> None:
        """Store the last seen state of tasks (one transaction)."""
        rows = [
            (
                sheet,
                s.task_id,
                s.updated_at.isoformat() if s.updated_at else "",
                s.status,
                None if s.placements is None else _dump_placements(s.placements),
            )
            for s in seen
        ]
        if not rows:
            return
        with _transaction(self._db):
            self._db.executemany(
                "INSERT INTO tasks_seen (sheet, task_id, updated_at, status, placements)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (sheet, task_id) DO UPDATE SET"
                " updated_at=excluded.updated_at, status=excluded.status,"
                " placements=COALESCE(excluded.placements, tasks_seen.placements)",
                rows,
            )

    @_writes
    def set_state(self, sheet: str, name: str, value: str) -> None:
        """Remember one named value for `sheet` (e.g. the Placements tab digest)."""
        self._db.execute(
            "INSERT INTO sheet_state (sheet, name, value) VALUES (?, ?, ?)"
            " ON CONFLICT (sheet, name) DO UPDATE SET value=excluded.value",
            (sheet, name, value),
        )

    def snapshot(self, sheet: str) -> Snapshot:
        """Everything known about `sheet`, read once per run."""
        entries = {
            (r[0], r[1]): Entry(*r)
            for r in self._db.execute(
                "SELECT row_key, mode, state, task_id, name, fingerprint FROM submissions WHERE sheet=?",
                (sheet,),
            )
        }
        seen = {
            r[0]: Seen(
                r[0],
                models.parse_timestamp(r[1]) if r[1] else None,
                r[2],
                None if r[3] is None else _load_placements(r[3]),
            )
            for r in self._db.execute(
                "SELECT task_id, updated_at, status, placements FROM tasks_seen WHERE sheet=?",
                (sheet,),
            )
        }
        state = dict(
            self._db.execute("SELECT name, value FROM sheet_state WHERE sheet=?", (sheet,)).fetchall()
        )
        return Snapshot(entries=entries, seen=seen, state=state)


def default_folder() -> Path:
    """The per-user data folder holding the journal and the locks."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


class _transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _ts(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dump_placements(placements: Iterable[models.Placement]) -> str:
    return json.dumps(
        [
            {
                "site_id": p.site_id,
                "status": p.status.value,
                "result_url": p.result_url,
                "schedule_at": _ts(p.schedule_at),
                "last_run_at": _ts(p.last_run_at),
                "completed_at": _ts(p.completed_at),
            }
            for p in placements
        ]
    )


def _load_placements(text: str) -> tuple[models.Placement, ...]:
    return tuple(
        models.Placement(
            site_id=int(d["site_id"]),
            status=models.parse_status(d["status"]),
            result_url=d.get("result_url"),
            schedule_at=models.parse_timestamp(d.get("schedule_at")),
            last_run_at=models.parse_timestamp(d.get("last_run_at")),
            completed_at=models.parse_timestamp(d.get("completed_at")),
        )
        for d in json.loads(text)
    )
