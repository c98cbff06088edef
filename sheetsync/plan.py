"""Pure planning: (rows, server task list, catalogue, credits, journal) -> a list of row actions.

Nothing here reads a sheet, talks to BacklinkBase or touches the journal file; `apply.py` does
that. The `plan` command prints a `Plan`; `sync` builds the same `Plan` and then applies it.

Exactly-once rests on one idea: every row gets a stable key before it is ever sent, and the key
travels as the last word of the task name (the marker). A row that has a key but no task id is
therefore looked up on the server before anything is sent again.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from . import columns as C
from . import models
from .journal import EMPTY, INTENT, SUBMITTED, UNKNOWN, Snapshot
from .rules import check_row, derive_name
from .tables.layout import status_text
from .sheet import ArticleRow, Problem

LIVE = "live"
SANDBOX = "sandbox"
_SANDBOX_SUFFIX = ".sandbox"
KEY_PREFIX = "ss-"
_KEY = r"ss-[a-z2-7]{8}"
_MARKER = re.compile(rf"^({_KEY})(\.sandbox)?$")


# --- keys and markers ---------------------------------------------------------------------


def new_key() -> str:
    """A fresh row key: "ss-" and 8 random base32 characters (40 bits)."""
    return KEY_PREFIX + base64.b32encode(secrets.token_bytes(5)).decode("ascii").lower()


def marker(key: str, sandbox: bool) -> str:
    """The word appended to a task name; sandbox tasks never carry a live marker."""
    return key + (_SANDBOX_SUFFIX if sandbox else "")


def parse_marker(task_name: str) -> tuple[str, bool] | None:
    """(row key, sandbox) from a task name ending in a marker, else None."""
    words = str(task_name).split()
    match = _MARKER.match(words[-1]) if words else None
    if not match:
        return None
    return match.group(1), bool(match.group(2))


def run_mode(sandbox: bool) -> str:
    """"sandbox" or "live": the mode a run submits and follows tasks in."""
    return SANDBOX if sandbox else LIVE


def fingerprint(row: ArticleRow) -> str:
    """A digest of what a row asks for, to notice a copied row or a cleared key."""
    parts = [row.name.strip(), row.title.strip(), row.body.strip(), "\n".join(row.urls)]
    parts.append(",".join(str(i) for i in row.target_ids))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:24]


def new_task(row: ArticleRow, key: str, sandbox: bool) -> models.NewTask:
    """What `task/store` receives for `row`; the name ends with the row's marker."""
    return models.NewTask(
        name=f"{derive_name(row)} {marker(key, sandbox)}",
        article_title=row.title,
        article_body=row.body,
        article_urls=tuple(row.urls),
        target_website_ids=tuple(row.target_ids),
        schedule_from=row.schedule_from,
        schedule_till=row.schedule_till,
        sandbox=sandbox,
    )


# --- actions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """What the run does with one row. `key` is the row's key (possibly assigned by this run)."""

    row: ArticleRow
    key: str
    #: The key is not in the sheet yet (or is shared with another row): address the row by
    #: its read position and anchor, as `RowWrite(new_key=True)` does.
    by_position: bool = field(default=False, kw_only=True)

    kind = "action"
    #: Needs a person's attention (exit code 1).
    attention = False

    @property
    def message(self) -> str:
        return ""

    @property
    def note(self) -> str | None:
        """Text for the notes cell: None leaves it as it is, "" clears it."""
        return None


@dataclass(frozen=True)
class Submit(Action):
    """Send the row as a new task (`retry`: an earlier intent never reached the server)."""

    task: models.NewTask
    cost: int
    #: An earlier attempt left an intent that the server's task list does not show.
    retry: bool = False
    kind = "submit"

    @property
    def message(self) -> str:
        what = f"{len(self.task.target_website_ids)} site(s), {self.cost} credit(s)"
        return f"submit ({what})" + (", earlier attempt did not arrive" if self.retry else "")

    @property
    def note(self) -> str | None:
        return ""


