"""Sheet commands: validate, plan, sync, push, pull, and how their reports are printed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from .. import render
from ..config import Settings
from ..errors import ExitCode
from .base import (
    api_client, api_options, current_runtime, echo, echo_err, emit_json, output_options, run_state,
    settings_for, sheet_options, show,
)

if TYPE_CHECKING:
    from ..journal import Journal
    from ..totals import Totals
    from ..tables import Table


@dataclass
class _Spending:
    """What the confirmation step decided, so the command can explain a refusal."""

    yes: bool
    interactive: bool
    refused_cost: int | None = None

    def __call__(self, plan: Any) -> bool:
        if self.yes:
            return True
        cost = int(getattr(plan, "cost", 0))
        if not self.interactive:
            self.refused_cost = cost
            return False
        show(render.plan_table(plan.to_dict(), title="About to submit"), err=True)
        show(render.pairs_table(render.plan_summary(plan.to_dict())), err=True)
        approved = click.confirm(f"Spend {cost} credit(s) on BacklinkBase now?", default=False, err=True)
        if not approved:
            self.refused_cost = cost
        return approved


@contextmanager
def _progress_reporter(
    enabled: bool, rate_limit: int, console: Console | None = None
) -> Iterator[Callable[[Any], None] | None]:
    """A rich progress bar on stderr for long runs; None (quiet) when stderr is not a terminal.

    The ETA is never shorter than what the rate limit allows: each remaining row of a push or
    pull costs about one request, and at most `rate_limit` go out a minute.
    """
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bars = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[eta]}"), console=console or Console(stderr=True), transient=True,
    )
    tasks: dict[str, Any] = {}

    def update(event: Any) -> None:
        stage, done, total = str(event.stage), int(event.done), int(event.total)
        if total <= 0:
            return  # nothing to do: no "0/0" bar
        # The bar starts with the first step, after any confirmation: a live display would
        # capture the prompt and read its "[y/N]" as markup.
        if not bars.live.is_started:
            bars.start()
        if stage not in tasks:
            tasks[stage] = bars.add_task(stage, total=total, eta="")
        task_id = tasks[stage]
        bars.update(task_id, completed=done, total=total)
        eta = render.eta_seconds(done, total, bars.tasks[task_id].time_remaining, rate_limit)
        bars.update(task_id, eta=f"{total - done} to go, ETA {eta:.0f} s" if done < total else "done")

    try:
        yield update
    finally:
        if bars.live.is_started:
            bars.stop()

def _open(sheet: str, settings: Settings) -> Table:
    runtime = current_runtime()
    table: Table = runtime.open_sheet(
        sheet, settings.worksheet, settings.credentials, runtime.env, run_state().force
    )
    return table


def _journal(settings: Settings) -> Journal | None:
    if not settings.state_dir:
        return None  # the workflow's default: the user's data folder
    from ..journal import Journal

    # Journal creates the folder, and says what to do when it cannot.
    return Journal(Path(settings.state_dir).expanduser() / "journal.sqlite3")


def _run(
    sheet: str,
    mode: str,
    settings: Settings,
    *,
    client: Any,
    sandbox: bool = False,
    write: bool = True,
    confirm: Callable[[Any], bool] | None = None,
    after_pull: Any = None,
) -> Any:
    """Open the sheet, run one workflow mode and return its report.

    pull and sync check the links that are due afterwards (`sheetsync.verify`) unless
    `after_pull` says otherwise.
    """
    from ..workflow import Options, run

    if after_pull is None and mode in ("sync", "pull"):
        from ..verify.cli import link_checks

        after_pull = link_checks(settings, current_runtime().env)

    options = Options(
        sandbox=sandbox,
        max_credits=settings.max_credits,
        write=write,
        batch_size=settings.batch_size,
        lock_folder=Path(settings.state_dir).expanduser() if settings.state_dir else None,
        machine=settings.machine,
    )
    journal = _journal(settings)
    show_progress = mode in ("sync", "push", "pull") and not run_state().as_json and current_runtime().stderr_is_terminal()
    try:
        with _open(sheet, settings) as table, _progress_reporter(show_progress, settings.rate_limit) as progress:
            return run(
                table, client, options, mode=mode, journal=journal, confirm=confirm, progress=progress,
                after_pull=after_pull, sleep=current_runtime().sleep,
            )  # fmt: skip
    finally:
        if journal is not None:
            journal.close()


run_sheet = _run


def _summary(report: Any, totals: Totals | None = None) -> str:
    counts: dict[str, int] = {}
    for outcome in report.rows:
        action = str(getattr(outcome, "action", "") or "")
        counts[action] = counts.get(action, 0) + 1
    parts = [f"{n} {action}" for action, n in sorted(counts.items())] or ["no rows"]
    spent = getattr(report, "spent", 0) or 0
    requests = getattr(report, "api_requests", None)
    tail = f"; {spent} credit(s) spent" if spent else "; nothing spent"
    if requests is not None:
        tail += f"; {requests} BacklinkBase request(s)"
    line = "Rows: " + ", ".join(parts) + tail + "."
    if totals is not None and totals.runs > 1:
        line += (
            f" Over {totals.runs} runs: {totals.submitted} submitted, {totals.spent} credit(s) spent, "
            f"{totals.failed} with failed placements, {totals.problems} needing attention."
        )
    return line


def _print_report(report: Any, *, title: str, totals: Totals | None = None) -> None:
    show(render.rows_table(report.rows, title=title))
    echo(_summary(report, totals))
    for note in getattr(report, "notes", ()) or ():
        echo(f"Note: {note}")


def _finish(
    reports: list[Any], *, title: str, spending: _Spending | None = None, interrupted: bool = False
) -> None:
    """Print (or emit as JSON) what every run of the command did, and exit with its code.

    Several runs (`sync --watch`) are reported as one: the latest word on each row, and the
    credits, submissions, failures and problems of all of them together.
    """
    from ..totals import combine, totals

    report = combine(reports)
    sums = totals(reports)
    code = int(report.exit_code)
    refused = spending is not None and spending.refused_cost is not None
    if refused and spending is not None and not spending.interactive:
        code = int(ExitCode.USAGE)
    if interrupted:
        code = int(ExitCode.INTERRUPTED)
    if run_state().as_json:
        document = dict(render.jsonable(report.to_dict()))
        document["exit_code"] = code
        document["totals"] = sums.to_dict()
        if len(reports) > 1:
            document["runs"] = len(reports)
        if refused and spending is not None:
            document["refused_to_spend"] = spending.refused_cost
        if interrupted:
            document["interrupted"] = True
        emit_json(document)
    else:
        _print_report(report, title=title, totals=sums)
    if refused and spending is not None:
        if spending.interactive:
            echo_err("Nothing was spent; run the command again and answer y to submit.")
        else:
            echo_err(
                f"Error: submitting would spend {spending.refused_cost} credit(s) and there is no terminal "
                "to confirm it; nothing was spent"
                + (" (statuses were still refreshed)" if report.mode in ("sync", "pull") else "")
                + ". Rerun with --yes to allow spending (cap it with --max-credits N)."
            )
    if interrupted:
        echo_err("Interrupted; the summary above is what was done so far. Running the same command again is safe.")
    click.get_current_context().exit(code)


finish = _finish


@click.command()
@sheet_options
@click.option("--no-write", is_flag=True, help="Only print the problems; leave the sheet as it is.")
@click.option("--offline", is_flag=True, help="Skip the site-id check against the catalogue (no token needed).")
@api_options
@output_options
def validate(
    sheet: str, worksheet: str | None, credentials: str | None, no_write: bool, offline: bool,
    api_url: str | None, rate_limit: int | None,
) -> None:
    """Check every row locally and write the problems into its notes column.

    Site ids are checked against the catalogue when BACKLINKBASE_API_TOKEN is set.
    Exit 1 when any row needs attention.

    \b
    Example: sheetsync validate articles.xlsx --no-write
    """
    settings = settings_for(api_url=api_url, rate_limit=rate_limit, worksheet=worksheet, credentials=credentials)
    client = None if offline or not settings.api_token else api_client(settings)
    report = _run(sheet, "validate", settings, client=client, write=not no_write)
    if client is None and not run_state().as_json:
        echo_err("Note: site ids were not checked against the catalogue (no token, or --offline).")
    _finish([report], title="Validation")


@click.command()
@sheet_options
@click.option("--sandbox", is_flag=True, help="Plan a sandbox run (free, no live placements).")
@click.option("--max-credits", type=int, default=None, metavar="N", help="Plan to spend at most N credits.")
@api_options
@output_options
def plan(
    sheet: str, worksheet: str | None, credentials: str | None, sandbox: bool, max_credits: int | None,
    api_url: str | None, rate_limit: int | None,
) -> None:
    """Show what a sync would do, writing and spending nothing.

    \b
    Example: sheetsync plan articles.xlsx --max-credits 20
    """
    settings = settings_for(
        api_url=api_url, rate_limit=rate_limit, worksheet=worksheet, credentials=credentials,
        max_credits=max_credits,
    )
    report = _run(sheet, "plan", settings, client=api_client(settings), sandbox=sandbox, write=False)
    plan_dict = render.jsonable(report.plan.to_dict()) if report.plan is not None else {}
    if run_state().as_json:
        document = dict(render.jsonable(report.to_dict()))
        document["exit_code"] = int(report.exit_code)
        emit_json(document)
    else:
        show(render.plan_table(plan_dict, title="Plan (nothing written, nothing spent)"))
        show(render.pairs_table(render.plan_summary(plan_dict)))
    click.get_current_context().exit(int(report.exit_code))


def _spending_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--yes", "-y", is_flag=True, help="Spend without asking (needed without a terminal).")(f)
    f = click.option("--max-credits", type=int, default=None, metavar="N",
                     help="Spend at most N credits in this run [env SHEETSYNC_MAX_CREDITS].")(f)
    return click.option("--sandbox", is_flag=True,
                        help="Submit sandbox tasks: free, no live placements (try this first).")(f)


def _pending(report: Any) -> int:
    from ..demo import unfinished

    return len(unfinished(report))


@click.command()
@sheet_options
@_spending_options
@click.option("--watch", "--until-done", "watch", is_flag=True,
              help="Keep refreshing until every submitted row has finished (Published or Failed).")
@click.option("--interval", type=click.FloatRange(min=1.0), default=60.0, show_default=True, metavar="S",
              help="Seconds between refreshes with --watch.")
@api_options
@output_options
def sync(
    sheet: str, worksheet: str | None, credentials: str | None, sandbox: bool, max_credits: int | None,
    yes: bool, watch: bool, interval: float, api_url: str | None, rate_limit: int | None,
) -> None:
    """Submit new ready rows (push), then refresh statuses and results (pull).

    Shows the cost and asks before spending; --yes skips the question.

    \b
    Examples: sheetsync sync articles.xlsx --sandbox
              sheetsync sync articles.xlsx --max-credits 20 --yes --watch
    """
    settings = settings_for(
        api_url=api_url, rate_limit=rate_limit, worksheet=worksheet, credentials=credentials,
        max_credits=max_credits,
    )
    client = api_client(settings)
    spending = _Spending(yes=yes, interactive=current_runtime().interactive())
    reports = [_run(sheet, "sync", settings, client=client, sandbox=sandbox, confirm=spending)]
    try:
        while watch and _pending(reports[-1]):
            if not run_state().as_json:
                echo_err(f"{_pending(reports[-1])} row(s) still in progress; checking again in {interval:g} s (Ctrl-C stops).")
            current_runtime().sleep(interval)
            reports.append(_run(sheet, "pull", settings, client=client, sandbox=sandbox))
    except KeyboardInterrupt:
        # What the earlier cycles did (and spent) is still worth reporting.
        _finish(reports, title="Sync (interrupted)", spending=spending, interrupted=True)
    _finish(reports, title="Sync", spending=spending)


@click.command()
@sheet_options
@_spending_options
@api_options
@output_options
def push(
    sheet: str, worksheet: str | None, credentials: str | None, sandbox: bool, max_credits: int | None,
    yes: bool, api_url: str | None, rate_limit: int | None,
) -> None:
    """Submit new ready rows only (the first half of sync).

    \b
    Example: sheetsync push articles.xlsx --yes
    """
    settings = settings_for(
        api_url=api_url, rate_limit=rate_limit, worksheet=worksheet, credentials=credentials,
        max_credits=max_credits,
    )
    spending = _Spending(yes=yes, interactive=current_runtime().interactive())
    report = _run(sheet, "push", settings, client=api_client(settings), sandbox=sandbox, confirm=spending)
    _finish([report], title="Push", spending=spending)


@click.command()
@sheet_options
@click.option("--sandbox", is_flag=True, help="Follow the sandbox tasks instead of the live ones.")
@api_options
@output_options
def pull(
    sheet: str, worksheet: str | None, credentials: str | None, sandbox: bool,
    api_url: str | None, rate_limit: int | None,
) -> None:
    """Refresh statuses and result URLs of submitted rows; never spends.

    \b
    Example: sheetsync pull https://docs.google.com/spreadsheets/d/KEY/edit
    """
    settings = settings_for(api_url=api_url, rate_limit=rate_limit, worksheet=worksheet, credentials=credentials)
    report = _run(sheet, "pull", settings, client=api_client(settings), sandbox=sandbox)
    _finish([report], title="Pull")
