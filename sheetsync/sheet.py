"""From a raw `Grid` to typed article rows: find the columns by name, read each cell.

Columns are found by header text (case, spaces, `_` and trailing punctuation ignored, plus
the aliases people use), never by position. Unknown columns belong to the person and are
left alone. A cell that cannot be read becomes a `Problem` on its row, never an exception.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from . import columns as C
from .cells import (
    CellError,
    parse_date,
    parse_ready,
    parse_target_ids,
    parse_targets,
    parse_text,
    parse_urls,
    show,
)
from .errors import TableError
from .tables.base import CellValue, Grid, cell_text, column_letters, header_key

__all__ = [
    "ALIASES",
    "ArticleRow",
    "HeaderMap",
    "canonical_of",
    "Problem",
    "check_ownership",
    "column_letter",
    "map_header",
    "read_rows",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one row, in words the person who fills in the sheet understands."""

    row: int  # sheet row number (1-based, the header is row 1)
    column: str  # the column's header text as the person sees it
    message: str  # one plain sentence that says what to type instead
    #: Canonical column name the problem concerns (lets the rules skip a cell already reported).
    canonical: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"Row {self.row}, {self.column}: {self.message}"


@dataclass(frozen=True)
class ArticleRow:
    """One data row, read as the person meant it."""

    row: int
    key: str
    task_id: str
    mode: str
    ready: bool
    name: str
    title: str
    body: str
    urls: tuple[str, ...]
    target_ids: tuple[int, ...]
    schedule_from: dt.date | None
    schedule_till: dt.date | None
    anchor: str  # text of the anchor column (article_title) as read, for new-key writes
    owned: dict[str, str]  # current text of every owned output column, by canonical name
    problems: tuple[Problem, ...]  # problems found while reading its cells
    #: Sites typed by domain, not yet resolved to ids (the plan resolves them with the catalogue).
    target_domains: tuple[str, ...] = ()
    #: Header text per canonical column, so later problems name the column as the sheet does.
    headers: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    #: The `approved` tick (False without the column); only an approval gate reads it.
    approved: bool = field(default=False, kw_only=True)

    def column(self, canonical: str) -> str:
        """The header text the person sees for `canonical` (the canonical name when absent)."""
        return self.headers.get(canonical, canonical)


# Header spellings people use, written as `_lookup_key` produces them. The canonical name
# itself always matches; these are the extras.
ALIASES: dict[str, tuple[str, ...]] = {
    C.NAME: ("taskname", "campaign", "campaignname", "label"),
    C.ARTICLE_TITLE: ("title", "articletitle", "headline"),
    C.ARTICLE_BODY: ("body", "content", "article", "articletext", "text"),
    C.ARTICLE_URLS: ("urls", "links", "articleurls", "articlelinks", "url", "link"),
    C.TARGET_WEBSITE_IDS: (
        "sites",
        "siteids",
        "siteid",
        "targets",
        "targetids",
        "targetsites",
        "websites",
        "websiteids",
        "targetwebsites",
    ),
    C.SCHEDULE_FROM: ("from", "start", "startdate", "publishfrom", "notbefore"),
    C.SCHEDULE_TILL: (
        "till",
        "until",
        "end",
        "enddate",
        "deadline",
        "due",
        "scheduleuntil",
        "publishby",
    ),
    C.READY: ("send", "submit", "readytosend", "ok"),
    # Its own column: an approval gate (the service's `approve_above`) waits for this tick.
    C.APPROVED: ("approval", "approve", "approvedtosend"),
    C.ROW_KEY: ("key",),
    C.TASK_ID: ("task", "taskid"),
    C.MODE: (),
    C.STATUS: (),
    C.PROGRESS: (),
    C.RESULT_URLS: ("results", "resultlinks", "publishedurls", "backlinks"),
    C.LAST_SYNCED: ("synced", "lastsync", "lastsyncedat"),
    C.NOTES: ("note", "error", "errors", "problems"),
    C.LINK_HEALTH: ("linkcheck", "linkchecks"),
}

_CANONICAL_OF: dict[str, str] = {}
for _canonical, _aliases in ALIASES.items():
    for _alias in (header_key(_canonical), *_aliases):
        _CANONICAL_OF[_alias] = _canonical

