"""Command line: parse options, call the library, render results. Nothing else lives here.

Errors are handled at one boundary (`_Group.invoke`): a `SheetsyncError` becomes one line on
stderr and its exit code; `--debug` prints the (redacted) traceback instead. Everything a command prints
passes through `redact` with the token known to this run, as a last line of defence.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from . import __version__, render
from .config import Settings, load_settings
from .errors import ConfigError, ExitCode, SheetsyncError
from .redact import redact

if TYPE_CHECKING:  # imported lazily below so `sheetsync --help` stays fast
    from .client import Client
    from .journal import Journal
    from .tables import Table

_META = "sheetsync"


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


@dataclass
class Runtime:
    """The outside world as the commands see it; tests pass their own via `obj=`."""

    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    folder: Path | None = None  # where sheetsync.toml is looked for; None = working folder
    interactive: Callable[[], bool] = _stdin_is_terminal
    sleep: Callable[[float], None] = time.sleep
    stderr_is_terminal: Callable[[], bool] = lambda: sys.stderr.isatty()
    clock: Any = None  # the demo emulator's base clock; None = real time
    # (sheet, worksheet, credentials, env, force) -> Table; tests open Google sheets on the fake API.
    open_sheet: Callable[[str, str | None, str | None, Mapping[str, str], bool], Any] = field(
        default_factory=lambda: open_sheet
    )


@dataclass
class _RunState:
    """Per-invocation flags and secrets, kept in the click context's meta."""

    as_json: bool = False
    debug: bool = False
    force: bool = False  # open an .xlsx even when an Excel/LibreOffice lock file is beside it
    secrets: list[str] = field(default_factory=list)


def _state(ctx: click.Context | None = None) -> _RunState:
    ctx = ctx or click.get_current_context()
    state: _RunState = ctx.meta.setdefault(_META, _RunState())
    return state


def _runtime(ctx: click.Context | None = None) -> Runtime:
    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    if not isinstance(root.obj, Runtime):
        root.obj = Runtime()
    return root.obj


def _clean(text: str) -> str:
    state = _state()
    env_token = _runtime().env.get("BACKLINKBASE_API_TOKEN", "")
    return redact(text, env_token, *state.secrets)


def _out(text: str = "") -> None:
    click.echo(_clean(text))


def _err(text: str) -> None:
    click.echo(_clean(text), err=True)


def _show(renderable: Any, *, err: bool = False) -> None:
    """Print a rich renderable (tables) as text, through the same redaction as everything else."""
    stream = sys.stderr if err else sys.stdout
    width = shutil.get_terminal_size().columns if stream.isatty() else 120
    console = Console(
        file=None, width=width, record=True, force_terminal=False, no_color=True, soft_wrap=False,
        stderr=err,
    )
    with console.capture() as capture:
        console.print(renderable)
    click.echo(_clean(capture.get()).rstrip("\n"), err=err)


def _emit_json(document: Mapping[str, Any]) -> None:
    click.echo(_clean(render.dumps(document)))


class _Group(click.Group):
    """The one error boundary of the command line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SheetsyncError as exc:
            self._fail(ctx, exc, exc.exit_code, str(exc))
        except (KeyboardInterrupt, click.Abort) as exc:  # Ctrl-C, also at a confirmation prompt
            self._fail(ctx, exc, ExitCode.INTERRUPTED, "Interrupted; run the same command again to continue safely.")
        except (click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:  # a bug: say so in one line, traceback only with --debug
            self._fail(
                ctx, exc, ExitCode.INTERNAL,
                f"Unexpected {type(exc).__name__}: {exc}; rerun with --debug and report the traceback.",
            )

    @staticmethod
    def _fail(ctx: click.Context, exc: BaseException, code: int, message: str) -> None:
        state = _state(ctx)
        if state.debug:
            # The traceback, but through the same redaction as every other line we print.
            click.echo(_clean("".join(traceback.format_exception(exc))).rstrip("\n"), err=True)
            ctx.exit(int(code))
        line = _clean(" ".join(str(message).split()))
        if state.as_json:
            _emit_json({"ok": False, "error": line, "error_type": type(exc).__name__, "exit_code": int(code)})
        click.echo(f"Error: {line}", err=True)
        ctx.exit(int(code))


# --- shared options -----------------------------------------------------------------------


def _set_flag(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        if value:
            setattr(_state(ctx), name, True)
        return value

    return callback


class _RedactingHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Log lines on stderr for --debug, with this run's token masked like everything else."""

    def __init__(self, state: _RunState, env: Mapping[str, str]):
        super().__init__(sys.stderr)  # read now: a test runner swaps sys.stderr per invocation
        self.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
        self._state, self._env = state, env

    def format(self, record: logging.LogRecord) -> str:
        token = self._env.get("BACKLINKBASE_API_TOKEN", "")
        return redact(super().format(record), token, *self._state.secrets)


