"""Command line: parse options, call the library, render results. Nothing else lives here.

The commands live in `sheetsync/commands/` by group; this module assembles them into `cli` and
holds the console script. The error boundary and the shared options are in `commands/base.py`.
"""

from __future__ import annotations

import click

from . import DISTRIBUTION, __version__
from .commands import account, demo, emulator, layout, service, sheets
from .commands.base import Group, Runtime
from .verify import cli as verify_cli

__all__ = ["Runtime", "cli", "main"]


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sheetsync", message=f"%(prog)s %(version)s ({DISTRIBUTION})")
def cli() -> None:
    """Turn a spreadsheet into a BacklinkBase link-building queue.

    \b
    Exit codes: 0 done, 1 rows need attention, 2 usage or settings problem,
    3 BacklinkBase refused or could not be reached, 70 a bug (rerun with --debug),
    130 interrupted.
    """


for command in (
    account.health, account.credits, account.sites, layout.init,
    sheets.validate, sheets.plan, sheets.sync, sheets.push, sheets.pull,
    demo.demo, demo.template, emulator.emulator_command, service.serve, service.status,
):
    cli.add_command(command)
verify_cli.register(cli)

for command in cli.commands.values():
    # Click cuts the first sentence to fit the command list ("... credits per target...");
    # the whole sentence, wrapped, says more.
    if command.help and not command.short_help:
        command.short_help = command.help.split("\n\n", 1)[0].replace("\n", " ").strip()


def main() -> None:
    """The `sheetsync` console script."""
    cli(obj=Runtime())
