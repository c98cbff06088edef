"""One cycle over every sheet: a plain function of (config, state, world).

The loop calls `run_cycle` every `interval` seconds; `serve --once` calls it once; tests call it
with an injected clock and run ten "minutes" in a second. Each cycle:

1. finds changed sheets without reading them (Drive change feed per Google user, xlsx stat);
2. picks the due ones: changed, never read, failing but past their back-off, or not read for
   `full_pass_interval` (the backstop); sheets with unfinished tasks are looked up every
   `refresh_interval` in ONE task list per account, and read only when one of their tasks moved;
3. syncs each due sheet as `sync --yes` would, with its approval gate and what is left of its
   account's monthly budget; one failing sheet backs off and never stops the others;
4. records the ledger, the History line, the events for the digests, and sends the digests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import errors
from ..hooks import PullStep
from ..journal import Journal
from ..plan import Adopt, Submit, Wait
from ..tables.base import Table
from ..workflow import Options, Report, run
from .changes import DriveFeed, file_stat
from .config import Account, ServiceConfig, SheetSpec
from .gates import ApprovalGate, budget_limit, month_of
from .history import history_line, history_tab, problem_line
from .notify import Send, flush_digests
from .shared import SharedClient
from .state import SheetState, State

MAX_BACKOFF = 3600.0


@dataclass
class World:
    """The outside world a cycle touches; tests pass fakes (the emulator, the fake Sheets API)."""

    now: Callable[[], dt.datetime]
    open_table: Callable[[SheetSpec], Table]
    #: One client per account, made once and kept (its pacing window lasts across cycles).
    client: Callable[[Account], Any]
    #: The Drive change feed for a Google sheet's user, and that user's name (for the token).
    drive: Callable[[SheetSpec], tuple[str, DriveFeed]]
    journal: Journal
    lock_folder: Path | None = None
    send: Send | None = None
    stop: Callable[[], bool] = lambda: False
    secrets: tuple[str, ...] = ()
    #: The post-pull step for a sheet (the link checks, `sheetsync.verify`); None = none.
    after_pull: Callable[[SheetSpec], PullStep | None] | None = None


@dataclass
class SheetResult:
    sheet: str
    reason: str
    ok: bool
    submitted: int = 0
    spent: int = 0
    problem: str = ""


@dataclass
class CycleReport:
    """What a cycle did, for logs and tests."""

    started: dt.datetime
    results: list[SheetResult] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # sheet -> why not now
    problems: list[str] = field(default_factory=list)
    stopped: bool = False

    @property
    def ran(self) -> list[str]:
        return [r.sheet for r in self.results]


def google_key(spec: SheetSpec) -> str:
    """The spreadsheet id of a Google sheet spec."""
    from ..tables.gsheets import parse_spec

    return parse_spec(spec.sheet)[0]


def _since(now: dt.datetime, then: dt.datetime | None) -> float:
    return float("inf") if then is None else (now - then).total_seconds()


def detect_changes(config: ServiceConfig, state: State, world: World, report: CycleReport) -> None:
    """Mark changed sheets dirty in the state database (saved with the feed's new token)."""
    groups: dict[str, list[SheetSpec]] = {}
    feeds: dict[str, DriveFeed] = {}
    for spec in config.sheets:
        if not spec.is_google:
            st = state.sheet(spec.id)
            stat = file_stat(spec.sheet)
            if stat != st.stat:
                state.mark_dirty([spec.id])
            continue
        try:
            user, feed = world.drive(spec)
        except errors.SheetsyncError as exc:
            report.problems.append(f"{spec.label}: {exc}")
            continue
        groups.setdefault(user, []).append(spec)
        feeds[user] = feed
    for user, specs in groups.items():
        feed = feeds[user]
        token = state.page_token(user)
        try:
            if token is None:
                token = feed.start_token()
                with state.transaction():
                    state.set_page_token(user, token)
                    state.mark_dirty(s.id for s in specs)
                continue
            changes = feed.since(token)
        except errors.SheetsyncError as exc:
            report.problems.append(f"Google user {user}: {exc}")
            continue
        touched = changes.changed | changes.removed
        with state.transaction():
            state.mark_dirty(s.id for s in specs if google_key(s) in touched)
            state.set_page_token(user, changes.token)


def due_sheets(
    config: ServiceConfig, state: State, now: dt.datetime, clients: Mapping[str, SharedClient], report: CycleReport
) -> list[tuple[SheetSpec, str]]:
    """(sheet, why) for each sheet to sync this cycle, in config order."""
    due: list[tuple[SheetSpec, str]] = []
    for spec in config.sheets:
        st = state.sheet(spec.id)
        if st.retry_at is not None and now < st.retry_at:
            report.skipped[spec.id] = f"backing off until {st.retry_at:%H:%M:%S}"
            continue
        if st.last_read is None:
            due.append((spec, "first read"))
        elif st.failures:
            due.append((spec, "retry"))
        elif st.dirty:
            due.append((spec, "changed"))
        elif _since(now, st.last_read) >= config.full_pass_interval:
            due.append((spec, "full pass"))
        elif st.unfinished and _since(now, st.last_refresh) >= config.refresh_interval:
            client = clients[spec.account]
            try:
                listed = {t.id: t for t in client.tasks()}  # one request per account per cycle
            except errors.SheetsyncError as exc:
                report.skipped[spec.id] = f"task list unavailable: {exc}"
                continue
            moved = any(
                t is None or str(t.status) != status or (_ts(t.updated_at) != updated and updated)
                for t, (status, updated) in ((listed.get(i), v) for i, v in st.tasks.items())
                if status not in ("Published", "Failed", "Cancelled")
            )
            if moved:
                due.append((spec, "tasks moved"))
            else:
                st.last_refresh = now
                state.save_sheet(st)
    return due


def _ts(value: dt.datetime | None) -> str:
    return "" if value is None else value.isoformat()


def run_cycle(config: ServiceConfig, state: State, world: World) -> CycleReport:
    """One pass over every sheet of `config`; never raises for one sheet's problem."""
    now = world.now()
    report = CycleReport(started=now)
    state.put("cycle_started", now.isoformat())
    detect_changes(config, state, world, report)
    clients = {name: SharedClient(world.client(acc)) for name, acc in config.accounts.items()}
    for spec, why in due_sheets(config, state, now, clients, report):
        if world.stop():
            report.stopped = True
            break
        report.results.append(sync_sheet(config, state, world, spec, clients[spec.account], why))
    _check_accounts(config, state, world, clients)
    labels = {s.id: s.label for s in config.sheets} | {f"account:{a}": f"account {a}" for a in config.accounts}
    try:
        flush_digests(state, world.now(), world.send, labels, world.secrets)
    except Exception as exc:  # noqa: BLE001 - a notifier outage must not stop the syncing
        report.problems.append(f"Notifications could not be sent ({type(exc).__name__}); they are retried next cycle.")
    state.put("cycle_finished", world.now().isoformat())
    state.put("cycle_problems", "\n".join(report.problems))
    return report


def _check_accounts(config: ServiceConfig, state: State, world: World, clients: Mapping[str, SharedClient]) -> None:
    """Credits per account at most every refresh interval (or when a run already knows them)."""
    now = world.now()
    for name, client in clients.items():
        credits, checked, _ = state.account(name)
        known = client.known_credits()
        if known is None and _since(now, checked) < config.refresh_interval:
            continue
        try:
            credits = known if known is not None else client.credits()
            problem = ""
        except errors.SheetsyncError as exc:
            problem = str(exc)
        state.set_account(name, credits, now, problem)
        below = config.notify_credits_below
        if credits is not None and below is not None and credits < below and not problem:
            state.add_event(f"account:{name}", "credits", f"{credits} credits left (warning below {below})", now)


def _backoff(config: ServiceConfig, failures: int) -> float:
    return min(MAX_BACKOFF, config.interval * (2 ** max(0, failures - 1)))


def sync_sheet(
    config: ServiceConfig, state: State, world: World, spec: SheetSpec, client: SharedClient, why: str
) -> SheetResult:
    """Sync one sheet as `sync --yes`; a failure is recorded on the sheet, never raised."""
    now = world.now()
    account = config.accounts[spec.account]
    st = state.sheet(spec.id)
    st.label = spec.label
    gate = ApprovalGate(spec.approve_above, state.approvals(spec.id))
    month = month_of(now)
    limit = budget_limit(account.name, account.monthly_budget, state.spent(account.name, month), now)
    options = Options(sandbox=spec.sandbox, gate=gate, spend_limit=limit, lock_folder=world.lock_folder)
    try:
        table = world.open_table(spec)
        try:
            step = world.after_pull(spec) if world.after_pull is not None else None
            report = run(table, client, options, mode="sync", journal=world.journal,
                         confirm=lambda _plan: True, clock=world.now, after_pull=step)  # fmt: skip
            _record(config, state, spec, st, report, client, gate, now)
            line = history_line(report, now)
            if line is not None:
                state.add_history(spec.id, now, line, config.history_lines)
                _write_history(state, table, spec)
                if not spec.is_google:  # our own save is no change for the next cycle
                    saved = state.sheet(spec.id)
                    saved.stat = file_stat(spec.sheet)
                    state.save_sheet(saved)
        finally:
            table.close()
    except Exception as exc:  # noqa: BLE001 - one sheet's failure never stops the others
        problem = str(exc) if isinstance(exc, errors.SheetsyncError) else (
            f"Unexpected {type(exc).__name__}: {exc}; the service carries on with the other sheets."
        )
        st = state.sheet(spec.id)  # what _record saved, if it got that far
        first = not st.failures
        st.failures += 1
        st.problem = problem
        st.retry_at = now + dt.timedelta(seconds=_backoff(config, st.failures))
        st.last_run = now
        st.label = spec.label
        with state.transaction():
            state.save_sheet(st)
            if first:
                state.add_event(spec.id, "unreadable", problem, now)
                state.add_history(spec.id, now, problem_line(now, problem), config.history_lines)
        return SheetResult(spec.id, why, False, problem=problem)
    return SheetResult(spec.id, why, True, submitted=sum(1 for o in report.rows if o.action == "submitted"),
                       spent=report.spent)  # fmt: skip


def _record(
    config: ServiceConfig, state: State, spec: SheetSpec, st: SheetState, report: Report, client: SharedClient,
    gate: ApprovalGate, now: dt.datetime,
) -> None:
    """After a run: the ledger, approvals, task statuses, counts and the events."""
    plan = report.plan
    costs: dict[str, int] = {}
    waits_on_budget = 0
    if plan is not None:
        for a in plan.actions:
            if isinstance(a, Submit):
                costs[a.key] = a.cost
            elif isinstance(a, Adopt):
                costs[a.key] = 0 if spec.sandbox else len(a.row.target_ids)
            elif isinstance(a, Wait) and a.limit.startswith("the monthly budget"):
                waits_on_budget += 1
    previous = dict(st.tasks)
    tasks: dict[str, list[str]] = {}
    for o in report.rows:
        if not o.task_id:
            continue
        summary = client.summary(o.task_id)
        status = str(summary.status) if summary is not None and o.action != "submitted" else o.status
        tasks[o.task_id] = [status or "Queued", _ts(summary.updated_at) if summary is not None else ""]
    with state.transaction():
        for o in report.rows:
            if o.action in ("submitted", "adopt") and o.task_id and costs.get(o.key):
                state.spend(spec.account, spec.client or spec.label, o.task_id, costs[o.key], now)
        state.set_approvals(spec.id, gate.approved, gate.cleared)
        st.tasks = tasks
        st.dirty = False
        st.failures = 0
        st.retry_at = None
        st.problem = ""
        st.last_read = st.last_run = st.last_refresh = now
        st.pending = sum(1 for o in report.rows if o.attention)
        st.waiting = sum(1 for o in report.rows if o.action in ("wait", "hold"))
        st.stat = "" if spec.is_google else file_stat(spec.sheet)
        state.save_sheet(st)
        for o in report.rows:
            if o.failed and o.task_id and previous.get(o.task_id, [""])[0] != tasks[o.task_id][0]:
                state.add_event(spec.id, "failed", f"row {o.row} (task {o.task_id}): {o.message}", now)
        lost = int((report.extras.get("verify") or {}).get("newly_lost") or 0)
        if lost:
            state.add_event(spec.id, "lost", f"{lost} link(s) newly lost (see the Placements tab)", now)
        if waits_on_budget:
            state.add_event(spec.id, "budget", f"{waits_on_budget} row(s) wait: the monthly budget of account {spec.account} is spent", now)


def _write_history(state: State, table: Table, spec: SheetSpec) -> None:
    table.write_tab(history_tab(state.history(spec.id)))
