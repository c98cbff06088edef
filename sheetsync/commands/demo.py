"""Getting started: `demo` (the whole loop on a copy of the demo sheet against an in-process
emulator) and `template` (a blank workbook to fill in)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .. import render
from ..errors import ExitCode
from .base import current_runtime, echo, echo_err, emit_json, output_options, run_state, show


def demo_link_checks(folder: Any) -> Any:
    """The demo's link checks: the emulator is on loopback, its pages too."""
    from ..verify.cli import LinkChecks
    from ..verify.fetch import Policy

    return LinkChecks(folder / "journal.sqlite3", Policy(private="loopback"))


def link_check_lines(reports: list[Any]) -> list[str]:
    """What the first link checks found: a count per status, and each page that is not Live."""
    checks = [p for r in reports for p in r.to_dict().get("verify", {}).get("placements", [])]
    if not checks:
        return []
    latest = {(p["task_id"], p["site_id"]): p for p in checks}  # a miss is checked again
    checked = list(latest.values())
    counts: dict[str, int] = {}
    for p in checked:
        counts[p["link_status"]] = counts.get(p["link_status"], 0) + 1
    parts = ", ".join(f"{n} {s.lower()}" for s, n in sorted(counts.items()))
    lines = [f"Link checks of the {len(checked)} published placements ({len(checks)} page fetches): {parts}."]
    for p in checked:
        if p["link_status"] != "Live":
            lines.append(f"  row {p['row']}, site {p['site_id']}: {p['link_status']}: {p['note']}")
    lines.append("  The Placements tab has link_status, check_note and anchor_text; link_health sums up each row.")
    return lines


def _demo_step(kind: str, value: Any) -> None:
    """Live output of the demo, one step at a time (quiet with --json)."""
    if run_state().as_json:
        return
    if kind == "start":
        echo(f"Emulator serving BacklinkBase at {value} (token: demo-token, fake credits).")
    elif kind == "health":
        echo(render.health_line(value, "the emulator"))
    elif kind == "credits":
        echo(f"Balance: {value} credits.")
    elif kind == "sites":
        chosen = render.filter_sites(value)
        show(render.sites_table(chosen[:12], title=f"Site catalogue (top 12 of {len(chosen)} enabled, by DA)"))
    elif kind == "phase":
        if value == "sandbox":
            echo("Sandbox rehearsal: every ready row sent as a free sandbox task, followed to the end.")
        else:
            echo("Live run: the same rows for real, against the emulator's fake credits.")
    elif kind == "rehearsal":
        rows, balance = value
        from ..tables.layout import plain_status

        done = [r for r in rows if plain_status(r["status"]) in ("Published", "Failed")]
        echo(f"Sandbox rehearsal finished: {len(done)} row(s) done, balance still {balance} credits.")
        shown = next((r for r in done if r["result_urls"]), None)
        if shown:
            url = shown["result_urls"].splitlines()[0]
            echo(f"  e.g. row {shown['row']}: {shown['status']}, {shown['progress']}, {url}")
    elif kind == "report":
        from ..demo import followed, unfinished

        value, now = value
        total = len(followed(value))
        finished = total - len(unfinished(value))
        spent = getattr(value, "spent", 0) or 0
        echo(
            f"  {now:%a %d %b %H:%M} (emulated): {finished}/{total} submitted rows finished"
            + (f"; {spent} credit(s) spent" if spent else "")
        )


@click.command()
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
    from .. import demo as demo_module

    result = demo_module.run_demo(
        output or demo_module.DEFAULT_OUTPUT,
        speed=speed or demo_module.DEFAULT_SPEED,
        say=_demo_step,
        sleep=current_runtime().sleep,
        base_clock=current_runtime().clock,
        after_pull=demo_link_checks,
    )
    from ..totals import combine, totals

    # The demo sheet holds deliberate mistakes, so its report always has rows needing
    # attention; the demo itself succeeded when every placement finished.
    code = int(ExitCode.OK if result.finished else ExitCode.ATTENTION)
    if result.interrupted:
        code = int(ExitCode.INTERRUPTED)
    if run_state().as_json:
        document: dict[str, Any] = {}
        if result.reports:
            # Every run of the demo (rehearsal and live) counts, not only the last refresh.
            document = dict(render.jsonable(combine(result.reports).to_dict()))
            document["totals"] = totals(result.reports).to_dict()
            document["runs"] = len(result.reports)
        document.update(
            output=str(result.output), api_url=result.api_url, credits_before=result.credits_before,
            credits_after=result.credits_after, polls=result.polls, finished=result.finished,
            seconds=round(result.seconds, 2), sheet=result.sheet_rows, exit_code=code,
        )
        if result.interrupted:
            document["interrupted"] = True
        emit_json(document)
    else:
        show(render.sheet_rows_table(result.sheet_rows, title=f"{result.output} after the demo"))
        for line in link_check_lines(result.reports):
            echo(line)
        sums = totals(result.reports) if result.reports else None
        submitted = f", {sums.submitted} task(s) submitted" if sums else ""
        problems = f", {sums.problems} row(s) needing attention" if sums else ""
        echo(
            f"Done in {result.seconds:.1f} s: {result.credits_before - result.credits_after} fake credit(s) "
            f"spent{submitted}{problems}, {result.polls} refresh(es). Open {result.output} to see what "
            "was written."
        )
        if result.interrupted:
            echo_err("Interrupted; the summary above is what the demo did so far.")
        elif not result.finished:
            echo_err("Some placements had not finished yet; run the demo with a higher --speed.")
    click.get_current_context().exit(code)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH")
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@output_options
def template(path: Path, force: bool) -> None:
    """Write a blank, ready-to-fill workbook to PATH (an .xlsx file).

    Every column sheetsync reads and writes, a frozen header, a TRUE/FALSE choice for ready
    and a "How to fill this in" tab.

    \b
    Example: sheetsync template articles.xlsx
    """
    from ..samples import write_template

    written = write_template(path, overwrite=force)
    if run_state().as_json:
        emit_json({"template": str(written)})
    else:
        echo(
            f"Wrote {written}: fill in one row per article (the blue columns), then run "
            f"sheetsync validate {written}."
        )
