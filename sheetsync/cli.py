"""Command line: parse options, call the library, render results. Nothing else lives here."""

from __future__ import annotations

import click

from . import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sheetsync")
def cli() -> None:
    """Turn a spreadsheet into a BacklinkBase link-building queue."""


def main() -> None:
    cli()
