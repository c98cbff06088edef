"""The library entry point: `run(table, client, options, mode=...)` -> `Report`.

validate: read and check rows, write problems into the notes column; nothing is sent.
plan:     everything sync would decide, writing and spending nothing.
push:     reconcile rows with the server's task list, then submit new ready rows once.
pull:     refresh unfinished tasks and write statuses back.
sync:     push, then pull.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import apply as A
from . import columns as C
from . import errors, models
from .apply import ProgressEvent, RowOutcome, SheetWriter, TaskClient
from .hooks import PulledTask, PullExtras, PullStep
from .journal import EMPTY, Journal, default_folder
from .lease import Claim, LeasePolicy, SheetLease
from .lock import SheetLock
from . import tabs as T
from .own_tabs import check_tabs, is_own
from .plan import Gate, New, NotReady, Plan, Refresh, Reject, SpendLimit, Submit, Yielded, build, problems_text
from .sheet import check_ownership, map_header, read_rows
from .tables.base import Tab, Table

__all__ = ["MODES", "Options", "ProgressEvent", "Report", "RowOutcome", "run"]

MODES = ("validate", "plan", "sync", "push", "pull")


@dataclass(frozen=True)
class Options:
    """How a run behaves; the CLI fills this from flags and settings."""

    sandbox: bool = False
    max_credits: int | None = None
    write: bool = True
    batch_size: int = 20
    lock_folder: Path | None = None
    #: The sheet lease's timing; and this machine's name in it and in the host lock (default:
    #: the host name). Two names on one host are, to sheetsync, two machines.
    lease: LeasePolicy = LeasePolicy()
    machine: str | None = None
    #: Holds rows before they are sent (an approval step); see `plan.Gate`.
    gate: Gate | None = None
    #: A further cap on spending (a monthly budget); see `plan.SpendLimit`.
    spend_limit: SpendLimit | None = None


@dataclass
class Report:
    """What a run did, row by row, and what it cost."""

    mode: str
    sheet: str
    rows: list[RowOutcome]
    plan: Plan | None = None
    spent: int = 0
    api_requests: int = 0
    notes: list[str] = field(default_factory=list)
    #: Sections a post-pull step added to the JSON report (e.g. "verify").
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The read and each write may repeat one warning (e.g. openpyxl's); say it once.
        self.notes = list(dict.fromkeys(self.notes))

    @property
    def exit_code(self) -> errors.ExitCode:
        """1 when any row needs a person, else 0."""
        if any(r.attention for r in self.rows):
            return errors.ExitCode.ATTENTION
        return errors.ExitCode.OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "sheet": self.sheet,
            "exit_code": int(self.exit_code),
            "spent": self.spent,
            "api_requests": self.api_requests,
            "notes": list(self.notes),
            "plan": self.plan.to_dict() if self.plan else None,
            "rows": [r.to_dict() for r in self.rows],
            **self.extras,
        }


def run(
    table: Table,
    client: TaskClient | None,
    options: Options = Options(),
    *,
    mode: str = "sync",
    journal: Journal | None = None,
    confirm: Callable[[Plan], bool] | None = None,
    progress: Callable[[ProgressEvent], None] | None = None,
    checkpoint: Callable[[str], None] | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    after_pull: PullStep | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Report:
    """Run one mode against one sheet. Raises `errors.*` for whole-run failures.

    `sleep` is how the run waits (for the sheet lease to settle); `clock` what time it is.

    `after_pull` (pull and sync only) runs after the statuses are refreshed; what it adds is
    written in the same write-back (see `hooks`).
    """
    if mode not in MODES:
        raise errors.ConfigError(f"Unknown mode {mode!r}; use one of {', '.join(MODES)}.")
    if client is None and mode != "validate":
        raise errors.ConfigError(
            f"{mode} needs BacklinkBase; set BACKLINKBASE_API_TOKEN (or try `sheetsync demo`)."
        )
    if not options.write and mode in ("sync", "push", "pull"):
        raise errors.ConfigError(
            f"{mode} must write row keys and task ids to the sheet; use plan or validate to "
            "look without writing."
        )
    now = clock or (lambda: dt.datetime.now(dt.timezone.utc))
    own_journal = journal is None and mode != "validate"
    if own_journal:
        journal = Journal.default()
    lock = None
    if options.write and mode != "plan":
        # A sync that cannot write its task ids must not send anything: refuse now.
        table.check_writable()
        folder = options.lock_folder or default_folder() / "locks"
        lock = SheetLock(folder, table.identity, table.display_name, machine=options.machine)
        lock.acquire()
    try:
        if mode == "validate":
            return _validate(table, client, options, now, checkpoint or _nothing)
        assert journal is not None and client is not None
        return _sync(
            table, client, options, mode, journal, confirm, progress, checkpoint, now, after_pull,
            sleep or time.sleep,
        )
    finally:
        if lock is not None:
            lock.release()
        if own_journal and journal is not None:
            journal.close()


def _nothing(*_: object) -> None:
    return None


def _requests(client: object) -> int:
    return int(getattr(client, "requests_made", 0) or 0)


def _validate(
    table: Table,
    client: TaskClient | None,
    options: Options,
    now: Callable[[], dt.datetime],
    checkpoint: Callable[[str], None],
) -> Report:
    before = _requests(client)
    grid = table.read()
    hm = map_header(grid.header)
    check_ownership(grid, hm)
    check_tabs(table, grid)
    rows = read_rows(grid, hm)
    catalogue = client.sites() if client is not None else None
    plan = build(
        rows, remote=(), catalogue=catalogue, balance=None, today=now().date(),
        journal=EMPTY, push=False, pull=False,
    )  # fmt: skip
    writer = SheetWriter(table, hm, enabled=options.write, checkpoint=checkpoint, now=now)
    outcomes: list[RowOutcome] = []
    for a in plan.actions:
        if isinstance(a, Refresh):
            continue  # already submitted: validation no longer applies
        problems = a.problems if isinstance(a, (Reject, NotReady)) else ()
        note = a.note if a.note is not None else ""
        writer.stage(a.row, a.key, a.by_position, {C.NOTES: note})
        kind = "ok" if isinstance(a, New) else a.kind
        message = "valid" if isinstance(a, New) else a.message
        outcomes.append(
            RowOutcome(a.row.row, a.key, kind, a.row.task_id, a.row.owned.get(C.STATUS, ""),
                       message, attention=bool(problems) or a.attention)
        )  # fmt: skip
    writer.flush()
    notes = [f"Row {row} could not be written: {why}." for row, why in sorted(writer.lost.items())]
    return Report(
        mode="validate",
        sheet=table.display_name,
        rows=outcomes,
        plan=plan,
        api_requests=_requests(client) - before,
        notes=list(grid.notes) + writer.notes + notes,
    )


def _sync(
    table: Table,
    client: TaskClient,
    options: Options,
    mode: str,
    journal: Journal,
    confirm: Callable[[Plan], bool] | None,
    progress: Callable[[ProgressEvent], None] | None,
    checkpoint: Callable[[str], None] | None,
    now: Callable[[], dt.datetime],
    after_pull: PullStep | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Report:
    before = _requests(client)
    checkpoint = checkpoint or _nothing
    push = mode in ("sync", "push", "plan")
    pull = mode in ("sync", "pull", "plan")
    look = _Look(table, client, options, mode, journal, now, push, pull)
    look.run()
    if mode == "plan":
        plan = look.plan
        outcomes = [
            RowOutcome(a.row.row, a.key, a.kind, a.row.task_id, a.row.owned.get(C.STATUS, ""),
                       a.message, attention=a.attention)
            for a in plan.actions
        ]  # fmt: skip
        return Report(
            mode=mode,
            sheet=table.display_name,
            rows=outcomes,
            plan=plan,
            api_requests=_requests(client) - before,
            notes=list(look.grid.notes) + list(plan.notes),
        )
    lease: SheetLease | None = None
    if push and look.plan.submits:
        lease = SheetLease(table, options.lease, clock=now, machine=options.machine, sleep=sleep)
        try:
            holder = lease.acquire()
        except NotImplementedError:
            lease, holder = None, None  # a backend that cannot hold the lease: the host lock only
        if lease is not None and holder is None:
            # Ours now. What another sync sent before is in the task list: decide again from it.
            # The sheet need not be read again: a row it gave a key is found by that key, and a
            # key this run would give a row that has one now is refused by the write.
            try:
                look.run(again=True)
            except BaseException:
                lease.release()
                raise
        elif holder is not None:
            lease = None
            look.plan = _yield_to(look.plan, holder)
    grid, hm, snapshot, plan, catalogue = look.grid, look.hm, look.snapshot, look.plan, look.catalogue
    remote = look.remote

    writer = SheetWriter(table, hm, enabled=True, checkpoint=checkpoint, now=now)
    ctx = A.Context(
        table=table,
        client=client,
        journal=journal,
        snapshot=snapshot,
        writer=writer,
        sheet=table.identity,
        now=now,
        checkpoint=checkpoint,
        progress=progress or _nothing,
        batch_size=max(1, options.batch_size),
        remote=list(remote),
        lease=lease,
    )
    A.record_plan(ctx, plan)
    checkpoint("planned")
    try:
        A.adopt(ctx, plan)
        if push:
            try:
                A.submit(ctx, plan, confirm)
            finally:
                if lease is not None:
                    lease.release()
        if pull:
            A.refresh(ctx, plan)
    except BaseException:
        # Whatever stops the run (401, Ctrl-C, a bug), what is already known reaches the sheet.
        try:
            writer.flush()
        except Exception:  # noqa: BLE001 - the original error matters more
            pass
        raise
    extras = PullExtras()
    if pull and after_pull is not None:
        extras = after_pull(_pulled(ctx, plan, options), now())
        _stage_extras(ctx, plan, extras)
    tab, digest, catalogue = _placements(ctx, plan, client, catalogue, extras) if pull else (None, "", catalogue)
    writer.flush(tab)
    if tab is not None:
        journal.set_state(table.identity, "placements_tab", digest)
    info_notes = _info_tabs(ctx, table, catalogue, look.balance, extras)

    notes = list(grid.notes) + list(plan.notes) + ctx.notes + extras.notes + writer.notes + info_notes
    for o in sorted(ctx.outcomes.values(), key=lambda o: o.row):
        why = writer.lost.get(o.row)
        if why is None or o.action == "skipped":  # "skipped" already says why and what to do
            continue
        if o.attention and o.message:
            # A held row keeps its own reason: it says what the person should change.
            o.message = f"{o.message.rstrip('.')} (not written to the sheet: {why})."
            notes.append(f"Row {o.row}: {why}.")
            continue
        extra = f" (task {o.task_id} is safe on BacklinkBase; a later sync writes it once the row is found again)" if o.task_id else ""
        o.attention = True
        o.message = f"could not write to row {o.row}: {why}{extra}"
        notes.append(f"Row {o.row}: {why}{extra}.")
    return Report(
        mode=mode,
        sheet=table.display_name,
        rows=[ctx.outcomes[k] for k in sorted(ctx.outcomes)],
        plan=plan,
        spent=ctx.spent,
        api_requests=_requests(client) - before,
        notes=notes,
        extras=dict(extras.report),
    )


class _Look:
    """Read the sheet and the task list and decide; done again once the sheet lease is ours."""

    def __init__(self, table: Table, client: TaskClient, options: Options, mode: str,
                 journal: Journal, now: Callable[[], dt.datetime], push: bool, pull: bool):
        self.table, self.client, self.options, self.mode = table, client, options, mode
        self.journal, self.now, self.push, self.pull = journal, now, push, pull
        self.catalogue: models.Catalogue | None = None
        self.balance: int | None = None
        self.priced = False
        self.details: dict[str, models.Task] = {}

    def run(self, *, again: bool = False) -> None:
        """Read and decide; `again`: only the task list and the journal are read anew."""
        table, options = self.table, self.options
        if not again:
            self.grid = grid = table.read()
            self.hm = hm = map_header(grid.header)
            check_ownership(grid, hm)
            self.snapshot = self.journal.snapshot(table.identity)
            # `plan` always looks: it is where a person learns, before spending, what a sync would do.
            known = self.mode != "plan" and "placements_tab" in self.snapshot.state
            check_tabs(table, grid, placements_known=known)
            self.rows = read_rows(grid, hm)
        else:
            self.snapshot = self.journal.snapshot(table.identity)
        rows, snapshot = self.rows, self.snapshot
        self.remote = remote = self.client.tasks()
        today = self.now().date()

        def plan_with(catalogue: models.Catalogue | None, balance: int | None) -> Plan:
            return build(
                rows, remote=remote, catalogue=catalogue, balance=balance, today=today,
                sandbox=options.sandbox, max_credits=options.max_credits, journal=snapshot,
                push=self.push, pull=self.pull, batch_size=max(1, options.batch_size),
                gate=options.gate, spend_limit=options.spend_limit, details=self.details,
            )  # fmt: skip

        self.plan = plan_with(None, None)
        if self.plan.needs_catalogue and not self.priced:
            self.catalogue = self.client.sites()
            self.balance = None if options.sandbox or not self.push else self.client.credits()
            self.priced = True
        if self.plan.needs_catalogue:
            # A second look (under the lease) reuses the first one's catalogue and balance: a
            # balance another sync lowered meanwhile is refused by BacklinkBase (409), not overspent.
            self.plan = plan_with(self.catalogue, self.balance)
        wanted = [t for t in self.plan.details_needed if t not in self.details]
        if wanted:
            # A row whose name matches a task sent under another key: its details say whether
            # the content matches too. One that cannot be fetched keeps the row held.
            for task_id in wanted:
                try:
                    self.details[task_id] = self.client.task(task_id)
                except errors.BadTokenError:
                    raise
                except errors.ApiError:
                    continue
            self.plan = plan_with(self.catalogue, self.balance)
            if self.plan.needs_catalogue and not self.priced:
                self.catalogue = self.client.sites()
                self.balance = None if options.sandbox or not self.push else self.client.credits()
                self.priced = True
                self.plan = plan_with(self.catalogue, self.balance)


def _yield_to(plan: Plan, holder: Claim) -> Plan:
    """The plan with every submission held: another sync holds the sheet lease."""
    reason = f"Not sent by this run: {holder.describe()} and is sending rows of this sheet."
    actions = tuple(
        # A row without its key keeps it so: the holder may be giving it one right now.
        Yielded(a.row, "" if a.by_position else a.key, reason, by_position=a.by_position)
        if isinstance(a, Submit) else a
        for a in plan.actions
    )
    note = f"Nothing was sent: {holder.describe()}."
    return replace(plan, actions=actions, notes=(*plan.notes, note))


def _info_tabs(
    ctx: A.Context, table: Table, catalogue: models.Catalogue | None, balance: int | None, extras: PullExtras
) -> list[str]:
    """Write the Sites and Summary tabs when their text changed; notes for the report.

    The Sites tab is the catalogue the run fetched anyway; the Summary is what the run knows.
    A person's own tab by either name is left alone, with a note.
    """
    notes: list[str] = []
    state = ctx.snapshot.state
    now = ctx.now()
    tabs: list[tuple[Tab, str, str, tuple[str, ...]]] = []
    if catalogue is not None:
        sites = T.sites_tab(catalogue)
        tabs.append((sites, "sites_tab", A.tab_digest(sites), T.SITES_HEADER))
    month = now.astimezone(dt.timezone.utc).strftime("%Y-%m")
    by_month = T.month_spending(state.get("spent_by_month", ""), month, ctx.spent)
    if ctx.spent:
        ctx.journal.set_state(ctx.sheet, "spent_by_month", json.dumps(by_month))
    known_balance, balance_at = balance, now.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if balance is not None:
        ctx.journal.set_state(ctx.sheet, "balance", json.dumps([balance - ctx.spent, balance_at]))
        known_balance = balance - ctx.spent
    else:
        try:
            known_balance, balance_at = json.loads(state.get("balance", "null")) or (None, "")
        except (ValueError, TypeError):
            known_balance, balance_at = None, ""
    outcomes = sorted(ctx.outcomes.values(), key=lambda o: o.row)
    known = A.known_placements(ctx)
    placements = [str(p.status) for o in outcomes if o.task_id in known for p in known[o.task_id]]
    summary = T.summary_tab(
        balance=known_balance, balance_at=balance_at, by_month=by_month,
        row_statuses=[o.status for o in outcomes], placement_statuses=placements,
        links=dict(Counter(c["link_status"] for c in extras.placement_cells.values() if c.get("link_status"))),
        problems=[f"Row {o.row}: {o.message}" for o in outcomes if o.attention and o.message],
        changed_at=now,
    )  # fmt: skip
    tabs.append((summary, "summary_tab", T.digest_without_time(summary), T.SUMMARY_HEADER))
    for tab, name, digest, own in tabs:
        if state.get(name) == digest:
            continue
        if name not in state:
            try:
                header = table.tab_header(tab.title)
            except NotImplementedError:
                continue
            if header is not None and not is_own(header, own):
                notes.append(
                    f"Your tab {tab.title!r} is not sheetsync's, so it was left as it is; rename it "
                    f"(e.g. to 'My {tab.title.lower()}') to let sheetsync add its {tab.title} tab."
                )
                continue
        notes.extend(table.write_tab(tab))
        ctx.journal.set_state(ctx.sheet, name, digest)
    return notes


def _pulled(ctx: A.Context, plan: Plan, options: Options) -> list[PulledTask]:
    """Every row with a task, with the placements this run knows, for a post-pull step."""
    known = A.known_placements(ctx)
    rows = {a.row.row: a.row for a in plan.actions}
    default_mode = "sandbox" if options.sandbox else "live"
    tasks: list[PulledTask] = []
    for o in sorted(ctx.outcomes.values(), key=lambda o: o.row):
        row = rows.get(o.row)
        if row is None or not (o.task_id and o.key) or o.task_id not in known:
            continue
        staged = ctx.writer.staged(o.row).get(C.MODE)
        mode = staged or row.owned.get(C.MODE) or default_mode
        tasks.append(PulledTask(row, o.task_id, mode, known[o.task_id]))
    return tasks


def _stage_extras(ctx: A.Context, plan: Plan, extras: PullExtras) -> None:
    """Stage a post-pull step's row cells and mark the rows it says need a person."""
    for a in plan.actions:
        outcome = ctx.outcomes.get(a.row.row)
        if outcome is None or not outcome.key:
            continue
        cells = extras.row_cells.get(outcome.key)
        if cells:
            ctx.writer.stage(a.row, a.key, a.by_position, dict(cells))
        why = extras.attention.get(outcome.key)
        if why:
            outcome.attention = True
            outcome.message = f"{outcome.message}; {why}" if outcome.message else why


