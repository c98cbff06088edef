"""How a sheet looks to the people who fill it: pure description, no backend.

Both renderers (`xlsx/layout.py`, `gsheets_layout.py`) turn what is here into their own
formatting, so the template, `sheetsync init` and the columns a sync adds look alike on either
backend, and the "How to fill this in" tab is written from the same words as the header notes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .. import columns as C
from .base import header_key

#: Header fills: what a person fills in, and what sheetsync writes.
INPUT_FILL = "DDEBF7"  # blue
OWNED_FILL = "E2EFDA"  # green
HEADER_FONT = "1F1F1F"
HOWTO_TAB = "How to fill this in"


@dataclass(frozen=True)
class ColumnLayout:
    """One column as people see it: width in characters, wrapped or not, and its header note."""

    name: str  # canonical name
    width: int
    wrap: bool
    note: str
    owned: bool = False
    center: bool = False
    boolean: bool = False  # TRUE/FALSE cells: shown as TRUE or FALSE, a checkbox on Google

    @property
    def pixels(self) -> int:
        """Google measures widths in pixels: about 7 per character plus padding."""
        return self.width * 7 + 10


_OWNED_NOTE = " sheetsync writes this column; do not type here."

COLUMNS: tuple[ColumnLayout, ...] = (
    ColumnLayout(C.NAME, 22, True, "Optional label for the task, at most 9 words. Empty: the title is used."),
    ColumnLayout(C.ARTICLE_TITLE, 40, True, "Required. The article's title, 4 to 50 words."),
    ColumnLayout(C.ARTICLE_BODY, 60, True, "Required. The article, at most 400 words; HTML such as <p> and <a href> is allowed."),
    ColumnLayout(C.ARTICLE_URLS, 38, True, "Required. 1 to 5 full URLs (https://...) the article links to, separated by commas or one per line."),
    ColumnLayout(
        C.TARGET_WEBSITE_IDS, 22, True,
        "Required. Sites to publish on: ids or domains from the Sites tab, separated by commas. One credit per site.",
    ),
    ColumnLayout(C.SCHEDULE_FROM, 14, False, "Optional date (2026-12-01) to publish from. Empty: today."),
    ColumnLayout(C.SCHEDULE_TILL, 14, False, "Optional last date to publish by, within one month from today. Empty: one day after the start."),
    ColumnLayout(C.READY, 8, False, "Tick (TRUE) when the row may be sent on the next sync. Empty or FALSE: not sent.", center=True, boolean=True),
    ColumnLayout(C.ROW_KEY, 14, False, "The row's identity (ss-...)." + _OWNED_NOTE + " Never copy it into another row.", owned=True),
    ColumnLayout(C.TASK_ID, 14, False, "The BacklinkBase task, once sent." + _OWNED_NOTE, owned=True),
    ColumnLayout(C.MODE, 9, False, "live, or sandbox for a free rehearsal." + _OWNED_NOTE, owned=True),
    ColumnLayout(
        C.STATUS, 20, False,
        "Queued, Publishing, Published, Failed or Cancelled; '(sandbox)' for rehearsals." + _OWNED_NOTE,
        owned=True,
    ),
    ColumnLayout(C.PROGRESS, 22, False, "Sites published so far, e.g. 2/3 published." + _OWNED_NOTE, owned=True),
    ColumnLayout(C.RESULT_URLS, 52, True, "The published pages, one per line; each is a link in the Placements tab." + _OWNED_NOTE, owned=True),
    ColumnLayout(C.LAST_SYNCED, 21, False, "When sheetsync last changed the row (UTC)." + _OWNED_NOTE, owned=True),
    ColumnLayout(C.NOTES, 60, True, "What is wrong with the row and what to do; cleared once fixed." + _OWNED_NOTE, owned=True),
    # Wrapped: "2 live, 1 nofollow, 1 lost since 2026-12-04" is longer than any width that suits the rest.
    ColumnLayout(C.LINK_HEALTH, 22, True, "Whether the published links are still live." + _OWNED_NOTE, owned=True),
)
BY_NAME = {c.name: c for c in COLUMNS}
_BY_KEY = {header_key(c.name): c for c in COLUMNS}


def column_for(header: str) -> ColumnLayout | None:
    """The layout of a column by its header text, aliases included; None for a person's column."""
    from ..sheet import canonical_of  # sheet imports tables.base: import late

    canonical = canonical_of(header)
    return BY_NAME.get(canonical) if canonical else _BY_KEY.get(header_key(header))


LINE_POINTS = 15.0  # one line of 11-point Calibri
MAX_ROW_POINTS = 409.0  # the tallest row Excel allows


