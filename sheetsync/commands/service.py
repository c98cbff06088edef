"""Service commands: serve (the long-running side) and status."""

from __future__ import annotations

import datetime as dt

import click

from .base import current_runtime, echo, echo_err, emit_json, output_options, run_state, show


def _load(config_path: str):  # type: ignore[no-untyped-def]
    from ..service.config import load_config

    config = load_config(config_path)
    env = current_runtime().env
    for acc in config.accounts.values():
        token = env.get(acc.token_env, "")
        if token:
            run_state().secrets.append(token)
    return config


def _table(headers: list[str], rows: list[list[str]]):  # type: ignore[no-untyped-def]
    from rich.table import Table

    table = Table(*headers)
    for row in rows:
        table.add_row(*row)
    return table


@click.command()
@click.option("--config", "config_path", required=True, metavar="PATH", help="The service's TOML config.")
@click.option("--once", is_flag=True, help="Run one cycle and exit (for cron).")
@click.option("--http", "http", default=None, metavar="HOST:PORT",
              help="Serve a read-only status page and /healthz, e.g. 127.0.0.1:8788.")
@output_options
def serve(config_path: str, once: bool, http: str | None) -> None:
    """Sync every sheet of a config, cycle after cycle, until stopped (SIGTERM exits 0)."""
    from ..service.loop import Stopper, default_world, handle_signals
    from ..service.loop import serve as serve_loop

    config = _load(config_path)
    runtime = current_runtime()
    make_world = runtime.service_world or default_world
    world = make_world(config, runtime.env)
    stopper = Stopper()
    server = None
    if http:
        from ..service.web import StatusServer

        server = StatusServer(config, http, world.now)
        echo_err(f"Status page on http://{http.rpartition(':')[0] or '127.0.0.1'}:{server.port}/")
    as_json = run_state().as_json
    labels = {spec.id: spec.label for spec in config.sheets}

    def report(cycle) -> None:  # type: ignore[no-untyped-def]
        if as_json:
            emit_json({"started": cycle.started.isoformat(), "ran": cycle.ran, "problems": cycle.problems,
                       "results": [r.__dict__ for r in cycle.results], "stopped": cycle.stopped})  # fmt: skip
            return
        for r in cycle.results:
            what = f"{r.submitted} submitted, {r.spent} credit(s)" if r.ok else f"problem: {r.problem}"
            echo(f"{cycle.started:%Y-%m-%d %H:%M:%S} {labels.get(r.sheet, r.sheet)} ({r.reason}): {what}")
        for p in cycle.problems:
            echo_err(f"Problem: {p}")

    try:
        with handle_signals(stopper):
            serve_loop(config, world, once=once, stopper=stopper, on_cycle=report)
    finally:
        if server is not None:
            server.close()
        world.journal.close()


@click.command()
@click.option("--config", "config_path", required=True, metavar="PATH", help="The service's TOML config.")
@output_options
def status(config_path: str) -> None:
    """Print every sheet's and account's state once, from the service's state database."""
    from ..service.state import State
    from ..service.status import snapshot

    config = _load(config_path)
    state = State(config.state)
    try:
        doc = snapshot(config, state, dt.datetime.now(dt.timezone.utc))
    finally:
        state.close()
    if run_state().as_json:
        emit_json(doc)
        return
    sheets = [[s["label"], s["account"], s["last_run"] or "never", s["next_run"] or "-", str(s["pending"]),
               str(s["unfinished"]), s["problem"]] for s in doc["sheets"]]  # fmt: skip
    show(_table(["sheet", "account", "last run", "next run", "pending", "unfinished", "problem"], sheets))
    accounts = [[a["account"], "?" if a["credits"] is None else str(a["credits"]),
                 f"{a['spent']}" + (f" of {a['monthly_budget']}" if a["monthly_budget"] is not None else ""),
                 ", ".join(f"{c}: {n}" for c, n in a["spent_by_client"].items()), a["problem"]]
                for a in doc["accounts"]]  # fmt: skip
    show(_table(["account", "credits", f"spent {doc['accounts'][0]['month']}", "by client", "problem"], accounts))
    echo(f"Last cycle: {doc['last_cycle'] or 'never'}; {'healthy' if doc['ok'] else 'late'}.")