# "Ready?", "Title*": punctuation around a header word carries no meaning, and neither does
# a hint in brackets ("Title (4-50 words)", "Sites [IDs]").
_HEADER_PUNCTUATION = "?!:*.#"
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")


def _lookup_key(text: str) -> str:
    return header_key(_BRACKETED.sub("", text)).strip(_HEADER_PUNCTUATION)


def canonical_of(text: str) -> str | None:
    """The canonical column a header text means (aliases included); None for a person's column."""
    return _CANONICAL_OF.get(_lookup_key(text)) if str(text).strip() else None


def column_letter(index: int) -> str:
    """0-based column index -> spreadsheet letters (0 -> A, 26 -> AA)."""
    return column_letters(index + 1)


@dataclass(frozen=True)
class HeaderMap:
    """Where each column we use sits, and what the sheet calls it."""

    index: dict[str, int]  # canonical name -> 0-based column index (only present columns)
    texts: dict[str, str]  # canonical name -> the sheet's own header text

    def has(self, canonical: str) -> bool:
        return canonical in self.index

    def text(self, canonical: str) -> str:
        """Header text to write to: the sheet's own when present, else the canonical name."""
        return self.texts.get(canonical, canonical)


def map_header(header: Sequence[object]) -> HeaderMap:
    """Find our columns in a header row; TableError for missing required or duplicate columns."""
    index: dict[str, int] = {}
    texts: dict[str, str] = {}
    for i, cell in enumerate(header):
        text = "" if cell is None else str(cell).strip()
        canonical = _CANONICAL_OF.get(_lookup_key(text)) if text else None
        if canonical is None:
            continue  # blank or unknown: the person's column, not ours
        if canonical in index:
            first = index[canonical]
            raise TableError(
                f"Columns {column_letter(first)} ({texts[canonical]!r}) and {column_letter(i)} "
                f"({text!r}) both mean {canonical}; rename or delete one of them."
            )
        index[canonical] = i
        texts[canonical] = text
    missing = [c for c in C.REQUIRED_COLUMNS if c not in index]
    if missing:
        found = [str(h).strip() for h in header if h is not None and str(h).strip()]
        listed = ", ".join(repr(h) for h in found[:20]) + (", …" if len(found) > 20 else "")
        names = ", ".join(missing)
        raise TableError(
            f"The header row has no {names} column{'s' if len(missing) > 1 else ''} "
            f"(headers found: {listed or 'none'}); add {'them' if len(missing) > 1 else 'it'} "
            "to row 1 of the sheet."
        )
    return HeaderMap(index=index, texts=texts)


def _is_blank(value: CellValue) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        # Zero-width and non-breaking spaces pasted from the web do not make a row.
        return not parse_text(value)
    return False


class _RowReader:
    """Reads one grid row's cells, collecting a Problem for every cell that cannot be read."""

    def __init__(self, number: int, cells: Sequence[CellValue], hm: HeaderMap):
        self.number = number
        self.cells = cells
        self.hm = hm
        self.problems: list[Problem] = []

    def raw(self, canonical: str) -> CellValue:
        i = self.hm.index.get(canonical)
        if i is None or i >= len(self.cells):
            return None
        return self.cells[i]

    def read(self, canonical: str, parse: Callable[[CellValue], T], default: T) -> T:
        if not self.hm.has(canonical):
            return default
        try:
            return parse(self.raw(canonical))
        except CellError as error:
            self.add(canonical, error.message)
            return default

    def add(self, canonical: str, message: str) -> None:
        self.problems.append(Problem(self.number, self.hm.text(canonical), message, canonical))


def _anchor_text(value: CellValue) -> str:
    """The title cell as the backends re-read it before writing (`cell_text`), so they compare."""
    try:
        return cell_text(value)
    except ValueError:
        return ""  # a number too long to print: no re-read could match it either