def _placements(
    ctx: A.Context, plan: Plan, client: TaskClient, catalogue: models.Catalogue | None, extras: PullExtras
) -> tuple[Tab | None, str, models.Catalogue | None]:
    """(the Placements tab, its digest) when it changed since this machine last wrote it, and
    the catalogue as the run now knows it (fetched here when a site is new to this machine).

    Site URLs come from the catalogue; the journal keeps the URLs last seen so that a tab
    update costs a `task/sites` request only when a site is new to this machine.
    """
    titles = {a.row.row: a.row.title for a in plan.actions}
    rows: list[tuple[str, str, str]] = []
    for o in sorted(ctx.outcomes.values(), key=lambda o: o.row):
        if o.task_id and o.key:
            rows.append((o.key, titles.get(o.row, ""), o.task_id))
    draft = A.placements_tab(ctx, rows, lambda _id: "", extras.placement_cells)
    digest = A.tab_digest(draft)
    if digest == ctx.snapshot.state.get("placements_tab"):
        return None, digest, catalogue
    urls: dict[int, str] = {}
    try:
        urls = {int(k): v for k, v in json.loads(ctx.snapshot.state.get("site_urls", "{}")).items()}
    except (ValueError, AttributeError):
        urls = {}
    site_id = C.PLACEMENT_COLUMNS.index("site_id")
    needed = {int(line[site_id]) for line in draft.rows}
    if catalogue is None and not needed <= set(urls):
        try:
            catalogue = client.sites()
        except errors.BadTokenError:
            raise
        except errors.ApiError:
            catalogue = None  # the tab still goes out, without the missing URLs
    if catalogue is not None:
        urls.update({site.id: site.url for site in catalogue.sites})
        ctx.journal.set_state(ctx.sheet, "site_urls", json.dumps({str(k): v for k, v in urls.items()}))
    tab = A.placements_tab(ctx, rows, lambda i: urls.get(i, ""), extras.placement_cells)
    return tab, digest, catalogue
