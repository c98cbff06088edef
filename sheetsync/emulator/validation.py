"""task/store field rules, as the API reference documents them. Pure: no I/O, no clock.

Messages follow the documented ones ("The article_title must be between 4 and 50 words. You
have 2 words.") and are returned per field as lists, as both documented 422 bodies show.
"""

from __future__ import annotations

import calendar
import datetime as dt
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..models import Catalogue

_TAG = re.compile(r"<[^>]*>")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class StoreRequest:
    """A task/store body that passed every rule."""

    name: str
    article_title: str
    article_body: str
    article_urls: tuple[str, ...]
    target_website_ids: tuple[int, ...]
    schedule_from: dt.date
    schedule_till: dt.date
    sandbox: bool


def count_words(text: str) -> int:
    """Words as a reader counts them: HTML tags removed, entities decoded."""
    return len(html.unescape(_TAG.sub(" ", text)).split())


def add_month(day: dt.date) -> dt.date:
    """The same day one calendar month later, clamped to the month's end (Jan 31 -> Feb 28)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _text(raw: object) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, (dict, list)):
        return None
    return str(raw)


def _list(raw: object) -> list[str] | None:
    """A comma-separated string or a JSON array, as items; None when it is neither."""
    if isinstance(raw, list):
        return [str(item).strip() for item in raw if str(item).strip()]
    if isinstance(raw, (str, int)) and not isinstance(raw, bool):
        return [part.strip() for part in str(raw).split(",") if part.strip()]
    return None


def _words_rule(field: str, raw: object, low: int, high: int, errors: dict[str, list[str]]) -> str:
    text = _text(raw)
    if text is None or not text.strip():
        errors.setdefault(field, []).append(f"The {field} field is required.")
        return ""
    words = count_words(text)
    if not low <= words <= high:
        errors.setdefault(field, []).append(
            f"The {field} must be between {low} and {high} words. You have {words} words."
        )
    return text.strip()


def _is_absolute_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in url


def _date(field: str, raw: object, errors: dict[str, list[str]]) -> dt.date | None:
    text = _text(raw)
    if text is None or not text.strip():
        return None
    text = text.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        errors.setdefault(field, []).append(f"The {field} is not a valid date (use YYYY-MM-DD).")
        return None


def parse_bool(raw: object) -> bool | None:
    """JSON true/false, 1/0 and their text forms; None when it is none of them."""
    if isinstance(raw, bool):
        return raw
    if raw is None:
        return False
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def validate_store(
    fields: Mapping[str, object],
    *,
    today: dt.date,
    catalogue: Catalogue,
    ids_as_array_only: bool = False,
) -> StoreRequest | dict[str, list[str]]:
    """Check a task/store body; the parsed request, or field -> messages."""
    errors: dict[str, list[str]] = {}
    name = _words_rule("name", fields.get("name"), 2, 10, errors)
    title = _words_rule("article_title", fields.get("article_title"), 4, 50, errors)

    body = _text(fields.get("article_body"))
    if body is None or not body.strip():
        errors.setdefault("article_body", []).append("The article_body field is required.")
        body = ""
    elif (words := count_words(body)) > 400:
        errors.setdefault("article_body", []).append(
            f"The article_body may not be greater than 400 words. You have {words} words."
        )

    urls = _list(fields.get("article_urls"))
    if urls is None or not urls:
        errors.setdefault("article_urls", []).append("The article_urls field is required.")
        urls = []
    else:
        if len(urls) > 5:
            errors.setdefault("article_urls", []).append(
                f"The article_urls must contain between 1 and 5 URLs. You have {len(urls)} URLs."
            )
        bad = [u for u in urls if not _is_absolute_url(u)]
        if bad:
            errors.setdefault("article_urls", []).append(
                f"The article_urls must be absolute http(s) URLs; {bad[0]!r} is not one."
            )

    site_ids = _target_ids(fields.get("target_website_ids"), catalogue, ids_as_array_only, errors)

    start = _date("schedule_from", fields.get("schedule_from"), errors)
    till = _date("schedule_till", fields.get("schedule_till"), errors)
    start_day = start or today
    till_day = till or start_day + dt.timedelta(days=1)
    latest = add_month(today)
    if "schedule_from" not in errors and "schedule_till" not in errors:
        if till_day < start_day:
            errors.setdefault("schedule_till", []).append(
                "The schedule_till must be a date after or equal to schedule_from."
            )
        elif till_day < today:
            errors.setdefault("schedule_till", []).append(
                "The schedule_till must be a date after or equal to today."
            )
        elif till_day > latest:
            errors.setdefault("schedule_till", []).append(
                f"The schedule_till must be a date before or equal to {latest.isoformat()}."
            )

    sandbox = parse_bool(fields.get("sandbox"))
    if sandbox is None:
        errors.setdefault("sandbox", []).append("The sandbox field must be true or false.")

    if errors:
        return errors
    return StoreRequest(
        name=name,
        article_title=title,
        article_body=body,
        article_urls=tuple(urls),
        target_website_ids=tuple(site_ids),
        schedule_from=start_day,
        schedule_till=till_day,
        sandbox=bool(sandbox),
    )


def _target_ids(
    raw: object, catalogue: Catalogue, array_only: bool, errors: dict[str, list[str]]
) -> list[int]:
    field = "target_website_ids"
    if raw is None or raw == "" or raw == []:
        errors.setdefault(field, []).append(f"The {field} field is required.")
        return []
    if array_only and not isinstance(raw, list):
        errors.setdefault(field, []).append(f"The {field} must be a JSON array.")
        return []
    items = _list(raw)
    ids: list[int] = []
    for item in [raw] if items is None else items:  # neither a string nor an array: refused
        if isinstance(item, bool) or not re.fullmatch(r"\d+", str(item)):
            errors.setdefault(field, []).append(
                f"The {field} must be a comma-separated list of integers."
            )
            return []
        ids.append(int(str(item)))
    if not ids:
        errors.setdefault(field, []).append(f"The {field} field is required.")
        return []
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        errors.setdefault(field, []).append(
            f"The {field} field has a duplicate value: {', '.join(map(str, repeated))}."
        )
    unknown = [i for i in ids if catalogue.get(i) is None]
    if unknown:
        errors.setdefault(field, []).append(
            f"The selected {field} {', '.join(map(str, unknown))} is invalid."
        )
    disabled = [i for i in ids if (site := catalogue.get(i)) is not None and not site.enabled]
    if disabled:
        errors.setdefault(field, []).append(
            f"The selected {field} {', '.join(map(str, disabled))} is disabled."
        )
    return ids
