"""Side effects: carry out a `Plan` against the sheet, BacklinkBase and the journal.

Order matters for exactly-once, and is the same for every row that is sent:
1. the row's key is in the sheet (written before any POST of the run);
2. the intent is committed to the journal;
3. the POST; 4. the task id is committed to the journal;
5. the task id reaches the sheet (in batches of `batch_size`).
A crash between any two steps leaves the key in the sheet and the marker in the server's task
name, so the next run finds the task instead of sending the row again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import columns as C
from . import errors, models
from .journal import Entry, Journal, Seen, Snapshot
from .plan import (
    SANDBOX,
    Action,
    Adopt,
    Plan,
    Refresh,
    Submit,
    created_order,
    fingerprint,
    marker,
    needs_details,
    parse_marker,
)
from .sheet import ArticleRow, HeaderMap
from .tables.layout import placement_widths, status_text
from .tables.base import RowWrite, Tab, Table, WriteBack, WriteResult

Checkpoint = Callable[[str], None]

#: After this many lost answers in one run, stop sending: the service is struggling.
MAX_UNKNOWN_PER_RUN = 3


class TaskClient(Protocol):
    """The part of `client.Client` the sync uses."""

    def create_task(self, new: models.NewTask) -> str: ...
    def task(self, task_id: str) -> models.Task: ...
    def tasks(self) -> list[models.TaskSummary]: ...
    def sites(self) -> models.Catalogue: ...
    def credits(self) -> int: ...


@dataclass(frozen=True)
class ProgressEvent:
    """One step of a long run, for progress bars: `done` of `total` in `stage`."""

    stage: str  # "push" | "pull" | "write"
    done: int
    total: int
    row: int | None = None
    message: str = ""


@dataclass
class RowOutcome:
    """What happened to one row in this run."""

    row: int
    key: str
    action: str
    task_id: str = ""
    status: str = ""
    message: str = ""
    attention: bool = field(default=False, repr=False)
    #: Some of the row's placements failed (the row needs a person each time it is reported).
    failed: bool = field(default=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "key": self.key,
            "action": self.action,
            "task_id": self.task_id,
            "status": self.status,
            "message": self.message,
            "failed": self.failed,
        }


def minute(value: dt.datetime) -> str:
    """ISO UTC at minute precision, as the sheet shows times."""
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


def progress_text(placements: Sequence[models.Placement]) -> str:
    """'2/3 published', plus failures when there are any."""
    done = sum(1 for p in placements if p.status is models.Status.PUBLISHED)
    failed = sum(1 for p in placements if p.status is models.Status.FAILED)
    text = f"{done}/{len(placements)} published"
    return text + (f", {failed} failed" if failed else "")


def failure_note(placements: Sequence[models.Placement]) -> str:
    """The notes text for failed placements, or "" when none failed."""
    failed = [p.site_id for p in placements if p.status is models.Status.FAILED]
    if not failed:
        return ""
    sites = ", ".join(str(s) for s in failed)
    return (
        f"{len(failed)} of {len(placements)} placements failed (site {sites}); ask BacklinkBase "
        "support, or put those sites in a new row to try again."
    )


class SheetWriter:
    """Stages owned-cell values per row and writes only what differs from the sheet."""

    def __init__(
        self,
        table: Table,
        hm: HeaderMap,
        *,
        enabled: bool,
        checkpoint: Checkpoint,
        now: Callable[[], dt.datetime],
    ):
        self.table = table
        self.hm = hm
        self.enabled = enabled
        self.checkpoint = checkpoint
        self.now = now
        self._current: dict[int, dict[str, str]] = {}  # sheet row (as read) -> owned values now
        self._pending: dict[int, tuple[ArticleRow, str, bool, dict[str, str]]] = {}
        self._placed: set[int] = set()  # rows whose (new) key is known to be in the sheet
        self.lost: dict[int, str] = {}  # sheet row (as read) -> why it could not be written
        self.notes: list[str] = []
        self.writes = 0

    def stage(self, row: ArticleRow, key: str, by_position: bool, values: dict[str, str]) -> None:
        """Queue `values` (canonical -> text) for `row`; unchanged cells are dropped."""
        current = self._current.setdefault(row.row, dict(row.owned))
        pending = self._pending.get(row.row)
        merged = dict(pending[3]) if pending else {}
        for name, value in values.items():
            if current.get(name, "") != value or name in merged:
                merged[name] = value
        changed = {k: v for k, v in merged.items() if current.get(k, "") != v}
        if not changed:
            self._pending.pop(row.row, None)
            return
        if C.LAST_SYNCED not in changed and set(changed) - {C.NOTES}:
            changed[C.LAST_SYNCED] = minute(self.now())
        by_position = by_position and row.row not in self._placed
        self._pending[row.row] = (row, key, by_position, changed)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def staged(self, read_row: int) -> dict[str, str]:
        """The values staged (not yet written) for the row read at `read_row`."""
        pending = self._pending.get(read_row)
        return dict(pending[3]) if pending else {}

    def assign_keys(self, rows: Sequence[tuple[ArticleRow, str]]) -> set[str]:
        """Write new keys (and nothing else) before any POST; return the keys that were placed."""
        writes = [
            RowWrite(key=key, values={}, read_row=row.row, new_key=True, anchor=row.anchor)
            for row, key in rows
        ]
        if not writes:
            return set()
        result = self._write(tuple(writes), None)
        placed = set(result.written)
        for row, key in rows:
            if key in placed:
                self._placed.add(row.row)
                self._current.setdefault(row.row, dict(row.owned))[C.ROW_KEY] = key
        return placed

    def flush(self, tab: Tab | None = None) -> None:
        """Write everything staged (and `tab`) in one batched request."""
        if not self._pending and tab is None:
            return
        staged = list(self._pending.values())
        writes = tuple(
            RowWrite(
                key=key,
                values={self.hm.text(k): v for k, v in values.items()},
                read_row=row.row,
                new_key=by_position,
                anchor=row.anchor,
            )
            for row, key, by_position, values in staged
        )
        result = self._write(writes, tab)
        written = set(result.written)
        for row, key, _, values in staged:
            if key in written:
                self._current.setdefault(row.row, dict(row.owned)).update(values)
                self._placed.add(row.row)
        self._pending.clear()

    def _write(self, writes: tuple[RowWrite, ...], tab: Tab | None) -> WriteResult:
        if not self.enabled:
            return WriteResult(written=tuple(w.key for w in writes))
        wb = WriteBack(
            key_column=self.hm.text(C.ROW_KEY),
            anchor_column=self.hm.text(C.ARTICLE_TITLE),
            rows=writes,
            tab=tab,
        )
        self.checkpoint("before-sheet-write")
        result = self.table.write(wb)
        self.writes += 1
        self.checkpoint("after-sheet-write")
        for lost in result.lost:
            self.lost.setdefault(lost.read_row, lost.why)
        self.notes.extend(result.notes)
        return result


@dataclass
class Context:
    """Everything `apply` touches, injected."""

    table: Table
    client: TaskClient | None
    journal: Journal
    snapshot: Snapshot
    writer: SheetWriter
    sheet: str  # table.identity
    now: Callable[[], dt.datetime]
    checkpoint: Checkpoint
    progress: Callable[[ProgressEvent], None]
    batch_size: int = 20
    outcomes: dict[int, RowOutcome] = field(default_factory=dict)
    spent: int = 0
    notes: list[str] = field(default_factory=list)
    fetched: dict[str, models.Task] = field(default_factory=dict)
    remote: list[models.TaskSummary] = field(default_factory=list)
    #: Tasks created this run, remembered as queued so the next run needs no `task/show`.
    submitted_seen: list[Seen] = field(default_factory=list)
    queued_seen: list[Seen] = field(default_factory=list)
    #: This run's claim on the sheet (None: no submissions, or a backend that cannot hold one).
    lease: Any = None

    def outcome(self, action: Action, kind: str | None = None, **kw: Any) -> RowOutcome:
        o = RowOutcome(
            row=action.row.row,
            key=action.key,
            action=kind or action.kind,
            task_id=kw.pop("task_id", action.row.task_id),
            status=kw.pop("status", action.row.owned.get(C.STATUS, "")),
            message=kw.pop("message", action.message),
            attention=kw.pop("attention", action.attention),
            failed=kw.pop("failed", bool(getattr(action, "failure", ""))),
        )
        self.outcomes[action.row.row] = o
        return o


def record_plan(ctx: Context, plan: Plan) -> None:
    """Outcomes and notes for every row as planned; later steps overwrite what they change."""
    for a in plan.actions:
        ctx.outcome(a)
        note = a.note
        if note is not None and not isinstance(a, (Submit, Adopt)):
            ctx.writer.stage(a.row, a.key, a.by_position, {C.NOTES: note})


def adopt(ctx: Context, plan: Plan) -> None:
    """Write the ids of tasks the server already has for rows that lack them."""
    for a in plan.of(Adopt):
        _adopt_one(ctx, a, a.task)
        ctx.outcome(a, task_id=a.task.id, status=str(a.task.status))
    for a in plan.of(Refresh):
        if a.by_position:  # a task id without a key: put the key back
            ctx.writer.stage(a.row, a.key, True, {C.ROW_KEY: a.key})


def _adopt_one(ctx: Context, a: Action, task: models.TaskSummary) -> None:
    parsed = parse_marker(task.name)
    mode = SANDBOX if parsed and parsed[1] else "live"
    ctx.journal.record_adopted(
        ctx.sheet, Entry(a.key, mode, "submitted", task.id, task.name, fingerprint(a.row))
    )
    ctx.writer.stage(
        a.row,
        a.key,
        a.by_position,
        {C.TASK_ID: task.id, C.MODE: mode, C.STATUS: status_text(str(task.status), mode == SANDBOX), C.NOTES: a.note or ""},
    )


def submit(
    ctx: Context,
    plan: Plan,
    confirm: Callable[[Plan], bool] | None,
) -> None:
    """Assign keys, ask, then send each Submit once, journaling around every POST."""
    submits = plan.submits
    if not submits or ctx.client is None:
        return
    if plan.cost > 0 and confirm is not None and not confirm(plan):
        for a in submits:
            ctx.outcome(a, "declined", message="not sent: the run was not confirmed")
        ctx.notes.append("Nothing was spent: the run was not confirmed.")
        return

    fresh = [(a.row, a.key) for a in submits if a.by_position]
    placed = ctx.writer.assign_keys(fresh)
    ctx.checkpoint("keys-written")
    mode = plan.mode
    unknown = 0
    stop: str | None = None
    sent = 0
    posted = 0  # POSTs since the task list was last read
    for i, a in enumerate(submits):
        ctx.progress(ProgressEvent("push", i, len(submits), a.row.row, "submitting"))
        if a.by_position and a.key not in placed:
            why = ctx.writer.lost.get(a.row.row, "the row moved or changed before it could be marked")
            ctx.outcome(
                a, "skipped", attention=True,
                message=f"not sent this run: {why}; run sync again to submit it",
            )  # fmt: skip
            continue
        if not stop and ctx.lease is not None and not ctx.lease.keep():
            stop = (
                "Not sent: this sync lost its claim on the sheet (the 'sheetsync lease' tab) and "
                "another sync may be sending now; run sync again."
            )
        if not stop and posted >= ctx.batch_size:
            # Right before each further batch, a fresh look at the task list: whatever another
            # sync managed to send meanwhile is adopted, not sent again.
            posted = 0
            try:
                ctx.remote = ctx.client.tasks()
            except errors.BadTokenError:
                raise
            except errors.ApiError as exc:
                stop = f"Not sent: the task list could not be checked ({_one_line(exc)}); run sync again later."
        if stop:
            ctx.outcome(a, "not-sent", attention=True, message=stop)
            ctx.writer.stage(a.row, a.key, False, {C.NOTES: stop})
            continue
        there = _listed(ctx.remote, marker(a.key, mode == SANDBOX))
        if there is not None:
            _adopt_one(ctx, a, there)
            ctx.outcome(a, "adopt", task_id=there.id, status=str(there.status),
                        message=f"found task {there.id} on BacklinkBase (another sync sent it); writing its id")
            continue
        entry = Entry(a.key, mode, "intent", "", a.task.name, fingerprint(a.row))
        ctx.journal.record_intent(ctx.sheet, entry)
        ctx.checkpoint("before-post")
        posted += 1
        try:
            task_id = ctx.client.create_task(a.task)
        except errors.SubmissionOutcomeUnknownError as exc:
            ctx.journal.record_unknown(ctx.sheet, a.key, mode)
            unknown += 1
            found = _look_up(ctx, marker(a.key, mode == SANDBOX)) if unknown <= MAX_UNKNOWN_PER_RUN else None
            if found:
                _adopt_one(ctx, a, found)
                ctx.spent += a.cost  # created by this run's POST after all
                _submitted(ctx, a, found.id, sent_now=False)
            else:
                note = (
                    "Sent to BacklinkBase but the answer was lost; sheetsync will look for the "
                    "task on the next run and will not send it again until then."
                )
                ctx.outcome(a, "unknown", attention=True, message=f"{note} ({exc})")
                ctx.writer.stage(a.row, a.key, False, {C.NOTES: note})
            if unknown >= MAX_UNKNOWN_PER_RUN:
                stop = "Not sent: BacklinkBase kept failing during this run; run sync again later."
            continue
        except errors.BadTokenError:
            ctx.journal.forget_intent(ctx.sheet, a.key, mode)
            raise
        except (errors.InsufficientCreditsError, errors.OutOfCreditsError):
            ctx.journal.forget_intent(ctx.sheet, a.key, mode)
            stop = (
                "Waiting for credits: BacklinkBase says the account has too few credits left; "
                "add credits, then sync again."
            )
            ctx.outcome(a, "wait", attention=True, message=stop)
            ctx.writer.stage(a.row, a.key, False, {C.NOTES: stop})
            continue
        except errors.ValidationFailedError as exc:
            ctx.journal.forget_intent(ctx.sheet, a.key, mode)
            note = _server_problems(exc, a.row)
            ctx.outcome(a, "invalid", attention=True, message=note)
            ctx.writer.stage(a.row, a.key, False, {C.NOTES: note})
            continue
        except (errors.TransportError, errors.RateLimitedError) as exc:
            # Nothing reached the server (or it refused with 429): safe to send next run.
            ctx.journal.forget_intent(ctx.sheet, a.key, mode)
            stop = f"Not sent: {_one_line(exc)}; run sync again later."
            ctx.outcome(a, "not-sent", attention=True, message=stop)
            ctx.writer.stage(a.row, a.key, False, {C.NOTES: stop})
            continue
        except errors.ApiError as exc:
            # Any other answer to a POST: we cannot be sure nothing was created.
            ctx.journal.record_unknown(ctx.sheet, a.key, mode)
            note = f"BacklinkBase answered {_one_line(exc)}; sheetsync will check on the next run."
            ctx.outcome(a, "unknown", attention=True, message=note)
            ctx.writer.stage(a.row, a.key, False, {C.NOTES: note})
            continue
        ctx.checkpoint("after-post")
        try:
            ctx.journal.record_submitted(ctx.sheet, a.key, mode, task_id)
        except errors.StateError:
            # The task exists: its id still goes into the sheet (the run's last flush), and
            # the next run finds it by its marker whatever the journal says.
            ctx.spent += a.cost
            _submitted(ctx, a, task_id, sent_now=True)
            raise
        ctx.checkpoint("after-journal")
        ctx.spent += a.cost
        _submitted(ctx, a, task_id, sent_now=True)
        sent += 1
        if sent % ctx.batch_size == 0:
            ctx.writer.flush()
    ctx.journal.remember_seen(ctx.sheet, ctx.submitted_seen)
    ctx.progress(ProgressEvent("push", len(submits), len(submits), None, "submitted"))


def _submitted(ctx: Context, a: Submit, task_id: str, *, sent_now: bool) -> None:
    n = len(a.task.target_website_ids)
    values = {
        C.TASK_ID: task_id,
        C.MODE: SANDBOX if a.task.sandbox else "live",
        C.STATUS: status_text(str(models.Status.QUEUED), a.task.sandbox),
        C.PROGRESS: f"0/{n} published",
        C.RESULT_URLS: "",
        C.NOTES: "",
    }
    ctx.writer.stage(a.row, a.key, False, values)
    ctx.submitted_seen.append(Seen(task_id, None, str(models.Status.QUEUED), queued_placements(a.row)))
    ctx.outcome(
        a,
        "submitted" if sent_now else "adopt",
        task_id=task_id,
        status=values[C.STATUS],
        message=f"submitted as task {task_id}" if sent_now else f"found task {task_id} after a lost answer",
    )


def _listed(remote: Sequence[models.TaskSummary], wanted: str) -> models.TaskSummary | None:
    """The oldest task in `remote` whose name ends with marker `wanted`."""
    matches = [t for t in remote if (p := parse_marker(t.name)) and marker(*p) == wanted]
    return min(matches, key=created_order) if matches else None


def _look_up(ctx: Context, wanted: str) -> models.TaskSummary | None:
    """Re-read the task list once after a lost answer and find the task by its marker."""
    assert ctx.client is not None
    try:
        ctx.remote = ctx.client.tasks()
    except errors.BadTokenError:
        raise
    except errors.ApiError:
        return None
    return _listed(ctx.remote, wanted)


def refresh(ctx: Context, plan: Plan) -> None:
    """Fetch details only for tasks that changed; stage statuses, progress and result URLs."""
    targets: list[tuple[Action, str, models.TaskSummary | None]] = [
        (a, a.task_id, a.summary) for a in plan.of(Refresh) if a.fetch
    ]
    targets += [(a, a.task.id, a.task) for a in plan.of(Adopt) if needs_details(a.task)]
    seen: list[Seen] = []
    queued = [(a, a.task_id, a.summary) for a in plan.of(Refresh) if a.summary and not a.fetch]
    queued += [(a, a.task.id, a.task) for a in plan.of(Adopt) if not needs_details(a.task)]
    for a, task_id, summary in queued:
        if summary is None or summary.status is not models.Status.QUEUED:
            continue
        before = ctx.snapshot.seen.get(task_id)
        placements = before.placements if before and before.placements else queued_placements(a.row)
        values = {C.STATUS: status_text(str(summary.status), _mode_of(summary) == SANDBOX),
                  C.PROGRESS: progress_text(placements)}
        if not a.row.owned.get(C.MODE):
            values[C.MODE] = _mode_of(summary)
        ctx.writer.stage(a.row, a.key, a.by_position, values)
        if a.row.row in ctx.outcomes:
            ctx.outcomes[a.row.row].status = values[C.STATUS]
        now_seen = Seen(task_id, summary.updated_at, str(summary.status), placements)
        ctx.queued_seen.append(now_seen)
        if before != now_seen:
            seen.append(now_seen)
    if ctx.client is None:
        return
    stop: str | None = None
    for i, (a, task_id, summary) in enumerate(targets):
        ctx.progress(ProgressEvent("pull", i, len(targets), a.row.row, "refreshing"))
        if stop:
            _not_refreshed(ctx, a, stop)
            continue
        try:
            task = ctx.client.task(task_id)
        except errors.BadTokenError:
            raise
        except errors.NotFoundError:
            note = (
                f"Task {task_id} is not found for this token; check BACKLINKBASE_API_TOKEN, or "
                "clear task_id and row_key to submit the row again."
            )
            ctx.outcome(a, "missing", attention=True, task_id=task_id, message=note)
            ctx.writer.stage(a.row, a.key, a.by_position, {C.NOTES: note})
            continue
        except errors.ApiError as exc:
            failure = f"Could not refresh task {task_id}: {_one_line(exc)}; run sync again later."
            ctx.notes.append(failure)
            _not_refreshed(ctx, a, failure)
            stop = f"Not refreshed: BacklinkBase failed on task {task_id} in this run; run sync again later."
            continue
        ctx.fetched[task_id] = task
        values = task_values(task)
        if getattr(a, "duplicates", ()):
            values[C.NOTES] = "\n".join(n for n in (values[C.NOTES], a.note or "") if n)
        if parse_marker(task.name) is not None or not a.row.owned.get(C.MODE):
            values[C.MODE] = _mode_of(task)
        values[C.STATUS] = status_text(values[C.STATUS], _mode_of(task) == SANDBOX)
        ctx.writer.stage(a.row, a.key, a.by_position, values)
        prior = ctx.outcomes.get(a.row.row)
        ctx.outcome(
            a,
            prior.action if prior and prior.action == "adopt" else "refresh",
            task_id=task_id,
            status=values[C.STATUS],
            # A failure's line says why and what to do (the note), not only the count.
            message=values[C.NOTES] or values[C.PROGRESS],
            attention=bool(values[C.NOTES]),
            failed=any(p.status is models.Status.FAILED for p in task.placements),
        )
        updated = (summary.updated_at if summary else None) or task.updated_at
        seen.append(Seen(task_id, updated, str((summary or task).status), task.placements))
    ctx.journal.remember_seen(ctx.sheet, seen)
    ctx.progress(ProgressEvent("pull", len(targets), len(targets), None, "refreshed"))


def _not_refreshed(ctx: Context, a: Action, why: str) -> None:
    """The row keeps an older status this run; a cron job hears of it through the exit code."""
    outcome = ctx.outcomes[a.row.row]
    outcome.attention = True
    outcome.message = why


def _mode_of(task: models.TaskSummary) -> str:
    parsed = parse_marker(task.name)
    return SANDBOX if parsed and parsed[1] else "live"


def queued_placements(row: ArticleRow) -> tuple[models.Placement, ...]:
    """What a task just created from `row` holds: one queued placement per target site."""
    return tuple(models.Placement(i, models.Status.QUEUED, None, None) for i in row.target_ids)


def task_values(task: models.Task) -> dict[str, str]:
    """Owned cell values for a task's details."""
    urls = [p.result_url for p in task.placements if p.result_url]
    return {
        C.TASK_ID: task.id,
        C.STATUS: str(task.status),
        C.PROGRESS: progress_text(task.placements),
        C.RESULT_URLS: "\n".join(urls),
        C.NOTES: failure_note(task.placements),
    }