def _read_row(number: int, cells: Sequence[CellValue], hm: HeaderMap) -> ArticleRow:
    r = _RowReader(number, cells, hm)
    owned = {c: r.read(c, parse_text, "") for c in C.OWNED_COLUMNS}
    key = owned[C.ROW_KEY]
    if len(key.split()) > 1:
        # The key travels as the last word of the task name; a key with spaces cannot.
        r.add(
            C.ROW_KEY,
            f"The row key {show(key)} has been edited; "
            "clear the cell and sheetsync will assign a new key.",
        )
    return ArticleRow(
        row=number,
        key=key,
        task_id=owned[C.TASK_ID],
        mode=owned[C.MODE],
        ready=r.read(C.READY, parse_ready, False) if hm.has(C.READY) else True,
        name=r.read(C.NAME, parse_text, ""),
        title=r.read(C.ARTICLE_TITLE, parse_text, ""),
        body=r.read(C.ARTICLE_BODY, lambda v: parse_text(v, multiline=True), ""),
        urls=r.read(C.ARTICLE_URLS, parse_urls, ()),
        # Read in column order, so that problems are listed as the row reads.
        target_ids=(targets := r.read(C.TARGET_WEBSITE_IDS, parse_targets, ((), ())))[0],
        target_domains=targets[1],
        schedule_from=r.read(C.SCHEDULE_FROM, parse_date, None),
        schedule_till=r.read(C.SCHEDULE_TILL, parse_date, None),
        anchor=_anchor_text(r.raw(C.ARTICLE_TITLE)),
        owned=owned,
        problems=tuple(r.problems),
        headers={c: hm.text(c) for c in (*C.INPUT_COLUMNS, C.APPROVED, *C.OWNED_COLUMNS)},
        approved=r.read(C.APPROVED, parse_ready, False) if hm.has(C.APPROVED) else False,
    )


# Owned columns whose names people also use for their own work ("Status", "Notes", ...).
_CLAIMED = (C.MODE, C.STATUS, C.PROGRESS, C.RESULT_URLS, C.LAST_SYNCED, C.NOTES, C.LINK_HEALTH)


def check_ownership(grid: Grid, hm: HeaderMap) -> None:
    """Refuse to take over a column that already holds a person's own text.

    Before the first sync (no row_key column yet) nothing in an owned column can have come
    from sheetsync, so a filled "Status" or "Notes" column is the person's, and overwriting
    or clearing it would lose their work.
    """
    if hm.has(C.ROW_KEY):
        return
    for canonical in _CLAIMED:
        i = hm.index.get(canonical)
        if i is None:
            continue
        for n, cells in enumerate(grid.rows):
            text = cell_text(cells[i]) if i < len(cells) else ""
            if text.strip():
                header = hm.texts[canonical]
                sample = text.strip().splitlines()[0][:40]
                raise TableError(
                    f"Column {column_letter(i)} ({header!r}) already holds your own text (row "
                    f"{grid.row_number(n)}: {sample!r}), and sheetsync writes its {canonical} "
                    f"there; rename that column (e.g. 'My {header.lower()}') so sheetsync adds "
                    "its own, then run again."
                )


def read_rows(grid: Grid, hm: HeaderMap) -> list[ArticleRow]:
    """Every data row that has something in a column we use, with its sheet row number.

    Rows blank in all our columns are skipped (trailing rows, spacer rows, rows holding only
    the person's own notes). A row key that appears on two rows (a copied row) is reported
    on every row after the first, so the copy is not mistaken for the submitted original.
    """
    used = sorted(hm.index.values())
    rows: list[ArticleRow] = []
    first_row_of_key: dict[str, int] = {}
    for index, cells in enumerate(grid.rows):
        if all(_is_blank(cells[i]) for i in used if i < len(cells)):
            continue
        row = _read_row(Grid.row_number(index), cells, hm)
        if row.key:
            first = first_row_of_key.setdefault(row.key, row.row)
            if first != row.row:
                extra = Problem(
                    row.row,
                    hm.text(C.ROW_KEY),
                    f"Row {first} has the same row key {show(row.key)}, so this row looks copied; "
                    f"clear {hm.text(C.ROW_KEY)} and {hm.text(C.TASK_ID)} in this row "
                    "to send it as a new article.",
                    C.ROW_KEY,
                )
                row = _with_problem(row, extra)
        rows.append(row)
    return rows


def _with_problem(row: ArticleRow, problem: Problem) -> ArticleRow:
    return replace(row, problems=(*row.problems, problem))
