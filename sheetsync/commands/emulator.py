"""The emulator command: serve a local BacklinkBase until Ctrl-C."""

from __future__ import annotations

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
              help="Credits of a new account (a saved account keeps its balance).")
@click.option("--speed", type=float, default=1.0, show_default=True, help="How many times faster than real time placements progress.")
@click.option("--rate-limit", type=click.IntRange(min=0), default=60, show_default=True,
              help="Requests per minute per token (0: unlimited).")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed for task ids, schedules and outcomes.")
def emulator_command(
    host: str, port: int, db: str, token: str, credit_count: int, speed: float, rate_limit: int, seed: int
) -> None:
    """Serve a local BacklinkBase emulator until Ctrl-C."""
    from ..emulator.standalone import StandaloneOptions, serve_until_stopped

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