def lines_needed(text: str, width: int) -> int:
    """Lines `text` takes in a wrapped column `width` characters wide."""
    usable = max(1, width - 1)
    return sum(max(1, -(-len(line) // usable)) for line in str(text).split("\n")) if text else 1


def row_points(cells: Sequence[tuple[ColumnLayout, str]]) -> float:
    """Height in points that shows every wrapped cell of a row in full (at least one line)."""
    lines = max([lines_needed(text, c.width) for c, text in cells if c.wrap] + [1])
    return min(MAX_ROW_POINTS, lines * LINE_POINTS + 2)


@dataclass(frozen=True)
class StatusRule:
    """A status colour: cells of the status column equal to (or, `contains`, holding) `text`."""

    text: str
    fill: str
    font: str
    contains: bool = False


SANDBOX_SUFFIX = " (sandbox)"
#: First match wins, so the sandbox rule comes first: "Published (sandbox)" is grey, not green.
STATUS_RULES: tuple[StatusRule, ...] = (
    StatusRule("(sandbox)", "E7E6E6", "595959", contains=True),
    StatusRule("Published", "C6EFCE", "006100"),
    StatusRule("Failed", "FFC7CE", "9C0006"),
    StatusRule("Lost", "FFC7CE", "9C0006"),
    StatusRule("Queued", "FFEB9C", "9C5700"),
    StatusRule("Publishing", "FFEB9C", "9C5700"),
)
#: A progress naming failed placements ("2/3 published, 1 failed") is red: the task itself
#: reads Published, and the row needs a person.
PROGRESS_RULES: tuple[StatusRule, ...] = (StatusRule("failed", "FFC7CE", "9C0006", contains=True),)
#: The owned columns coloured by what they say.
COLOUR_RULES: dict[str, tuple[StatusRule, ...]] = {C.STATUS: STATUS_RULES, C.PROGRESS: PROGRESS_RULES}


def status_text(status: str, sandbox: bool) -> str:
    """What the status cell shows: "Published", or "Published (sandbox)" for a rehearsal."""
    return f"{status}{SANDBOX_SUFFIX}" if sandbox and status else status


def plain_status(text: str) -> str:
    """The status word of a status cell: "Published (sandbox)" -> "Published"."""
    return text.removesuffix(SANDBOX_SUFFIX)


@dataclass(frozen=True)
class Placed:
    """A column of the sheet that has a layout: its 1-based position and header text."""

    col: int
    header: str
    layout: ColumnLayout


@dataclass(frozen=True)
class SetUp:
    """What `init` does to one articles tab, decided from its header alone."""

    columns: tuple[Placed, ...]  # every column with a layout, old and new
    added: tuple[Placed, ...]  # the input and owned columns init adds to the right

    def find(self, name: str) -> Placed | None:
        return next((p for p in self.columns if p.layout.name == name), None)


def plan_set_up(header: Sequence[str], width: int = 0) -> SetUp:
    """Pure: which columns the header has, and which init appends (after `width` at least).

    Missing input columns come first, then the owned ones, in the template's order; a
    person's own columns and their order are left as they are.
    """
    found: list[Placed] = []
    seen: set[str] = set()
    for i, text in enumerate(header, start=1):
        layout = column_for(text) if str(text).strip() else None
        if layout is not None and layout.name not in seen:
            seen.add(layout.name)
            found.append(Placed(i, str(text), layout))
    last = max([i for i, h in enumerate(header, start=1) if str(h).strip()] + [width, 0])
    added: list[Placed] = []
    for layout in COLUMNS:
        if layout.name in seen or layout.name in C.EXTRA_COLUMNS:
            continue  # link_health appears once the link checker has something to say
        last += 1
        added.append(Placed(last, layout.name, layout))
    return SetUp(columns=tuple(found + added), added=tuple(added))


def howto_lines() -> list[str]:
    """The "How to fill this in" tab, one line a row, from the same words as the header notes."""
    lines = [
        "How to fill this in",
        "One row per article. Fill in the columns with a blue header; sheetsync writes the ones "
        "with a green header (do not type there). Hover over a header to see what it wants.",
        "",
        "What you fill in:",
    ]
    for c in COLUMNS:
        if not c.owned:
            lines.append(f"{c.name}: {c.note}")
    lines += ["", "What sheetsync writes:"]
    for c in COLUMNS:
        if c.owned:
            lines.append(f"{c.name}: {c.note.replace(_OWNED_NOTE, '').strip()}")
    lines += [
        "",
        "Status colours: green = Published, red = Failed or Lost, amber = Queued or Publishing, "
        "grey = a sandbox rehearsal (free, never placed on a live site). A red progress means "
        "some sites failed: the notes cell says what to do.",
        "The Sites tab lists every site you can publish on, with its id; type the id or the "
        "domain into target_website_ids.",
        "The Summary tab shows the credits left, what each month cost, and how many rows are in "
        "each status.",
        "A problem is explained in the row's notes cell in plain words: fix the cell it names "
        "and sync again. Copying a row? Clear row_key, task_id and status in the copy.",
    ]
    return lines


#: Placements tab widths in characters (a column not named here: 14).
PLACEMENT_WIDTHS = {"article_title": 58, "task_id": 16, "site_id": 8, "site_url": 34, "status": 12,
                    "result_url": 52, "scheduled": 21, "completed": 21, "checked_at": 21, "live_since": 21,
                    "lost_since": 21, "check_note": 40, "anchor_text": 24}


def placement_widths(header: Sequence[str]) -> tuple[int, ...]:
    return tuple(PLACEMENT_WIDTHS.get(h, 14) for h in header)