def _debug(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    """--debug: tracebacks instead of one-line errors, and the library's log lines on stderr."""
    if value:
        state = _state(ctx)
        state.debug = True
        handler = _RedactingHandler(state, _runtime(ctx).env)
        logger = logging.getLogger("sheetsync")
        previous = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)

        def detach() -> None:
            logger.removeHandler(handler)
            logger.setLevel(previous)

        ctx.call_on_close(detach)
    return value


def output_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--json and --debug, accepted on every command."""
    f = click.option(
        "--json", "as_json", is_flag=True, expose_value=False, is_eager=True,
        callback=_set_flag("as_json"), help="Print one JSON document on stdout for scripts.",
    )(f)
    return click.option(
        "--debug", is_flag=True, expose_value=False, is_eager=True,
        callback=_debug, help="Show tracebacks instead of one-line errors, and each request.",
    )(f)


def api_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Where BacklinkBase is and how fast we may call it (the token comes from the environment)."""
    f = click.option(
        "--api-url", default=None, metavar="URL",
        help="BacklinkBase API base URL [env BACKLINKBASE_API_URL; default https://backlinkbase.com/api/v1/].",
    )(f)
    return click.option(
        "--rate-limit", type=int, default=None, metavar="N",
        help="Requests per minute to stay under, 0 for none [env SHEETSYNC_RATE_LIMIT; default 60].",
    )(f)