def known_placements(ctx: Context) -> dict[str, tuple[models.Placement, ...]]:
    """task id -> its placements, as fresh as this run knows them."""
    known = {tid: s.placements for tid, s in ctx.snapshot.seen.items() if s.placements is not None}
    known.update({s.task_id: s.placements for s in ctx.submitted_seen if s.placements is not None})
    known.update({s.task_id: s.placements for s in ctx.queued_seen if s.placements is not None})
    known.update({tid: t.placements for tid, t in ctx.fetched.items()})
    return known


def placements_tab(
    ctx: Context,
    rows: Sequence[tuple[str, str, str]],
    site_url: Callable[[int], str],
    checks: Mapping[tuple[str, int], Mapping[str, str]] | None = None,
) -> Tab:
    """The Placements tab: one line per task x site, for the tasks in the sheet.

    `rows`: (row key, article title, task id) of each row with a task, in sheet order.

    `checks` fills the link checker's columns per (task id, site id); they stay blank without.
    """
    known = known_placements(ctx)
    checks = checks or {}
    lines: list[tuple[str, ...]] = []
    for key, title, task_id in rows:
        for p in known.get(task_id, ()):
            checked = checks.get((task_id, p.site_id), {})
            lines.append(
                (
                    key,
                    title,
                    task_id,
                    str(p.site_id),
                    site_url(p.site_id),
                    str(p.status),
                    p.result_url or "",
                    minute(p.schedule_at) if p.schedule_at else "",
                    minute(p.completed_at) if p.completed_at else "",
                    *(checked.get(c, "") for c in C.PLACEMENT_CHECK_COLUMNS),
                )
            )
    return Tab(title=C.PLACEMENTS_TAB, header=tuple(C.PLACEMENT_COLUMNS), rows=tuple(lines),
               widths=placement_widths(C.PLACEMENT_COLUMNS))


def tab_digest(tab: Tab) -> str:
    """A digest of the tab's text, to skip rewriting a Placements tab that did not change."""
    h = hashlib.sha256()
    for line in (tab.header, *tab.rows):
        h.update("\x1f".join(line).encode("utf-8") + b"\x1e")
    if tab.numbers:
        # Which cells are numbers is part of the tab: a tab written when they were text is
        # written once more.
        h.update(b"numbers\x1f" + "\x1f".join(tab.numbers).encode("utf-8"))
    return h.hexdigest()


def _server_problems(exc: errors.ValidationFailedError, row: ArticleRow) -> str:
    parts = [
        f"{row.column(field)}: {' '.join(m.strip().rstrip('.') for m in msgs)}"
        for field, msgs in exc.errors.items()
    ]
    text = "; ".join(parts) or _one_line(exc)
    return f"BacklinkBase refused this row: {text}. Fix the row, then sync again."


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()).rstrip(".")
