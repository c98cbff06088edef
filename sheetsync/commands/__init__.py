"""The command groups of the command line; `sheetsync/cli.py` assembles them into one `cli`."""
