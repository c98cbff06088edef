"""sheetsync: a spreadsheet as a BacklinkBase link-building queue."""

__version__ = "0.1.0"
#: The name on the package index ("sheetsync" there is an unrelated project).
DISTRIBUTION = "backlinkbase-sheetsync"