def _set_force(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    _state(ctx).force = value


def sheet_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """SHEET plus the worksheet, Google credentials and lock-file options."""
    f = click.option(
        "--force", is_flag=True, expose_value=False, callback=_set_force,
        help="Write an .xlsx even though an Excel/LibreOffice lock file is beside it. Only when "
        "nobody has it open: their next save would undo sheetsync's.",
    )(f)
    f = click.option(
        "--credentials", default=None, metavar="PATH",
        help="Google service account JSON (else GOOGLE_APPLICATION_CREDENTIALS or your OAuth login).",
    )(f)
    f = click.option("--worksheet", "-w", default=None, metavar="TAB", help="Tab to use (default: the first).")(f)
    return click.argument("sheet", metavar="SHEET")(f)


def _settings(**flags: Any) -> Settings:
    runtime = _runtime()
    settings = load_settings(flags, env=runtime.env, folder=runtime.folder)
    if settings.api_token:
        _state().secrets.append(settings.api_token)
    return settings


def _client(settings: Settings) -> Client:
    from .client import Client

    return Client(
        settings.require_token(),
        settings.api_url,
        rate_limit=settings.rate_limit,
        timeout=(5.0, settings.timeout),
        sleep=_runtime().sleep,
    )


# --- commands -----------------------------------------------------------------------------


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sheetsync")
def cli() -> None:
    """Turn a spreadsheet into a BacklinkBase link-building queue.

    \b
    Exit codes: 0 done, 1 rows need attention, 2 usage or settings problem,
    3 BacklinkBase refused or could not be reached, 70 a bug (rerun with --debug),
    130 interrupted.
    """


@cli.command()
@api_options
@output_options
def health(api_url: str | None, rate_limit: int | None) -> None:
    """Check that BacklinkBase answers."""
    settings = _settings(api_url=api_url, rate_limit=rate_limit)
    result = _client(settings).health()
    if _state().as_json:
        _emit_json(render.health_dict(result, settings.api_url))
    else:
        _out(render.health_line(result, settings.api_url))
    if not result.ok:
        click.get_current_context().exit(int(ExitCode.API))


@cli.command()
@api_options
@output_options
def credits(api_url: str | None, rate_limit: int | None) -> None:
    """Show the account's remaining credits (one credit per target site)."""
    settings = _settings(api_url=api_url, rate_limit=rate_limit)
    balance = _client(settings).credits()
    if _state().as_json:
        _emit_json({"credits": balance})
    else:
        _out(f"{balance} credits left.")


@cli.command()
@click.option("--min-da", type=int, default=None, metavar="N", help="Only sites with DA of at least N.")
@click.option("--max-spam", type=int, default=None, metavar="N", help="Only sites with a spam score of at most N.")
@click.option("--all", "include_disabled", is_flag=True, help="Include disabled sites.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of a table.")
@api_options
@output_options
def sites(
    min_da: int | None, max_spam: int | None, include_disabled: bool, as_csv: bool,
    api_url: str | None, rate_limit: int | None,
) -> None:
    """List the target sites you can publish on (enabled ones unless --all)."""
    if as_csv and _state().as_json:
        raise ConfigError("--csv and --json cannot be combined; choose one of them.")
    settings = _settings(api_url=api_url, rate_limit=rate_limit)
    catalogue = _client(settings).sites()
    chosen = render.filter_sites(catalogue, min_da=min_da, max_spam=max_spam, include_disabled=include_disabled)
    if _state().as_json:
        _emit_json({"count": len(chosen), "sites": [render.site_dict(s) for s in chosen]})
    elif as_csv:
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(render.SITE_CSV_HEADER)
        for site in chosen:
            writer.writerow([render.site_dict(site)[k] for k in render.SITE_CSV_HEADER])
        click.echo(buffer.getvalue(), nl=False)
    else:
        _show(render.sites_table(chosen, title=f"{len(chosen)} of {len(catalogue.sites)} sites"))


# --- sheet commands -----------------------------------------------------------------------


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
        _show(render.plan_table(plan.to_dict(), title="About to submit"), err=True)
        _show(render.pairs_table(render.plan_summary(plan.to_dict())), err=True)
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
        # The bar starts with the first step, after any confirmation: a live display would
        # capture the prompt and read its "[y/N]" as markup.
        if not bars.live.is_started:
            bars.start()
        stage, done, total = str(event.stage), int(event.done), int(event.total)
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


def open_sheet(
    sheet: str, worksheet: str | None, credentials: str | None, env: Mapping[str, str], force: bool = False
) -> Table:
    """The default way to open SHEET (an .xlsx path or a Google Sheets URL/key)."""
    from .tables import open_table

    return open_table(sheet, worksheet, credentials=credentials, force=force, env=env)


def _open(sheet: str, settings: Settings) -> Table:
    runtime = _runtime()
    table: Table = runtime.open_sheet(
        sheet, settings.worksheet, settings.credentials, runtime.env, _state().force
    )
    return table


def _journal(settings: Settings) -> Journal | None:
    if not settings.state_dir:
        return None  # the workflow's default: the user's data folder
    from .journal import Journal

    folder = Path(settings.state_dir).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    return Journal(folder / "journal.sqlite3")


def _run(
    sheet: str,
    mode: str,
    settings: Settings,
    *,
    client: Any,
    sandbox: bool = False,
    write: bool = True,
    confirm: Callable[[Any], bool] | None = None,
) -> Any:
    """Open the sheet, run one workflow mode and return its report."""
    from .workflow import Options, run

    options = Options(
        sandbox=sandbox,
        max_credits=settings.max_credits,
        write=write,
        batch_size=settings.batch_size,
        lock_folder=Path(settings.state_dir).expanduser() if settings.state_dir else None,
    )
    journal = _journal(settings)
    show_progress = mode in ("sync", "push", "pull") and not _state().as_json and _runtime().stderr_is_terminal()
    try:
        with _open(sheet, settings) as table, _progress_reporter(show_progress, settings.rate_limit) as progress:
            return run(table, client, options, mode=mode, journal=journal, confirm=confirm, progress=progress)
    finally:
        if journal is not None:
            journal.close()


def _summary(report: Any) -> str:
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
    return "Rows: " + ", ".join(parts) + tail + "."


def _print_report(report: Any, *, title: str) -> None:
    _show(render.rows_table(report.rows, title=title))
    _out(_summary(report))
    for note in getattr(report, "notes", ()) or ():
        _out(f"Note: {note}")


def _finish(reports: list[Any], *, title: str, spending: _Spending | None = None) -> None:
    """Print (or emit as JSON) the run's result and exit with its code."""
    report = reports[-1]
    code = int(report.exit_code)
    refused = spending is not None and spending.refused_cost is not None
    if refused and spending is not None and not spending.interactive:
        code = int(ExitCode.USAGE)
    if _state().as_json:
        document = dict(render.jsonable(report.to_dict()))
        document["exit_code"] = code
        if len(reports) > 1:
            document["runs"] = len(reports)
        if refused and spending is not None:
            document["refused_to_spend"] = spending.refused_cost
        _emit_json(document)
    else:
        _print_report(report, title=title)
    if refused and spending is not None:
        if spending.interactive:
            _err("Nothing was spent; run the command again and answer y to submit.")
        else:
            _err(
                f"Error: submitting would spend {spending.refused_cost} credit(s) and there is no terminal "
                "to confirm it; nothing was spent"
                + (" (statuses were still refreshed)" if report.mode in ("sync", "pull") else "")
                + ". Rerun with --yes to allow spending (cap it with --max-credits N)."
            )
    click.get_current_context().exit(code)


@cli.command()
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
    settings = _settings(api_url=api_url, rate_limit=rate_limit, worksheet=worksheet, credentials=credentials)
    client = None if offline or not settings.api_token else _client(settings)
    report = _run(sheet, "validate", settings, client=client, write=not no_write)
    if client is None and not _state().as_json:
        _err("Note: site ids were not checked against the catalogue (no token, or --offline).")
    _finish([report], title="Validation")


@cli.command()
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
    settings = _settings(
        api_url=api_url, rate_limit=rate_limit, worksheet=worksheet, credentials=credentials,
        max_credits=max_credits,
    )
    report = _run(sheet, "plan", settings, client=_client(settings), sandbox=sandbox, write=False)
    plan_dict = render.jsonable(report.plan.to_dict()) if report.plan is not None else {}
    if _state().as_json:
        document = dict(render.jsonable(report.to_dict()))
        document["exit_code"] = int(report.exit_code)
        _emit_json(document)
    else:
        _show(render.plan_table(plan_dict, title="Plan (nothing written, nothing spent)"))
        _show(render.pairs_table(render.plan_summary(plan_dict)))
    click.get_current_context().exit(int(report.exit_code))


def _spending_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--yes", "-y", is_flag=True, help="Spend without asking (needed without a terminal).")(f)
    f = click.option("--max-credits", type=int, default=None, metavar="N",
                     help="Spend at most N credits in this run [env SHEETSYNC_MAX_CREDITS].")(f)
    return click.option("--sandbox", is_flag=True,
                        help="Submit sandbox tasks: free, no live placements (try this first).")(f)


def _pending(report: Any) -> int:
    from .demo import unfinished

    return len(unfinished(report))


@cli.command()
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
    settings = _settings(
        api_url=api_url, rate_limit=rate_limit, worksheet=worksheet, credentials=credentials,
        max_credits=max_credits,
    )
    client = _client(settings)
    spending = _Spending(yes=yes, interactive=_runtime().interactive())
    reports = [_run(sheet, "sync", settings, client=client, sandbox=sandbox, confirm=spending)]
    while watch and _pending(reports[-1]):
        if not _state().as_json:
            _err(f"{_pending(reports[-1])} row(s) still in progress; checking again in {interval:g} s (Ctrl-C stops).")
        _runtime().sleep(interval)
        reports.append(_run(sheet, "pull", settings, client=client, sandbox=sandbox))
    _finish(reports, title="Sync", spending=spending)


@cli.command()
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
    settings = _settings(
        api_url=api_url, rate_limit=rate_limit, worksheet=worksheet, credentials=credentials,
        max_credits=max_credits,
    )
    spending = _Spending(yes=yes, interactive=_runtime().interactive())
    report = _run(sheet, "push", settings, client=_client(settings), sandbox=sandbox, confirm=spending)
    _finish([report], title="Push", spending=spending)


@cli.command()
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
    settings = _settings(api_url=api_url, rate_limit=rate_limit, worksheet=worksheet, credentials=credentials)
    report = _run(sheet, "pull", settings, client=_client(settings), sandbox=sandbox)
    _finish([report], title="Pull")


# --- demo ---------------------------------------------------------------------------------


def _demo_step(kind: str, value: Any) -> None:
    """Live output of the demo, one step at a time (quiet with --json)."""
    if _state().as_json:
        return
    if kind == "start":
        _out(f"Emulator serving BacklinkBase at {value} (token: demo-token, fake credits).")
    elif kind == "health":
        _out(render.health_line(value, "the emulator"))
    elif kind == "credits":
        _out(f"Balance: {value} credits.")
    elif kind == "sites":
        chosen = render.filter_sites(value)
        _show(render.sites_table(chosen[:12], title=f"Site catalogue (top 12 of {len(chosen)} enabled, by DA)"))
    elif kind == "phase":
        if value == "sandbox":
            _out("Sandbox rehearsal: every ready row sent as a free sandbox task, followed to the end.")
        else:
            _out("Live run: the same rows for real, against the emulator's fake credits.")
    elif kind == "rehearsal":
        rows, balance = value
        done = [r for r in rows if r["status"] in ("Published", "Failed")]
        _out(f"Sandbox rehearsal finished: {len(done)} row(s) done, balance still {balance} credits.")
        shown = next((r for r in done if r["result_urls"]), None)
        if shown:
            url = shown["result_urls"].splitlines()[0]
            _out(f"  e.g. row {shown['row']}: {shown['status']}, {shown['progress']}, {url}")
    elif kind == "report":
        from .demo import followed, unfinished

        value, now = value
        total = len(followed(value))
        finished = total - len(unfinished(value))
        spent = getattr(value, "spent", 0) or 0
        _out(
            f"  {now:%a %d %b %H:%M} (emulated): {finished}/{total} submitted rows finished"
            + (f"; {spent} credit(s) spent" if spent else "")
        )


@cli.command()
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="PATH",
              help="Working copy of the demo sheet [default: demo-output/demo.xlsx].")
