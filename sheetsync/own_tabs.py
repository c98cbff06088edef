"""The tabs sheetsync owns besides the articles: refused when a person's tab has the name.

sheetsync replaces the whole content of its Placements tab on every refresh, and keeps the
sheet lease in a tab of its own (`lease.py`). A tab by either name that a person made (any
case) would be wiped, so a run stops before anything is sent or written, as it does for a
person's own column under one of sheetsync's headers.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import columns as C
from .errors import TableError
from .tables.base import Grid, Table, header_key

#: Where the sheet lease lives (see lease.py).
LEASE_TAB = "sheetsync lease"
LEASE_HEADER = ("holder", "machine", "pid", "expires", "about")


def is_own(header: Sequence[str], own: Sequence[str]) -> bool:
    """Whether a tab whose first row is `header` is sheetsync's: blank, or `own` (or its start,
    as an older version wrote it)."""
    got = [header_key(h) for h in header]
    want = [header_key(h) for h in own]
    if not got:
        return True
    return len(got) >= min(2, len(want)) and got == want[: len(got)]


def check_tabs(table: Table, grid: Grid, *, placements_known: bool = False) -> None:
    """Raise TableError when sheetsync's tabs collide with the articles tab or a person's tab.

    `placements_known`: this machine wrote the Placements tab before (the journal says so), so
    looking at it again, one more request on Google, can be saved.
    """
    for name in (C.PLACEMENTS_TAB, LEASE_TAB):
        if grid.title and grid.title.casefold() == name.casefold():
            raise TableError(
                f"The articles tab is named {grid.title!r}, which is the name of a tab sheetsync "
                "writes itself, so its contents would replace the articles; rename the articles "
                "tab (e.g. to 'Articles'), pass the new name with --worksheet, and run again."
            )
    if placements_known:
        return
    try:
        header = table.tab_header(C.PLACEMENTS_TAB)
    except NotImplementedError:
        return
    if header is not None and not any(
        is_own(header, own) for own in (C.PLACEMENT_COLUMNS, C.OLD_PLACEMENT_COLUMNS)
    ):
        raise TableError(own_tab_message(C.PLACEMENTS_TAB, header, "one line per task and site"))


def own_tab_message(name: str, header: Sequence[str], what: str) -> str:
    """Why a person's tab called `name` stops the run, and what to do."""
    shown = ", ".join(repr(h) for h in list(header)[:4]) + (", ..." if len(header) > 4 else "")
    return (
        f"The tab {name!r} is not sheetsync's (its first row reads {shown}), and sheetsync "
        f"replaces the whole content of its own {name!r} tab with {what}; rename your tab "
        f"(e.g. to 'My {name.lower()}') so sheetsync can add its own, then run again."
    )
