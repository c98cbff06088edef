"""`sheetsync verify`, and the link checks that `pull` and `sync` run after refreshing.

Glue only: settings in, a `Verifier` out; the work is in `monitor`, `fetch` and `classify`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from ..config import Settings
from ..errors import ConfigError
from ..hooks import PulledTask, PullExtras
from .fetch import Policy
from .history import History
from .monitor import Verifier
from .schedule import Schedule

#: Seconds a pull or sync may spend on link checks; the rest wait for the next run.
PULL_BUDGET = 20.0
VERIFY_BUDGET = 600.0


@dataclass
class LinkChecks:
    """A `hooks.PullStep` that opens the check history for each call and closes it after."""

    history_path: Path
    policy: Policy = Policy()
    schedule: Schedule = Schedule()
    budget: float | None = PULL_BUDGET
    check_all: bool = False
    overrides: Mapping[str, str] = field(default_factory=dict)

    def __call__(self, tasks: Sequence[PulledTask], now: dt.datetime) -> PullExtras:
        with History(self.history_path) as history:
            verifier = Verifier(
                history, self.policy, self.schedule, self.budget, self.check_all, self.overrides
            )
            return verifier(tasks, now)


def state_folder(settings: Settings) -> Path:
    """Where the journal lives; the check history shares its database."""
    if settings.state_dir:
        return Path(settings.state_dir).expanduser()
    from ..journal import default_folder

    return default_folder()


def private_addresses(api_url: str, allow_private: bool) -> str:
    """Which non-public addresses result URLs may resolve to (see `fetch.Policy.private`)."""
    if allow_private:
        return "all"
    host = (urlsplit(api_url).hostname or "").lower()
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost" or host.endswith(".localhost")
    return "loopback" if loopback else "none"


def link_checks(
    settings: Settings,
    env: Mapping[str, str],
    *,
    check_all: bool = False,
    allow_private: bool = False,
    budget: float | None = None,
    schedule: str | None = None,
    default_budget: float = PULL_BUDGET,
) -> LinkChecks:
    """The link-check step for a command, from its settings and `SHEETSYNC_CHECK_*` variables
    (SCHEDULE, BUDGET in seconds, PAUSE in seconds between two requests to one host)."""
    try:
        plan = Schedule.parse(schedule or env.get("SHEETSYNC_CHECK_SCHEDULE") or "2,7,30")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if budget is None:
        text = env.get("SHEETSYNC_CHECK_BUDGET", "")
        try:
            budget = float(text) if text.strip() else default_budget
        except ValueError:
            raise ConfigError(
                f"SHEETSYNC_CHECK_BUDGET={text!r} is not a number of seconds; set e.g. 20."
            ) from None
    pause_text = env.get("SHEETSYNC_CHECK_PAUSE", "")
    try:
        pause = float(pause_text) if pause_text.strip() else Policy().pause
    except ValueError:
        raise ConfigError(
            f"SHEETSYNC_CHECK_PAUSE={pause_text!r} is not a number of seconds; set e.g. 0.5."
        ) from None
    policy = Policy(pause=max(0.0, pause), private=private_addresses(settings.api_url, allow_private))
    folder = state_folder(settings)
    return LinkChecks(folder / "journal.sqlite3", policy, plan, budget or None, check_all)


def register(group: click.Group) -> None:
    """Add `verify` to the command group (called from `sheetsync.cli`)."""
    from ..commands import sheets
    from ..commands.base import api_options, output_options, sheet_options

    @group.command("verify")
    @sheet_options
    @click.option("--all", "check_all", is_flag=True, help="Check every published placement now, due or not.")
    @click.option("--allow-private", is_flag=True,
                  help="Also check result URLs on loopback, private or link-local addresses.")
    @click.option("--budget", type=click.FloatRange(min=1.0), default=None, metavar="S",
                  help=f"Stop starting checks after S seconds [default: {VERIFY_BUDGET:g}].")
    @click.option("--schedule", default=None, metavar="DAYS",
                  help="Days after the first check to check again, then every 30 days (DAYS/N: "
                       "every N) [default: 2,7,30; env SHEETSYNC_CHECK_SCHEDULE].")
    @api_options
    @output_options
    def verify(
        sheet: str, worksheet: str | None, credentials: str | None, check_all: bool,
        allow_private: bool, budget: float | None, schedule: str | None,
        api_url: str | None, rate_limit: int | None,
    ) -> None:
        """Check that published placements link to the article: due checks, or --all.

        Refreshes the statuses first (one BacklinkBase request when nothing changed), then
        fetches the result pages and writes link_status, check_note and friends to the
        Placements tab and a summary to link_health. Exit 1 when a placement is newly lost
        or has a problem (nofollow, noindex, robots.txt, canonical elsewhere).

        \b
        Examples: sheetsync verify articles.xlsx
                  sheetsync verify articles.xlsx --all --json
        """
        from ..commands.base import api_client, current_runtime, settings_for

        settings = settings_for(api_url=api_url, rate_limit=rate_limit, worksheet=worksheet, credentials=credentials)
        step = link_checks(
            settings, current_runtime().env, check_all=check_all, allow_private=allow_private,
            budget=budget, schedule=schedule, default_budget=VERIFY_BUDGET,
        )  # fmt: skip
        report = sheets.run_sheet(sheet, "pull", settings, client=api_client(settings), after_pull=step)
        sheets.finish([report], title="Verify")

    _ = verify
