"""What every command shares: the runtime seam, output through redaction, the one error
boundary, and the common options.

Errors are handled at one boundary (`Group.invoke`): a `SheetsyncError` becomes one line on
stderr and its exit code; `--debug` prints the (redacted) traceback instead. Everything a command
prints passes through `redact` with the token known to this run, as a last line of defence.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from .. import render
from ..config import Settings, load_settings
from ..errors import ExitCode, SheetsyncError
from ..redact import redact

if TYPE_CHECKING:  # imported lazily below so `sheetsync --help` stays fast
    from ..client import Client
    from ..tables import Table

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
    #: (service config, env) -> the service's `World`; None = the real one (`service.loop.default_world`).
    service_world: Callable[[Any, Mapping[str, str]], Any] | None = None


@dataclass
class RunState:
    """Per-invocation flags and secrets, kept in the click context's meta."""

    as_json: bool = False
    debug: bool = False
    force: bool = False  # open an .xlsx even when an Excel/LibreOffice lock file is beside it
    secrets: list[str] = field(default_factory=list)


def run_state(ctx: click.Context | None = None) -> RunState:
    ctx = ctx or click.get_current_context()
    state: RunState = ctx.meta.setdefault(_META, RunState())
    return state


def current_runtime(ctx: click.Context | None = None) -> Runtime:
    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    if not isinstance(root.obj, Runtime):
        root.obj = Runtime()
    return root.obj


def clean(text: str) -> str:
    state = run_state()
    env_token = current_runtime().env.get("BACKLINKBASE_API_TOKEN", "")
    return redact(text, env_token, *state.secrets)


def echo(text: str = "") -> None:
    click.echo(clean(text))


def echo_err(text: str) -> None:
    click.echo(clean(text), err=True)


def show(renderable: Any, *, err: bool = False) -> None:
    """Print a rich renderable (tables) as text, through the same redaction as everything else."""
    stream = sys.stderr if err else sys.stdout
    width = shutil.get_terminal_size().columns if stream.isatty() else 120
    console = Console(
        file=None, width=width, record=True, force_terminal=False, no_color=True, soft_wrap=False,
        stderr=err,
    )
    with console.capture() as capture:
        console.print(renderable)
    click.echo(clean(capture.get()).rstrip("\n"), err=err)


def emit_json(document: Mapping[str, Any]) -> None:
    click.echo(clean(render.dumps(document)))


class Group(click.Group):
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
        state = run_state(ctx)
        if state.debug:
            # The traceback, but through the same redaction as every other line we print.
            click.echo(clean("".join(traceback.format_exception(exc))).rstrip("\n"), err=True)
            ctx.exit(int(code))
        line = clean(" ".join(str(message).split()))
        if state.as_json:
            emit_json({"ok": False, "error": line, "error_type": type(exc).__name__, "exit_code": int(code)})
        click.echo(f"Error: {line}", err=True)
        ctx.exit(int(code))


# --- shared options -----------------------------------------------------------------------


def _set_flag(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        if value:
            setattr(run_state(ctx), name, True)
        return value

    return callback


class _RedactingHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Log lines on stderr for --debug, with this run's token masked like everything else."""

    def __init__(self, state: RunState, env: Mapping[str, str]):
        super().__init__(sys.stderr)  # read now: a test runner swaps sys.stderr per invocation
        self.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
        self._state, self._env = state, env

    def format(self, record: logging.LogRecord) -> str:
        token = self._env.get("BACKLINKBASE_API_TOKEN", "")
        return redact(super().format(record), token, *self._state.secrets)


def _debug(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    """--debug: tracebacks instead of one-line errors, and the library's log lines on stderr."""
    if value:
        state = run_state(ctx)
        state.debug = True
        handler = _RedactingHandler(state, current_runtime(ctx).env)
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
    run_state(ctx).force = value


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


def settings_for(**flags: Any) -> Settings:
    runtime = current_runtime()
    settings = load_settings(flags, env=runtime.env, folder=runtime.folder)
    if settings.api_token:
        run_state().secrets.append(settings.api_token)
    return settings


def api_client(settings: Settings) -> Client:
    from ..badtokens import BadTokenMemo
    from ..client import Client
    from ..journal import default_folder

    folder = Path(settings.state_dir).expanduser() if settings.state_dir else default_folder()
    return Client(
        settings.require_token(),
        settings.api_url,
        rate_limit=settings.rate_limit,
        timeout=(5.0, settings.timeout),
        sleep=current_runtime().sleep,
        bad_tokens=BadTokenMemo(folder / "bad-tokens.json"),
    )


def open_sheet(
    sheet: str, worksheet: str | None, credentials: str | None, env: Mapping[str, str], force: bool = False
) -> Table:
    """The default way to open SHEET (an .xlsx path or a Google Sheets URL/key)."""
    from ..tables import open_table

    return open_table(sheet, worksheet, credentials=credentials, force=force, env=env)