@dataclass(frozen=True)
class Adopt(Action):
    """The server already has this row's task (found by marker): write its id to the sheet."""

    task: models.TaskSummary
    duplicates: tuple[str, ...] = ()
    kind = "adopt"

    @property
    def attention(self) -> bool:  # type: ignore[override]
        return bool(self.duplicates)

    @property
    def message(self) -> str:
        return f"found task {self.task.id} on BacklinkBase; writing its id"

    @property
    def note(self) -> str | None:
        if self.duplicates:
            return (
                f"BacklinkBase has {len(self.duplicates) + 1} tasks for this row "
                f"({self.task.id}, {', '.join(self.duplicates)}); sheetsync keeps {self.task.id}. "
                "Cancel the others in the BacklinkBase dashboard."
            )
        return ""


@dataclass(frozen=True)
class Refresh(Action):
    """Follow a submitted task. `fetch`: call `task/show` (something changed or is missing)."""

    task_id: str
    summary: models.TaskSummary | None
    fetch: bool
    #: Why the task needs a person (placements failed), known without fetching; "" if nothing.
    failure: str = ""
    #: Other tasks on BacklinkBase whose names end in this row's key (paid twice somehow).
    duplicates: tuple[str, ...] = ()

    @property
    def kind(self) -> str:  # type: ignore[override]
        return "refresh" if self.summary is not None else "missing"

    @property
    def attention(self) -> bool:  # type: ignore[override]
        # A failed placement needs a person every time it is reported, not only when first seen.
        return self.summary is None or bool(self.failure) or bool(self.duplicates)

    @property
    def message(self) -> str:
        if self.summary is None:
            return f"task {self.task_id} is not in this account's task list"
        if self.duplicates:
            return self.duplicates_text
        if self.failure and not self.fetch:
            return self.failure
        return "refresh" if self.fetch else "unchanged"

    @property
    def note(self) -> str | None:
        if self.summary is None:
            return (
                f"Task {self.task_id} is not in this account's task list; check that "
                "BACKLINKBASE_API_TOKEN is the account that created it, or clear task_id and "
                "row_key to submit the row again."
            )
        if self.duplicates:
            return self.duplicates_text
        return None

    @property
    def duplicates_text(self) -> str:
        ids = ", ".join((self.task_id, *self.duplicates))
        return (
            f"BacklinkBase has {len(self.duplicates) + 1} tasks for this row ({ids}); sheetsync "
            f"follows {self.task_id}. Cancel the others in the BacklinkBase dashboard."
        )


@dataclass(frozen=True)
class Hold(Action):
    """Not sent this run, for a reason a person should read."""

    reason: str
    kind = "hold"
    attention = True

    @property
    def message(self) -> str:
        return self.reason

    @property
    def note(self) -> str | None:
        return self.reason


@dataclass(frozen=True)
class Yielded(Action):
    """Not sent: another sync holds the sheet lease and is sending rows right now.

    Nothing is written to the row: the holder is giving it its key and task id meanwhile.
    """

    reason: str
    kind = "not-sent"

    @property
    def message(self) -> str:
        return self.reason


@dataclass(frozen=True)
class Wait(Action):
    """Valid and ready, but the credits (or --max-credits) do not cover it yet."""

    cost: int
    left: int
    limit: str  # "balance", "--max-credits N" or a `SpendLimit`'s name
    first: int  # sheet row of the first waiting row
    #: What a person can do, for a `SpendLimit` (a budget); "" for the balance and --max-credits.
    advice: str = ""
    kind = "wait"
    attention = True

    @property
    def message(self) -> str:
        where = "left" if self.limit == "balance" else f"left under {self.limit}"
        text = f"Waiting for credits: needs {self.cost}, {self.left} {where}"
        if self.first != self.row.row:
            text += f" (row {self.first} is first in line)"
        if self.advice:
            return f"{text}; {self.advice}"
        # The note is read in the sheet by people who never see the command line: say who can act.
        if self.limit == "balance":
            return text + (
                "; whoever manages the BacklinkBase account can add credits, and the next sync "
                "sends the row."
            )
        return text + (
            "; whoever runs sheetsync capped this run with --max-credits (or SHEETSYNC_MAX_CREDITS) "
            "and can raise the cap; otherwise a later sync sends the row."
        )

    @property
    def note(self) -> str | None:
        return self.message


@dataclass(frozen=True)
class Reject(Action):
    """Ready but invalid: the problems go into the row's notes."""

    problems: tuple[Problem, ...]
    kind = "invalid"
    attention = True

    @property
    def message(self) -> str:
        return problems_text(self.problems, sep=" ")

    @property
    def note(self) -> str | None:
        return problems_text(self.problems)


