"""Account commands: health, credits, sites."""

from __future__ import annotations

import click

from .. import render
from ..errors import ConfigError, ExitCode
from .base import api_client, api_options, echo, emit_json, output_options, run_state, settings_for, show


@click.command()
@api_options
@output_options
def health(api_url: str | None, rate_limit: int | None) -> None:
    """Check that BacklinkBase answers."""
    settings = settings_for(api_url=api_url, rate_limit=rate_limit)
    result = api_client(settings).health()
    if run_state().as_json:
        emit_json(render.health_dict(result, settings.api_url))
    else:
        echo(render.health_line(result, settings.api_url))
    if not result.ok:
        click.get_current_context().exit(int(ExitCode.API))


@click.command()
@api_options
@output_options
def credits(api_url: str | None, rate_limit: int | None) -> None:
    """Show the account's remaining credits (one credit per target site)."""
    settings = settings_for(api_url=api_url, rate_limit=rate_limit)
    balance = api_client(settings).credits()
    if run_state().as_json:
        emit_json({"credits": balance})
    else:
        echo(f"{balance} credits left.")


@click.command()
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
    if as_csv and run_state().as_json:
        raise ConfigError("--csv and --json cannot be combined; choose one of them.")
    settings = settings_for(api_url=api_url, rate_limit=rate_limit)
    catalogue = api_client(settings).sites()
    chosen = render.filter_sites(catalogue, min_da=min_da, max_spam=max_spam, include_disabled=include_disabled)
    if run_state().as_json:
        emit_json({"count": len(chosen), "sites": [render.site_dict(s) for s in chosen]})
    elif as_csv:
        click.echo(render.sites_csv(chosen, settings.api_token or ""), nl=False)
    elif not chosen:
        echo(render.no_sites_line(catalogue, min_da=min_da, max_spam=max_spam, include_disabled=include_disabled))
    else:
        show(render.sites_table(chosen, title=f"{len(chosen)} of {len(catalogue.sites)} sites"))
