"""Local validation of one article row, mirroring BacklinkBase's field rules and catalogue.

Catching a problem here costs nothing; catching it at the API costs a request and, for
catalogue problems, a confusing error. Each problem is one plain sentence naming the field
and what to type instead, ready to be written into the row's notes cell.
"""

from __future__ import annotations

import calendar
import datetime as dt
import html
import re

from . import columns as C
from .models import Catalogue
from .sheet import ArticleRow, Problem

__all__ = [
    "MAX_BODY_WORDS",
    "MAX_NAME_WORDS",
    "MAX_TITLE_WORDS",
    "MAX_URLS",
    "MIN_TITLE_WORDS",
    "add_one_month",
    "check_row",
    "count_words",
    "derive_name",
    "latest_till",
]

# The API allows 2-10 words in a name; sheetsync appends the row key as one more word so the
# server's task list can tell later which rows were already sent.
MAX_NAME_WORDS = 9
MIN_TITLE_WORDS = 4
MAX_TITLE_WORDS = 50
MAX_BODY_WORDS = 400
MAX_URLS = 5

# A tag cannot contain "<": this keeps a stray "<" in text from swallowing the words after
# it, and keeps the scan linear on cells full of "<".
_TAG = re.compile(r"<[^<>]*>")


def count_words(text: str) -> int:
    """Words as the server counts them: whitespace-separated, HTML tags and entities removed.

    A tag separates words ("one<br>two" is two words), as it does for a reader.
    """
    return len(html.unescape(_TAG.sub(" ", text)).split())


def derive_name(row: ArticleRow) -> str:
    """The task name before the marker: the person's name, or the title cut to MAX_NAME_WORDS."""
    name = " ".join(row.name.split())
    if name:
        return name
    return " ".join(row.title.split()[:MAX_NAME_WORDS])


