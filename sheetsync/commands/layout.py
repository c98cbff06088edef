"""`sheetsync init`: make a sheet ready for the people who fill it in."""

from __future__ import annotations

import click

from .base import echo, emit_json, output_options, run_state, settings_for, sheet_options
from .sheets import _open


@click.command()
@sheet_options
@output_options
def init(sheet: str, worksheet: str | None, credentials: str | None) -> None:
    """Set SHEET up for people: every column, header colours and notes, widths, a frozen
    header, a TRUE/FALSE choice for ready, status colours and a "How to fill this in" tab.

    Safe to run again: only what is missing is added, and people's cells, columns and
    formatting are left as they are.

    \b
    Example: sheetsync init articles.xlsx --worksheet Articles
    """
    settings = settings_for(worksheet=worksheet, credentials=credentials)
    with _open(sheet, settings) as table:
        result = table.set_up()
        name = table.display_name
    if run_state().as_json:
        emit_json({"sheet": name, "changed": result.changed, "added_columns": list(result.added),
                   "requests": result.requests, "notes": list(result.notes)})
        return
    for note in result.notes:
        echo(f"Note: {note}")
    if not result.changed:
        echo(f"{name} was already set up; nothing changed.")
        return
    added = f" Added the columns {', '.join(result.added)}." if result.added else ""
    echo(
        f"Set up {name}.{added} Fill in the columns with a blue header (one row per article, "
        f"see the 'How to fill this in' tab), tick ready, then run sheetsync sync {sheet}."
    )