@click.option("--speed", type=float, default=None, metavar="X",
              help="How much faster than real time the emulator runs [default: 20000].")
@output_options
def demo(output: Path | None, speed: float | None) -> None:
    """Run the whole loop on a copy of the demo sheet against a built-in emulator.

    Needs no token and spends only the emulator's fake credits.

    \b
    Example: sheetsync demo --output /tmp/demo.xlsx
    """
    from . import demo as demo_module

    result = demo_module.run_demo(
        output or demo_module.DEFAULT_OUTPUT,
        speed=speed or demo_module.DEFAULT_SPEED,
        say=_demo_step,
        sleep=_runtime().sleep,
        base_clock=_runtime().clock,
    )
    final = result.final
    # The demo sheet holds deliberate mistakes, so its report always has rows needing
    # attention; the demo itself succeeded when every placement finished.
    code = int(ExitCode.OK if result.finished else ExitCode.ATTENTION)
    if _state().as_json:
        document = dict(render.jsonable(final.to_dict())) if final is not None else {}
        document.update(
            output=str(result.output), api_url=result.api_url, credits_before=result.credits_before,
            credits_after=result.credits_after, polls=result.polls, finished=result.finished,
            seconds=round(result.seconds, 2), sheet=result.sheet_rows, exit_code=code,
        )
        _emit_json(document)
    else:
        _show(render.sheet_rows_table(result.sheet_rows, title=f"{result.output} after the demo"))
        _out(
            f"Done in {result.seconds:.1f} s: {result.credits_before - result.credits_after} fake credit(s) "
            f"spent, {result.polls} refresh(es). Open {result.output} to see what was written."
        )
        if not result.finished:
            _err("Some placements had not finished yet; run the demo with a higher --speed.")
    click.get_current_context().exit(code)