def add_one_month(day: dt.date) -> dt.date:
    """The same day next month, or that month's last day (Jan 31 -> Feb 28)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def latest_till(today: dt.date) -> dt.date:
    """The last schedule_till the API accepts when asked on `today`."""
    return add_one_month(today)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


class _Checker:
    def __init__(self, row: ArticleRow):
        self.row = row
        self.problems: list[Problem] = []
        # A cell that could not be read was already reported; its empty default says nothing new.
        self.unread = {p.canonical for p in row.problems}

    def wants(self, canonical: str) -> bool:
        return canonical not in self.unread

    def add(self, canonical: str, message: str) -> None:
        self.problems.append(Problem(self.row.row, self.row.column(canonical), message, canonical))


def check_row(row: ArticleRow, catalogue: Catalogue | None, today: dt.date) -> list[Problem]:
    """The API's field rules and the catalogue applied to `row`, one Problem per broken rule.

    Cells that could not be read are already in `row.problems` and are not checked again;
    a row is fit to send only when both lists are empty. `catalogue` None skips the
    catalogue checks (offline validation).
    """
    check = _Checker(row)
    _check_name(check)
    _check_title(check)
    _check_body(check)
    _check_urls(check)
    _check_targets(check, catalogue)
    _check_schedule(check, today)
    return check.problems


def _check_name(check: _Checker) -> None:
    words = len(check.row.name.split())
    if check.wants(C.NAME) and words > MAX_NAME_WORDS:
        check.add(
            C.NAME,
            f"Name has {words} words; it can have at most {MAX_NAME_WORDS}, because sheetsync "
            f"adds the row key as a {MAX_NAME_WORDS + 1}th word; shorten it, or clear it to use "
            "the title.",
        )


def _check_title(check: _Checker) -> None:
    if not check.wants(C.ARTICLE_TITLE):
        return
    words = count_words(check.row.title)
    if not check.row.title.strip():
        check.add(
            C.ARTICLE_TITLE,
            f"Title is empty; type the article's headline "
            f"({MIN_TITLE_WORDS} to {MAX_TITLE_WORDS} words).",
        )
    elif not MIN_TITLE_WORDS <= words <= MAX_TITLE_WORDS:
        check.add(
            C.ARTICLE_TITLE,
            f"Title has {_plural(words, 'word')}; it needs {MIN_TITLE_WORDS} to {MAX_TITLE_WORDS}.",
        )


def _check_body(check: _Checker) -> None:
    if not check.wants(C.ARTICLE_BODY):
        return
    body = check.row.body
    words = count_words(body)
    if not body.strip():
        check.add(
            C.ARTICLE_BODY,
            f"Body is empty; paste the article text (up to {MAX_BODY_WORDS} words, HTML allowed).",
        )
    elif words == 0:
        check.add(
            C.ARTICLE_BODY, "Body has HTML tags but no words; paste the article text between them."
        )
    elif words > MAX_BODY_WORDS:
        check.add(
            C.ARTICLE_BODY,
            f"Body has {words} words (HTML tags not counted); "
            f"shorten it to {MAX_BODY_WORDS} or fewer.",
        )


def _check_urls(check: _Checker) -> None:
    if not check.wants(C.ARTICLE_URLS):
        return
    count = len(check.row.urls)
    if count == 0:
        check.add(
            C.ARTICLE_URLS,
            f"URLs is empty; type 1 to {MAX_URLS} addresses the article links to, "
            "like https://example.com/page, separated by commas.",
        )
    elif count > MAX_URLS:
        check.add(
            C.ARTICLE_URLS,
            f"URLs has {count} addresses; an article can link to at most {MAX_URLS}, "
            f"so remove {count - MAX_URLS}.",
        )


def _check_targets(check: _Checker, catalogue: Catalogue | None) -> None:
    if not check.wants(C.TARGET_WEBSITE_IDS):
        return
    ids = check.row.target_ids
    for name in check.row.target_domains:
        if catalogue is not None:
            check.add(
                C.TARGET_WEBSITE_IDS,
                f"{name} is not a site in your BacklinkBase catalogue; type a domain or an id as "
                "the Sites tab shows it.",
            )
    if not ids and not check.row.target_domains:
        check.add(
            C.TARGET_WEBSITE_IDS,
            "Site IDs is empty; type the IDs of the sites to publish on, like 388, 372.",
        )
        return
    seen: set[int] = set()
    for site_id in ids:
        if site_id in seen:
            check.add(C.TARGET_WEBSITE_IDS, f"Site {site_id} is listed twice; list each site once.")
            continue
        seen.add(site_id)
        if catalogue is None:
            continue
        site = catalogue.get(site_id)
        if site is None:
            check.add(
                C.TARGET_WEBSITE_IDS,
                f"Site {site_id} is not in your BacklinkBase catalogue; "
                "use an id or a domain from the Sites tab.",
            )
        elif not site.enabled:
            check.add(
                C.TARGET_WEBSITE_IDS,
                f"Site {site_id} ({site.url}) is disabled at BacklinkBase; choose another site.",
            )
        elif site.limited:
            check.add(
                C.TARGET_WEBSITE_IDS,
                f"Site {site_id} ({site.url}) is limited because the account's credits are low; "
                "add credits or choose another site.",
            )


def _check_schedule(check: _Checker, today: dt.date) -> None:
    start, end = check.row.schedule_from, check.row.schedule_till
    latest = latest_till(today)
    if end is not None and check.wants(C.SCHEDULE_TILL):
        if start is not None and end < start and check.wants(C.SCHEDULE_FROM):
            check.add(
                C.SCHEDULE_TILL,
                f"Schedule till ({end}) is before schedule from ({start}); "
                f"make it {start} or later.",
            )
        elif end < today:
            check.add(
                C.SCHEDULE_TILL,
                f"Schedule till ({end}) is in the past; pick a date from {today} to {latest}.",
            )
        elif end > latest:
            check.add(
                C.SCHEDULE_TILL,
                f"Schedule till ({end}) is more than one month ahead; pick {latest} or earlier.",
            )
    elif start is not None and check.wants(C.SCHEDULE_FROM) and check.wants(C.SCHEDULE_TILL):
        # Without a till the API publishes by from + 1 day, which must fit between today and
        # one month ahead like any till. Compared without adding a day to `start`, so that a
        # from on the calendar's last day is refused rather than overflowing.
        if (today - start).days > 1:
            default_till = start + dt.timedelta(days=1)
            check.add(
                C.SCHEDULE_FROM,
                f"Schedule from ({start}) is in the past, "
                f"so the default end ({default_till}) is too; "
                f"set it to {today} or later, or fill in schedule till.",
            )
        elif start >= latest:
            check.add(
                C.SCHEDULE_FROM,
                f"Schedule from ({start}) is too far ahead: publishing must end by {latest}, "
                f"one month from today; pick {latest - dt.timedelta(days=1)} or earlier.",
            )
