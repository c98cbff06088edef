"""The emulator command: serve a local BacklinkBase until Ctrl-C."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import click


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8787, show_default=True, help="Port (0: any free port).")
@click.option("--db", default=":memory:", show_default=True, metavar="PATH",
              help="SQLite file that keeps accounts and tasks across restarts.")
@click.option("--token", default="demo-token", show_default=True, help="The local account's (fake) API token.")
@click.option("--credits", "credit_count", type=click.IntRange(min=0), default=100, show_default=True,
              help="Credits of a new account (a saved account keeps its balance; see --top-up).")
@click.option("--top-up", type=click.IntRange(min=0), default=0, metavar="N",
              help="Add N credits to the account, new or saved in --db.")
@click.option("--speed", type=float, default=1.0, show_default=True,
              help="How many times faster than real time placements progress (the calendar stays today's).")
@click.option("--rate-limit", type=click.IntRange(min=0), default=60, show_default=True,
              help="Requests per minute per token (0: unlimited).")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed for task ids, schedules and outcomes.")
@click.option("--quiet", "-q", is_flag=True, help="Do not log each request on stderr.")
@click.option("--page-latency", type=click.FloatRange(min=0), default=0.0, metavar="MS",
              help="Milliseconds each result page and robots.txt waits before answering.")
@click.option("--site-hosts", is_flag=True,
              help="Serve each site's pages on its own host name, <domain>.localhost.")
@click.pass_context
def emulator_command(
    ctx: click.Context, host: str, port: int, db: str, token: str, credit_count: int, top_up: int,
    speed: float, rate_limit: int, seed: int, quiet: bool, page_latency: float, site_hosts: bool,
) -> None:
    """Serve a local BacklinkBase emulator until Ctrl-C.

    Logs one line per request on stderr (method, endpoint, status, time; never the token)
    unless --quiet. Takes neither --json nor --debug: it is a server, not a report.

    \b
    Example: sheetsync emulator --speed 3600 --db emulator.sqlite
    """
    from ..emulator.standalone import StandaloneOptions, account_line, serve_until_stopped

    given = ctx.get_parameter_source("credit_count") is click.core.ParameterSource.COMMANDLINE
    options = StandaloneOptions(
        host, port, db, token, credit_count, speed, rate_limit, seed,
        top_up=top_up, credits_given=given, quiet=quiet, page_latency=page_latency / 1000,
        site_hosts=site_hosts,
    )

    def ready(server: Any, emu: Any, existed: bool) -> None:
        # A local fake token, printed so people can paste it into their settings.
        click.echo(f"BacklinkBase emulator serving {server.base_url}", nl=True)
        click.echo(f"token: {token}  {account_line(options, existed, emu.credits(token))}  db: {db}")
        click.echo(
            f"speed: {speed:g}x for placements; schedule dates are checked against today's date, "
            f"{emu.today():%Y-%m-%d} (UTC)."
        )
        click.echo(f"export BACKLINKBASE_API_URL={server.base_url} BACKLINKBASE_API_TOKEN={token}")
        click.echo("Press Ctrl-C to stop." + ("" if quiet else " Requests are logged on stderr (--quiet: not)."))
        sys.stdout.flush()

    def log(line: str) -> None:
        click.echo(f"{dt.datetime.now(dt.timezone.utc):%H:%M:%S} {line}", err=True)

    try:
        serve_until_stopped(options, ready, log=log)
    except KeyboardInterrupt:
        click.echo("Emulator stopped.")