@dataclass(frozen=True)
class NotReady(Action):
    """Not marked ready: never sent; its problems (if any) are shown to help the typist."""

    problems: tuple[Problem, ...] = ()
    kind = "not-ready"

    @property
    def attention(self) -> bool:  # type: ignore[override]
        # A half-typed row waits quietly; a ready cell nobody can read needs its author.
        return any(p.canonical == C.READY for p in self.problems)

    @property
    def message(self) -> str:
        return "not ready" + (f": {problems_text(self.problems, sep=' ')}" if self.problems else "")

    @property
    def note(self) -> str | None:
        if self.problems:
            return problems_text(self.problems)
        # Say why a complete row was not sent, in the row itself, where its author looks.
        return "Not sent yet: set ready to TRUE when this row should be submitted."


@dataclass(frozen=True)
class New(Action):
    """A valid new row in a pull-only run: left for the next push."""

    kind = "new"

    @property
    def message(self) -> str:
        return "new row; a push will submit it"


def needs_details(task: models.TaskSummary) -> bool:
    """Whether `task/show` can tell more than the task list (not for a task still queued)."""
    return task.status is not models.Status.QUEUED


def problems_text(problems: Iterable[Problem], sep: str = "\n") -> str:
    """Plain sentences for the notes cell, one per problem."""
    return sep.join(f"{p.column}: {p.message}" for p in problems)


