"""sheetsync: a spreadsheet as a BacklinkBase link-building queue."""

__version__ = "0.1.0"
