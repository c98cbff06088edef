"""The emulated BacklinkBase service: accounts, credits, tasks, and answers to API calls.

`Emulator.handle` turns one parsed API call into an `Answer`; the HTTP layer (`wsgi.py`)
parses requests, applies injected faults and writes the bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sqlite3
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Literal

from ..models import Site
from . import answers, progress
from .answers import Answer
from .catalogue import CATALOGUE, SITES, site_json
from .clock import Clock, FakeClock, RealClock, ScaledClock
from .faults import Faults
from .pages import PageSettings, site_host
from .ratelimit import SlidingWindow
from .store import PlacementRecord, Store, TaskRecord, token_hash
from .validation import StoreRequest, validate_store

if TYPE_CHECKING:
    from .server import ServerHandle

ENDPOINTS: dict[str, tuple[str, ...]] = {
    "health-check": ("GET", "POST"),
    "credits": ("GET", "POST"),
    "task/sites": ("GET", "POST"),
    "task/store": ("POST",),
    "task/show": ("GET", "POST"),
    "tasks": ("GET", "POST"),
}
_TASK_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
_SLUG_WORD = re.compile(r"[^a-z0-9]+")


class Emulator:
    """A faithful local BacklinkBase, configurable to serve each documented variant.

    Quirk switches (the reference contradicts itself; each side is served on request):
    `payload_key` "message" | "response"; `store_status` 201 | 200; `status_vocabulary`
    "placement" (Queued Publishing ...) | "task" (queued, running ...) for task statuses;
    `timestamps` "micro" (…40.000000Z) | "seconds" (…40Z) | "mixed" (alternating per task);
    `validation_message` for 422 bodies ("Validation failed" or "Input Fields Validation
    Error"); `error_values` "list" (as both 422 examples) | "string" (one message per field,
    as the 401/409 examples write theirs); `ids_as_array_only` refuses comma strings for target_website_ids with the
    documented "must be a JSON array"; `retry_after` adds that header to 429 answers.
    """

    def __init__(
        self,
        db: str = ":memory:",
        clock: Clock | None = None,
        speed: float = 1.0,
        rate_limit: int = 60,
        seed: int = 1,
        *,
        payload_key: Literal["message", "response"] = "message",
        store_status: Literal[200, 201] = 201,
        status_vocabulary: Literal["placement", "task"] = "placement",
        timestamps: Literal["micro", "seconds", "mixed"] = "micro",
        validation_message: str = "Validation failed",
        error_values: Literal["list", "string"] = "list",
        ids_as_array_only: bool = False,
        retry_after: int | None = None,
        bad_token_limit: int = 3,
        resume_time: bool = False,
    ):
        if payload_key not in ("message", "response"):
            raise ValueError("payload_key must be 'message' or 'response'")
        if store_status not in (200, 201):
            raise ValueError("store_status must be 200 or 201")
        if status_vocabulary not in ("placement", "task"):
            raise ValueError("status_vocabulary must be 'placement' or 'task'")
        if timestamps not in ("micro", "seconds", "mixed"):
            raise ValueError("timestamps must be 'micro', 'seconds' or 'mixed'")
        if error_values not in ("list", "string"):
            raise ValueError("error_values must be 'list' or 'string'")
        self.store = Store(db)
        self.base_clock: Clock = clock or RealClock()
        saved = self.store.get_meta("last_now") if resume_time else None
        self.clock = ScaledClock(
            self.base_clock, speed, not_before=dt.datetime.fromisoformat(saved) if saved else None
        )
        self.resume_time = resume_time
        self.seed = seed
        self.payload_key = payload_key
        self.store_status = store_status
        self.status_vocabulary = status_vocabulary
        self.timestamps = timestamps
        self.validation_message = validation_message
        self.error_values = error_values
        self.ids_as_array_only = ids_as_array_only
        self.retry_after = retry_after
        self.faults = Faults()
        self._per_token = SlidingWindow(rate_limit)
        # The reference: 429 after "more than 3 bad tokens" a minute, so the 4th is still a 401.
        self._bad_tokens = SlidingWindow(bad_token_limit + 1)
        #: Called once per API request with (method, endpoint, status, milliseconds).
        self.on_request: Callable[[str, str, int, float], None] | None = None
        self._log: list[tuple[str, str]] = []
        self._log_lock = threading.Lock()
        self.root_url: str | None = None
        #: How result pages vary, their latency, one host per site (see `pages`).
        self.pages = PageSettings()

    # --- the in-process API tests and the demo use ---------------------------------------

    def add_account(self, token: str, credits: int) -> None:
        """Create an account, or set its balance when it exists."""
        self.store.set_account(token, credits)

    def ensure_account(self, token: str, credits: int) -> None:
        """Create an account with `credits` unless it exists (a saved database keeps its balance)."""
        self.store.set_account(token, credits, keep_existing=True)

    def close(self) -> None:
        """Close the database (a file database keeps everything for the next Emulator)."""
        self.store.close()

    def credits(self, token: str) -> int:
        """An account's balance (KeyError when the token has no account)."""
        balance = self.store.credits(token_hash(token))
        if balance is None:
            raise KeyError("no account for this token")
        return balance

    def now(self) -> dt.datetime:
        """Emulated time (the base clock, accelerated by `speed`): how far placements are."""
        return self.clock.now()

    def today(self) -> dt.date:
        """The calendar day schedule dates are checked against: the base clock's, never sped up.

        `speed` makes placements progress faster; if it moved the calendar too, a sheet that
        validates today would be refused by an emulator already living in next month.
        """
        return self.base_clock.now().date()

    def top_up(self, token: str, credits: int) -> int:
        """Add `credits` to an account (created when missing); returns the new balance."""
        hashed = token_hash(token)
        balance = self.store.credits(hashed)
        self.store.set_account(token, (balance or 0) + credits)
        return (balance or 0) + credits

    @property
    def catalogue(self) -> tuple[Site, ...]:
        """The site catalogue every account sees."""
        return SITES

    @property
    def request_log(self) -> list[tuple[str, str]]:
        """(method, endpoint) of every API request received, oldest first; never the token."""
        with self._log_lock:
            return list(self._log)

    def clear_request_log(self) -> None:
        """Forget the requests received so far."""
        with self._log_lock:
            self._log.clear()

    def task_rows(self, token: str) -> list[dict[str, object]]:
        """Every task of an account as plain dicts, oldest first, for assertions."""
        now = self.now()
        rows = []
        for task in self.store.tasks(token_hash(token)):
            states = [self._state(task, p, now) for p in task.placements]
            rows.append(
                {
                    "id": task.id,
                    "name": task.name,
                    "status": progress.task_status(states),
                    "sandbox": task.sandbox,
                    "charged": task.charged,
                    "site_ids": [p.site_id for p in task.placements],
                    "article_title": task.article_title,
                    "article_body": task.article_body,
                    "article_urls": list(task.article_urls),
                    "schedule_from": task.schedule_from,
                    "schedule_till": task.schedule_till,
                    "created_at": task.created_at,
                    "placements": [
                        {
                            "site_id": p.site_id,
                            "status": s.status,
                            "schedule_at": p.plan.schedule_at,
                            "finish_at": p.plan.finish_at,
                            "result_url": self._result_url(self.root_url or "/", p, s),
                        }
                        for p, s in zip(task.placements, states, strict=True)
                    ],
                }
            )
        return rows

    def cancel_task(self, task_id: str) -> bool:
        """Cancel a task's unfinished placements now (the API has no call for it)."""
        return self.store.cancel(task_id, self.now())

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> ServerHandle:
        """Serve over HTTP in a background thread; use as a context manager."""
        from .server import ServerHandle

        return ServerHandle(self, host, port)

    # --- answering API calls --------------------------------------------------------------

    def record(self, method: str, endpoint: str) -> None:
        """Add one API request to `request_log`."""
        with self._log_lock:
            self._log.append((method, endpoint))

    def handle(
        self,
        endpoint: str,
        fields: Mapping[str, object],
        *,
        client: str,
        root_url: str,
    ) -> Answer:
        """Answer one API call whose route and method are already known to be valid."""
        wall = self.base_clock.now().timestamp()
        if self._bad_tokens.full(client, wall):
            return answers.rate_limited(self.retry_after)
        token = fields.get("api_token")
        hashed = token_hash(token) if isinstance(token, str) and token else None
        if hashed is None or self.store.credits(hashed) is None:
            self._bad_tokens.hit(client, wall)
            return answers.bad_token()
        if not self._per_token.try_hit(hashed, wall):
            return answers.rate_limited(self.retry_after)
        now = self.now()
        if self.resume_time:
            self.store.set_meta("last_now", now.isoformat())
        self.root_url = root_url
        if endpoint == "health-check":
            health: dict[str, object] = {"timestamp": self._stamp(now)}
            if self.payload_key == "response":
                # health-check's own snippet reads data['response'], as the generic table says.
                health["response"] = dict(health)
            return answers.ok(health)
        if endpoint == "credits":
            balance = self.store.credits(hashed)
            return answers.ok({self.payload_key: {"credits": balance}, "credits": balance})
        if endpoint == "task/sites":
            return answers.ok({self.payload_key: [site_json(s) for s in SITES]})
        if endpoint == "task/store":
            return self._store(hashed, fields, now)
        if endpoint == "task/show":
            return self._show(hashed, fields.get("id"), now, root_url)
        if endpoint == "tasks":
            tasks = list(reversed(self.store.tasks(hashed)))  # newest first, as documented
            return answers.ok({self.payload_key: [self._summary(t, now) for t in tasks]})
        raise LookupError(endpoint)

    def _store(self, hashed: str, fields: Mapping[str, object], now: dt.datetime) -> Answer:
        checked = validate_store(
            fields, today=self.today(), catalogue=CATALOGUE, ids_as_array_only=self.ids_as_array_only
        )
        if not isinstance(checked, StoreRequest):
            return self.invalid(checked)
        cost = 0 if checked.sandbox else len(checked.target_website_ids)
        with self.store.transaction() as db:
            balance = self.store.credits(hashed) or 0
            if cost and balance <= 0:
                return answers.no_credits_left()
            if cost > balance:
                return answers.not_enough_credits()
            seq = self.store.next_seq(db)
            task_id = self._task_id(db, seq)
            slug = _slug(checked.article_title, task_id)
            placements = tuple(
                PlacementRecord(
                    id=0,
                    site_id=site_id,
                    plan=progress.plan_placement(
                        self.seed, task_id, site_id, now, checked.schedule_from,
                        checked.schedule_till, checked.sandbox,
                    ),
                    slug=slug,
                )
                for site_id in checked.target_website_ids
            )
            record = TaskRecord(
                id=task_id, seq=seq, name=checked.name, article_title=checked.article_title,
                article_body=checked.article_body, article_urls=checked.article_urls,
                schedule_from=checked.schedule_from, schedule_till=checked.schedule_till,
                sandbox=checked.sandbox, charged=cost, created_at=now.replace(microsecond=0),
                cancelled_at=None, placements=placements,
            )
            self.store.insert_task(db, hashed=hashed, task=record)
        return answers.ok(
            {"message": "Task created successfully.", "task_id": task_id}, status=self.store_status
        )

    def _show(self, hashed: str, raw_id: object, now: dt.datetime, root_url: str) -> Answer:
        if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
            return self.invalid({"id": ["The id field is required."]})
        if not isinstance(raw_id, str) or not _TASK_ID.fullmatch(raw_id.strip()):
            return self.invalid({"id": ["The id must be a valid task id."]})
        task = self.store.task(hashed, raw_id.strip())
        if task is None:
            return answers.not_found()
        summary = self._summary(task, now)
        states = [self._state(task, p, now) for p in task.placements]
        details = {
            key: summary[key]
            for key in ("id", "name", "status", "created_at", "updated_at", "last_run_at", "completed_at")
        }
        details["article"] = {
            "title": task.article_title,
            "body": task.article_body,
            "urls": list(task.article_urls),
        }
        stamp = self._stamper(task)
        details["sites"] = [
            {
                "backlink_website_id": p.site_id,
                "status": s.status,
                "result_url": self._result_url(root_url, p, s),
                "last_run_at": stamp(s.last_run_at),
                "schedule_at": stamp(p.plan.schedule_at),
                "completed_at": stamp(s.completed_at),
            }
            for p, s in zip(task.placements, states, strict=True)
        ]
        return answers.ok({self.payload_key: details})

    # --- helpers ----------------------------------------------------------------------------

    def invalid(self, errors: dict[str, list[str]]) -> Answer:
        """A 422 in this emulator's configured message and error-value shape."""
        if self.error_values == "string":
            return answers.invalid(self.validation_message, {k: " ".join(v) for k, v in errors.items()})
        return answers.invalid(self.validation_message, errors)

    def _summary(self, task: TaskRecord, now: dt.datetime) -> dict[str, object]:
        states = [self._state(task, p, now) for p in task.placements]
        status = progress.task_status(states)
        runs = [s.last_run_at for s in states if s.last_run_at]
        ends = [s.completed_at for s in states if s.completed_at]
        finished = status in progress.FINAL
        stamp = self._stamper(task)
        return {
            "id": task.id,
            "name": task.name,
            "status": progress.TASK_WORDS[status] if self.status_vocabulary == "task" else status,
            "created_at": stamp(task.created_at),
            "updated_at": stamp(max([task.created_at, *runs, *ends])),
            "last_run_at": stamp(max(runs) if runs else None),
            "completed_at": stamp(max(ends) if finished and ends else None),
        }

    def _state(
        self, task: TaskRecord, placement: PlacementRecord, now: dt.datetime
    ) -> progress.PlacementState:
        return progress.placement_state(placement.plan, now, task.cancelled_at)

    def _result_url(
        self, root_url: str, placement: PlacementRecord, state: progress.PlacementState
    ) -> str | None:
        if state.status != progress.PUBLISHED:
            return None
        site = CATALOGUE.get(placement.site_id)
        domain = site.url if site else str(placement.site_id)
        if self.pages.hosts:
            port = root_url.rstrip("/").rsplit(":", 1)[-1]
            return f"http://{site_host(domain)}:{port}/{placement.slug}"
        return f"{root_url}sites/{domain}/{placement.slug}"

    def _stamper(self, task: TaskRecord) -> Callable[[dt.datetime | None], str | None]:
        micro = self.timestamps == "micro" or (self.timestamps == "mixed" and task.seq % 2 == 1)

        def stamp(value: dt.datetime | None) -> str | None:
            if value is None:
                return None
            return _format(value, micro)

        return stamp

    def _stamp(self, value: dt.datetime) -> str:
        return _format(value, self.timestamps != "seconds")

    def _task_id(self, db: sqlite3.Connection, seq: int) -> str:
        attempt = 0
        while True:
            key = f"task:{self.seed}:{seq}:{attempt}".encode()
            task_id = hashlib.sha256(key).hexdigest()[:13]
            if not self.store.task_exists(db, task_id):
                return task_id
            attempt += 1


def _format(value: dt.datetime, micro: bool) -> str:
    value = value.astimezone(dt.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if micro else "%Y-%m-%dT%H:%M:%SZ")


def _slug(title: str, task_id: str) -> str:
    words = _SLUG_WORD.sub("-", title.lower()).strip("-")
    return f"{words[:60].rstrip('-')}-{task_id}"


__all__ = ["ENDPOINTS", "Emulator", "FakeClock", "RealClock"]