# --- the plan -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Everything a run would do, decided before anything is touched."""

    actions: tuple[Action, ...]
    mode: str  # "live" | "sandbox"
    balance: int | None
    max_credits: int | None
    #: Some row would be submitted but the catalogue/credits were not given yet.
    needs_catalogue: bool = False
    notes: tuple[str, ...] = ()
    #: Submissions per batch: before each batch after the first the task list is read again.
    batch_size: int = 20
    #: Tasks whose details (task/show) would say whether a held row matches them in content.
    details_needed: tuple[str, ...] = ()

    def of(self, kind: type[Action]) -> list[Any]:
        """The actions of one kind, in sheet order."""
        return [a for a in self.actions if isinstance(a, kind)]

    @property
    def submits(self) -> list[Submit]:
        return self.of(Submit)

    @property
    def cost(self) -> int:
        """Credits the planned submissions spend (0 in sandbox)."""
        return sum(a.cost for a in self.submits)

    @property
    def fetches(self) -> int:
        return sum(1 for a in self.actions if isinstance(a, Refresh) and a.fetch) + sum(
            1 for a in self.actions if isinstance(a, Adopt) and needs_details(a.task)
        )

    @property
    def expected_requests(self) -> int:
        """BacklinkBase requests a sync would make: list, catalogue, credits, posts, details.

        Submitting adds a second look at the task list once the sheet lease is held, and one
        more before each further batch.
        """
        base = 1
        if self.submits or self.needs_catalogue:
            base += 1 if self.mode == SANDBOX else 2
        if self.submits:
            base += 1 + (len(self.submits) - 1) // max(1, self.batch_size)
        return base + len(self.submits) + self.fetches

    def counts(self) -> dict[str, int]:
        """How many rows get each kind of action."""
        out: dict[str, int] = {}
        for a in self.actions:
            out[a.kind] = out.get(a.kind, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """The plan as plain JSON data (the `plan` key of every --json report)."""
        return {
            "mode": self.mode,
            "cost": self.cost,
            "balance": self.balance,
            "max_credits": self.max_credits,
            "expected_requests": self.expected_requests,
            "counts": self.counts(),
            "rows": [
                {
                    "row": a.row.row,
                    "key": a.key,
                    "action": a.kind,
                    "cost": getattr(a, "cost", 0),
                    "targets": list(a.task.target_website_ids) if isinstance(a, Submit) else [],
                    "message": a.message,
                }
                for a in self.actions
            ],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class SpendLimit:
    """A cap besides the balance and --max-credits, e.g. what is left of a monthly budget."""

    left: int
    name: str  # "Acme Ltd's budget for 2026-12 (200 credits)"
    advice: str  # who can act, for the waiting rows' notes


#: (row, key, cost) -> why the row may not be sent yet ("" lets it through). Asked only for
#: valid ready rows about to be submitted, before their cost is taken from any budget.
Gate = Callable[[ArticleRow, str, int], str]


def build(
    rows: Sequence[ArticleRow],
    *,
    remote: Sequence[models.TaskSummary],
    catalogue: models.Catalogue | None,
    balance: int | None,
    today: dt.date,
    sandbox: bool = False,
    max_credits: int | None = None,
    journal: Snapshot = EMPTY,
    push: bool = True,
    pull: bool = True,
    make_key: Callable[[], str] = new_key,
    batch_size: int = 20,
    gate: Gate | None = None,
    spend_limit: SpendLimit | None = None,
    details: Mapping[str, models.Task] | None = None,
) -> Plan:
    """Decide every row's action, in sheet order. Pure, given `make_key` (and `gate`).

    With `catalogue=None` rows are checked without it and `needs_catalogue` says whether a
    second call with the catalogue and balance is worth the two requests. A row `gate` holds
    is a `Hold` with the gate's reason; `spend_limit` caps spending like --max-credits.
    """
    mode = run_mode(sandbox)
    by_id = {t.id: t for t in remote}
    by_marker: dict[str, list[models.TaskSummary]] = {}
    for t in sorted(remote, key=created_order):
        parsed = parse_marker(t.name)
        if parsed:
            by_marker.setdefault(marker(*parsed), []).append(t)

    rows_of_key: dict[str, list[int]] = {}
    for r in rows:
        if r.key.strip():
            rows_of_key.setdefault(r.key.strip(), []).append(r.row)
    first_row_of_key = {key: found[0] for key, found in rows_of_key.items()}

    # Tasks of this run's mode by their name without the marker: a row without a task whose
    # name and content match one was sent before under a key it no longer has.
    by_name: dict[str, list[models.TaskSummary]] = {}
    for found in by_marker.values():
        for t in found:
            parsed = parse_marker(t.name)
            if parsed and parsed[1] == sandbox:
                by_name.setdefault(" ".join(t.name.split()[:-1]), []).append(t)
    wanted: set[str] = set()
    doubled: list[int] = []
    actions: list[Action] = []
    needs_catalogue = False
    budget = _Budget(balance, max_credits, sandbox, spend_limit)

    def new_or_waiting(r: ArticleRow, key: str, retry: bool) -> Action:
        """A row that has no task yet: check it, price it, and queue it in sheet order."""
        nonlocal needs_catalogue
        fresh = not key
        key = key or make_key()
        if r.target_domains:
            if catalogue is None:
                needs_catalogue = True  # the domains become ids only with the catalogue
            else:
                r = resolve_domains(r, catalogue)
        problems = tuple(r.problems) + tuple(check_row(r, catalogue, today))
        if not r.ready:
            return NotReady(r, key, problems, by_position=fresh)
        if problems:
            return Reject(r, key, problems, by_position=fresh)
        if not push:
            # Site ids are only known valid against the catalogue: a pull asks for it too, so
            # that a row with a wrong id is shown as invalid, never as "a push will submit it".
            needs_catalogue = needs_catalogue or catalogue is None
            return New(r, key, by_position=fresh)
        twin = _server_twin(r, key, by_name, details, wanted)
        if twin is not None:
            # Content BacklinkBase already has under another key: never sent blind.
            return Hold(r, "" if fresh else key, _server_twin_reason(twin, first_row_of_key), by_position=fresh)
        task = new_task(r, key, sandbox)
        needs_catalogue = needs_catalogue or catalogue is None
        held = gate(r, key, task.cost) if gate is not None else ""
        if held:
            return Hold(r, key, held, by_position=fresh)
        wait = budget.take(task.cost, r.row)
        if wait:
            return Wait(r, key, task.cost, *wait, by_position=fresh)
        return Submit(r, key, task, task.cost, retry, by_position=fresh)

    for r in rows:
        key = r.key.strip()
        task_id = r.task_id.strip()
        # The task's own marker says which mode it was created in; the mode cell is only a
        # fallback (a person may clear or retype it).
        listed = parse_marker(by_id[task_id].name) if task_id in by_id else None
        row_mode = (SANDBOX if listed[1] else LIVE) if listed else r.mode.strip().lower()

        if key and first_row_of_key[key] != r.row:
            actions.append(
                Hold(
                    r,
                    key,
                    f"Copied from row {first_row_of_key[key]} together with its row_key {key}: clear "
                    "row_key, task_id and status in this row to send it as a new article.",
                    by_position=True,
                )
            )
            continue

        if key and listed and listed[0] != key:
            # A task id pasted from another row: following it would report that row's task
            # here, and hide whether this row was ever sent.
            reason = (
                f"task_id {task_id} belongs to row_key {listed[0]} (its task name ends with it), "
                f"not to this row's {key}; put this row's own task id back, or clear task_id and "
                "sheetsync will find the row's task by its key."
            )
            actions.append(Hold(r, key, reason))
            continue

        # A sandbox run never replaces a live task; a live run does replace a sandbox one.
        has_task = bool(task_id) and (row_mode != SANDBOX or mode == SANDBOX)
        moved = _article_moved(r, key, task_id, journal, row_mode or mode) if has_task else ""
        if moved:
            actions.append(Hold(r, key, moved))
            continue
        if has_task:
            action = _follow(r, key, task_id, by_id.get(task_id), journal, pull, make_key)
            others = tuple(t.id for t in by_marker.get(marker(key, row_mode == SANDBOX), []) if t.id != task_id) if key else ()
            if isinstance(action, Refresh) and others:
                action = replace(action, duplicates=others)
                doubled.append(r.row)
            if action is not None:
                actions.append(action)
            continue

        if not key:
            twin = _submitted_twin(r, mode, sandbox, journal, by_id, by_marker)
            if twin:
                # No key: one given now would let the next run send the row as new.
                actions.append(Hold(r, "", _twin_reason(*twin, first_row_of_key), by_position=True))
            else:
                actions.append(new_or_waiting(r, "", False))
            continue

        found = by_marker.get(marker(key, sandbox), [])
        entry = journal.entries.get((key, mode))
        if not re.fullmatch(_KEY, key):
            # Only a key in sheetsync's own format can be found again in the task list: sent
            # under any other key, a lost answer could not be told from a task never created.
            reason = (
                f"The row key {key} is not one sheetsync made (it looks edited); clear the "
                "row_key cell and sheetsync will assign a new key."
            )
            actions.append(Hold(r, key, reason))
        elif found:
            actions.append(Adopt(r, key, found[0], tuple(t.id for t in found[1:])))
        elif entry and entry.state == SUBMITTED and entry.task_id in by_id:
            actions.append(Adopt(r, key, by_id[entry.task_id]))
        elif entry and entry.state == SUBMITTED:
            reason = (
                f"sheetsync created task {entry.task_id} for this row but BacklinkBase no longer "
                "lists it; check the dashboard, then clear row_key and give the row a new name to "
                "submit it again."
            )
            actions.append(Hold(r, key, reason))
        elif len(rows_of_key[key]) > 1:
            # The sheet can write to neither row while they share a key, so a task sent now
            # would never get its id into the sheet: nothing is sent until the copy is fixed.
            others = ", ".join(str(n) for n in rows_of_key[key][1:])
            reason = (
                f"row_key {key} is also in row {others}, so this row is not sent yet; clear "
                "row_key, task_id and status in the copy, then sync again."
            )
            actions.append(Hold(r, key, reason, by_position=True))
        else:
            # An intent the server's list does not show never arrived: sending it is safe.
            actions.append(new_or_waiting(r, key, bool(entry and entry.state in (INTENT, UNKNOWN))))

    notes = []
    if doubled:
        notes.append(
            "BacklinkBase has more than one task for row(s) " + ", ".join(str(n) for n in doubled)
            + "; their notes name the tasks to cancel."
        )
    if budget.first_waiting:
        notes.append(f"Rows from row {budget.first_waiting} on wait for credits.")
    return Plan(
        actions=tuple(actions),
        mode=mode,
        balance=balance,
        max_credits=max_credits,
        needs_catalogue=needs_catalogue,
        notes=tuple(notes),
        batch_size=batch_size,
        details_needed=tuple(sorted(wanted)),
    )


class _Budget:
    """Credits left for this run; rows are served strictly in sheet order (first come first)."""

    def __init__(
        self, balance: int | None, max_credits: int | None, sandbox: bool,
        spend_limit: SpendLimit | None = None,
    ):
        self.sandbox = sandbox
        limits: list[tuple[int, str, str]] = []
        if balance is not None:
            limits.append((balance, "balance", ""))
        if max_credits is not None:
            limits.append((max_credits, f"--max-credits {max_credits}", ""))
        if spend_limit is not None:
            limits.append((max(0, spend_limit.left), spend_limit.name, spend_limit.advice))
        self.left: int | None = None
        self.limit = "balance"
        self.advice = ""
        if limits:
            self.left, self.limit, self.advice = min(limits, key=lambda item: item[0])
        self.first_waiting = 0

    def take(self, cost: int, row: int) -> tuple[int, str, int, str] | None:
        """None when `cost` fits (and is taken), else (left, limit name, first waiting row, advice)."""
        if self.sandbox or cost == 0 or self.left is None:
            return None
        if not self.first_waiting and cost <= self.left:
            self.left -= cost
            return None
        self.first_waiting = self.first_waiting or row
        return self.left, self.limit, self.first_waiting, self.advice


def resolve_domains(row: ArticleRow, catalogue: models.Catalogue) -> ArticleRow:
    """`row` with the site domains it names turned into ids; unknown ones stay for the rules."""
    from .tabs import domain

    by_domain = {domain(s.url): s.id for s in catalogue.sites}
    ids = list(row.target_ids)
    unknown = []
    for name in row.target_domains:
        site_id = by_domain.get(name)
        if site_id is None:
            unknown.append(name)
        else:
            ids.append(site_id)
    return replace(row, target_ids=tuple(ids), target_domains=tuple(unknown))


def created_order(t: models.TaskSummary) -> tuple[dt.datetime, str]:
    """Oldest first: when a row has several tasks, the first one created is the real one."""
    return (t.created_at or dt.datetime.max.replace(tzinfo=dt.timezone.utc), t.id)


def _follow(
    r: ArticleRow,
    key: str,
    task_id: str,
    summary: models.TaskSummary | None,
    journal: Snapshot,
    pull: bool,
    make_key: Callable[[], str],
) -> Action | None:
    """The action for a row that already has its task id."""
    by_position = False
    if not key:
        # A row with a task id but no key: restore the key from the task's marker when it has
        # one, so later writes can find the row again.
        parsed = parse_marker(summary.name) if summary else None
        key, by_position = (parsed[0] if parsed else make_key()), True
    if not pull:
        return Refresh(r, key, task_id, summary, False, by_position=by_position) if by_position else None
    fetch = False
    if summary is not None and summary.status is not models.Status.QUEUED:
        # A queued task has no result yet: its summary says all the row shows, so only a
        # task that moved on (or that this machine never saw in detail) costs a `task/show`.
        seen = journal.seen.get(task_id)
        changed = (
            seen is None
            or seen.placements is None
            or (summary.updated_at is not None and seen.updated_at != summary.updated_at)
            or seen.status != str(summary.status)
        )
        marked = parse_marker(summary.name)
        shown = status_text(str(summary.status), bool(marked and marked[1]))
        stale_sheet = (
            r.owned.get(C.STATUS, "") != shown
            or not r.owned.get(C.PROGRESS, "")
            or (summary.status is models.Status.PUBLISHED and not r.owned.get(C.RESULT_URLS, ""))
        )
        fetch = changed or stale_sheet
    return Refresh(r, key, task_id, summary, fetch, failure_of(r, summary, journal), by_position=by_position)


_FAILED_PROGRESS = re.compile(r"\b\d+ failed\b")


def failure_of(r: ArticleRow, summary: models.TaskSummary | None, journal: Snapshot) -> str:
    """Why a row's task needs a person, from what is known without `task/show`; "" if nothing.

    A Failed task, failed placements this machine saw, or a progress cell saying "1 failed"
    count; the row's own note (which says what to do) is the reason, else a sentence naming
    the failed sites.
    """
    seen = journal.seen.get(summary.id) if summary is not None else None
    failed_sites = [p.site_id for p in (seen.placements or ()) if p.status is models.Status.FAILED] if seen else []
    progress = r.owned.get(C.PROGRESS, "")
    failed = (
        (summary is not None and summary.status is models.Status.FAILED)
        or bool(failed_sites)
        or bool(_FAILED_PROGRESS.search(progress))
    )
    if not failed:
        return ""
    note = " ".join(r.owned.get(C.NOTES, "").split())
    if note:
        return note
    where = f" (site {', '.join(str(s) for s in failed_sites)})" if failed_sites else ""
    return (
        f"Placements failed{where}; ask BacklinkBase support, or put those sites in a new row "
        "to try again."
    )


def _article_moved(r: ArticleRow, key: str, task_id: str, journal: Snapshot, mode: str) -> str:
    """Why the row's article is no longer the one its task was made from ("" when it is).

    A sort that moves only some columns (an Excel Table that does not cover sheetsync's), or
    an edit after sending, leaves a task id beside another article: its status and results
    must not be shown as that article's.
    """
    if not key:
        return ""
    # The journal remembers what this machine sent; without it there is nothing to compare.
    entry = journal.entries.get((key, mode))
    if entry is None or not entry.fingerprint or entry.task_id != task_id:
        return ""
    if entry.fingerprint == fingerprint(r):
        return ""
    return (
        f"This row's article is not the one task {task_id} was made from (it changed after it "
        "was sent, or a sort moved the article away from its row_key and task_id), so the "
        "task's status is not shown here; put the article back, or clear row_key, task_id and "
        "status to send it as a new task."
    )


def _server_twin(
    r: ArticleRow,
    key: str,
    by_name: dict[str, list[models.TaskSummary]],
    details: Mapping[str, models.Task] | None,
    wanted: set[str],
) -> models.TaskSummary | None:
    """A task under another key with this row's name and (when its details are known) content.

    The task list gives names only; `details` (task/show) adds the title, URLs and target
    sites. Without them a name match is enough to hold the row: it is never sent blind.
    """
    for t in by_name.get(" ".join(derive_name(r).split()), []):
        parsed = parse_marker(t.name)
        if parsed is None or parsed[0] == key:
            continue
        shown = (details or {}).get(t.id)
        if shown is None:
            wanted.add(t.id)
            return t
        if _same_content(r, shown):
            return t
    return None


def _same_content(r: ArticleRow, task: models.Task) -> bool:
    if task.article is None:
        return True  # nothing to tell them apart by: hold rather than risk paying twice
    urls = {u.strip().rstrip("/") for u in task.article.urls}
    sites = {p.site_id for p in task.placements}
    return (
        " ".join(task.article.title.split()) == " ".join(r.title.split())
        and urls == {u.strip().rstrip("/") for u in r.urls}
        and (not sites or sites == set(r.target_ids))
    )


def _server_twin_reason(task: models.TaskSummary, first_row_of_key: dict[str, int]) -> str:
    parsed = parse_marker(task.name)
    other = parsed[0] if parsed else "?"
    if other in first_row_of_key:
        return (
            f"This row repeats row {first_row_of_key[other]} (task {task.id} has its name and "
            "content); change this row's name to submit it as a new task, or delete it."
        )
    return (
        f"BacklinkBase already has task {task.id} with this row's name and content, sent as "
        f"row_key {other}, which no row holds now; put {other} into row_key (and {task.id} into "
        "task_id), or change the row's name to submit it as a new task."
    )


def _twin_reason(key: str, task_id: str, first_row_of_key: dict[str, int]) -> str:
    if key in first_row_of_key:
        return (
            f"This row repeats row {first_row_of_key[key]} (task {task_id}); change it (for "
            "example its name) to submit it as a new task, or delete it."
        )
    return (
        f"This row matches task {task_id}, which sheetsync already submitted as row_key {key}; "
        f"put {key} back into row_key, or give this row a different name to submit it as a new task."
    )


def _submitted_twin(
    r: ArticleRow,
    mode: str,
    sandbox: bool,
    journal: Snapshot,
    by_id: dict[str, models.TaskSummary],
    by_marker: dict[str, list[models.TaskSummary]],
) -> tuple[str, str] | None:
    """(key, task id) of a live task this journal submitted with the same content, if any."""
    for entry in journal.by_fingerprint(fingerprint(r), mode):
        if entry.state == SUBMITTED and entry.task_id in by_id:
            return entry.row_key, entry.task_id
        found = by_marker.get(marker(entry.row_key, sandbox))
        if found:
            return entry.row_key, found[0].id
    return None