# --- emulator -------------------------------------------------------------------------------


@cli.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8787, show_default=True, help="Port (0: any free port).")
@click.option("--db", default=":memory:", show_default=True, metavar="PATH",
              help="SQLite file that keeps accounts and tasks across restarts.")
@click.option("--token", default="demo-token", show_default=True, help="The local account's (fake) API token.")
@click.option("--credits", "credit_count", type=click.IntRange(min=0), default=100, show_default=True,
              help="Credits of a new account (a saved account keeps its balance).")
@click.option("--speed", type=float, default=1.0, show_default=True, help="How many times faster than real time placements progress.")
@click.option("--rate-limit", type=click.IntRange(min=0), default=60, show_default=True,
              help="Requests per minute per token (0: unlimited).")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed for task ids, schedules and outcomes.")
def emulator_command(
    host: str, port: int, db: str, token: str, credit_count: int, speed: float, rate_limit: int, seed: int
) -> None:
    """Serve a local BacklinkBase emulator until Ctrl-C."""
    from .emulator.standalone import StandaloneOptions, serve_until_stopped

    options = StandaloneOptions(host, port, db, token, credit_count, speed, rate_limit, seed)

    def ready(server: Any, emu: Any) -> None:
        # A local fake token, printed so people can paste it into their settings.
        click.echo(f"BacklinkBase emulator serving {server.base_url}", nl=True)
        click.echo(f"token: {token}  credits: {emu.credits(token)}  speed: {speed}x  db: {db}")
        click.echo(f"export BACKLINKBASE_API_URL={server.base_url} BACKLINKBASE_API_TOKEN={token}")
        click.echo("Press Ctrl-C to stop.")
        sys.stdout.flush()

    try:
        serve_until_stopped(options, ready)
    except KeyboardInterrupt:
        click.echo("Emulator stopped.")


def main() -> None:
    """The `sheetsync` console script."""
    cli(obj=Runtime())
