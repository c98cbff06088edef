"""Pure parsers for single cell values, reading them the way the person who typed them meant.

Every parser takes one raw `CellValue` and returns a typed value or raises `CellError`
with one plain sentence that says what to type instead. Row and column are added by
`sheet.py`; the messages here never name them. What is ambiguous is refused, never guessed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from urllib.parse import urlsplit

from .tables.base import CellValue, Unreadable, utc_text

__all__ = [
    "CellError",
    "parse_date",
    "parse_ready",
    "parse_target_ids",
    "parse_text",
    "parse_urls",
    "plain_text",
    "show",
]


class CellError(ValueError):
    """A cell value that cannot be read; the message says what to type instead."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# Spaces people cannot see: non-breaking and narrow spaces are spaces; zero-width marks and
# byte-order marks pasted from web pages and Word are dropped.
_SPACES = dict.fromkeys(
    map(
        ord,
        "\u00a0\u2007\u202f\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a\u205f\u3000",
    ),
    " ",
)
_DROPPED = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad"), None)
_LINE_BREAKS = {
    ord("\u2028"): "\n",
    ord("\u2029"): "\n",
    ord("\r"): "\n",
    ord("\x0b"): "\n",
    ord("\x0c"): "\n",
}
# C0/C1 control characters other than tab and newline carry no meaning in a cell.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


# No cell value we read is meaningfully longer; this also keeps int() and str() away from
# Python's limit on converting huge numbers.
_MAX_DIGITS = 100


def _unreadable(value: Unreadable) -> CellError:
    # Backends give a reason that often already says what to do ("...; open the file in
    # Excel, save it, and run again"); only a bare reason ("#REF!") needs our advice.
    reason = show(value.reason, limit=200)[1:-1].rstrip(". ") if value.reason else ""
    if not reason:
        return CellError("The cell cannot be read; fix the formula or type the value itself.")
    advice = "" if ";" in reason else "; fix the formula or type the value itself"
    return CellError(f"The cell cannot be read: {reason}{advice}.")


def _finite_number_text(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        raise CellError(
            "The cell holds a number error (not a finite number); type the value itself."
        )
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def plain_text(value: CellValue) -> str:
    """Any readable cell as text: 3.0 as "3", dates as 2025-05-18, blank as ""."""
    if value is None:
        return ""
    if isinstance(value, Unreadable):
        raise _unreadable(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        if abs(value) >= 10**_MAX_DIGITS:  # str() itself refuses ints past ~4300 digits
            raise CellError(
                f"The cell holds a number over {_MAX_DIGITS} digits long; type the value itself."
            )
        return str(value)
    if isinstance(value, float):
        return _finite_number_text(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return utc_text(value)  # a date-time cell of a sheet with a known time zone
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).replace("\r\n", "\n").translate(_LINE_BREAKS)
    return _CONTROL.sub("", text.translate(_SPACES).translate(_DROPPED))


def parse_text(value: CellValue, *, multiline: bool = False) -> str:
    """Cleaned text of a cell; single-line fields get their whitespace collapsed to one space."""
    text = plain_text(value)
    if multiline:
        # Keep the person's line breaks (HTML bodies, paragraphs); trim only the ends.
        lines = [line.rstrip() for line in text.split("\n")]
        return "\n".join(lines).strip()
    return " ".join(text.split())


def show(value: object, *, limit: int = 40) -> str:
    """A cell value quoted for a one-line message: cleaned, collapsed and cut short."""
    if isinstance(value, int) and abs(value) >= 10**_MAX_DIGITS:
        return f"a number over {_MAX_DIGITS} digits long"
    try:
        text = plain_text(value)  # type: ignore[arg-type]
    except CellError:
        text = str(value)
    text = " ".join(_CONTROL.sub("", text).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f'"{text}"'


# --- site IDs ---------------------------------------------------------------------------

_ID_SEPARATORS = re.compile(r"[,;|\s]+")
# "388", "#388", and "388.0" (a number that went through a text format) are all site 388.
_ID_TOKEN = re.compile(r"#?([0-9]+)(?:\.0+)?")
# The API stores site IDs as integers; anything past 64 bits is a typo, not a site.
_MAX_ID = 2**63 - 1
_IDS_HINT = "type site IDs or domains from the Sites tab, separated by commas, like 388, 372"


def _one_id(number: int, raw: object) -> int:
    if number <= 0:
        raise CellError(
            f"{show(raw)} is not a site ID; site IDs are positive whole numbers, like 388, 372."
        )
    if number > _MAX_ID:
        raise CellError(f"{show(raw)} is too large to be a site ID; {_IDS_HINT}.")
    return number


# A site named by its domain, as the Sites tab shows it (a pasted address works too).
_DOMAIN = re.compile(r"(?:https?://)?(?:www\.)?((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63})/?", re.I)


def parse_targets(value: CellValue) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """(site ids, site domains) from a target cell: ids as `parse_target_ids` reads them, and
    domains ("example.org", as the Sites tab shows them) to be resolved against the catalogue."""
    if not isinstance(value, str):
        return parse_target_ids(value), ()
    ids: list[str] = []
    domains: list[str] = []
    for part in _ID_SEPARATORS.split(parse_text(value)):
        match = _DOMAIN.fullmatch(part) if part and not _ID_TOKEN.fullmatch(part) else None
        if match is not None:
            domains.append(match.group(1).lower())
        elif part:
            ids.append(part)
    return parse_target_ids(", ".join(ids)) if ids else (), tuple(domains)


def parse_target_ids(value: CellValue) -> tuple[int, ...]:
    """Site IDs from a number, or text separated by commas, semicolons, spaces or line breaks.

    Blank gives (); empty parts are ignored; duplicates are kept for the rules to report.
    """
    if value is None:
        return ()
    if isinstance(value, Unreadable):
        raise _unreadable(value)
    if isinstance(value, bool):
        raise CellError(f"A checkbox value is not a site ID; {_IDS_HINT}.")
    if isinstance(value, int):
        return (_one_id(value, value),)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise CellError(f"{show(value)} is not a whole number; {_IDS_HINT}.")
        return (_one_id(int(value), value),)
    if isinstance(value, dt.date):
        raise CellError(f"The cell holds a date, not site IDs; {_IDS_HINT}.")
    ids: list[int] = []
    for part in _ID_SEPARATORS.split(parse_text(value)):
        if not part:
            continue
        match = _ID_TOKEN.fullmatch(part)
        if match is None:
            if part.startswith("-") and _ID_TOKEN.fullmatch(part[1:]):
                raise CellError(
                    f"{show(part)} is negative; site IDs are positive whole numbers, like 388, 372."
                )
            if re.fullmatch(r"#?[0-9]*\.[0-9]+", part):
                raise CellError(f"{show(part)} is not a whole number; {_IDS_HINT}.")
            raise CellError(f"{show(part)} is not a site ID; {_IDS_HINT}.")
        digits = match.group(1).lstrip("0") or "0"
        if len(digits) > _MAX_DIGITS:
            raise CellError(f"{show(part)} is too large to be a site ID; {_IDS_HINT}.")
        ids.append(_one_id(int(digits), part))
    return tuple(ids)


# --- URLs -------------------------------------------------------------------------------

_URL_SEPARATORS = re.compile(r"[,;\s]+")
_WRAPPERS = "<>\"'“”‘’«»()[]"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# A host name, an IPv4 address or a bracketed IPv6 address; letters may be any script (IDN).
_HOST = re.compile(
    r"^(?:\[[0-9A-Fa-f:.]+\]|[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)*\.?)$"
)
_URLS_HINT = "type full addresses like https://example.com/page, separated by commas"


def _one_url(token: str) -> str:
    url = token.strip(_WRAPPERS)
    if not url:
        return ""
    match = _SCHEME.match(url)
    scheme = match.group()[:-1].lower() if match else ""
    # "www.example.com:8080/x" looks like a scheme to a parser; a dot says it is a host.
    if not scheme or "." in scheme or scheme == "localhost":
        if "." in url.split("/", 1)[0] or scheme == "localhost":
            bare = show(url)[1:-1]
            raise CellError(f"{show(url)} has no https:// in front; type it as https://{bare}.")
        raise CellError(f"{show(url)} is not a web address; {_URLS_HINT}.")
    if scheme not in ("http", "https"):
        raise CellError(
            f"{show(url)} is not a web page address (only http:// and https:// work); {_URLS_HINT}."
        )
    if not url[len(scheme) + 1 :].startswith("//"):
        raise CellError(f"{show(url)} is missing the // after {scheme}:; {_URLS_HINT}.")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        raise CellError(f"{show(url)} is not a valid web address; {_URLS_HINT}.") from None
    if not host or not _HOST.match(host):
        raise CellError(f"{show(url)} has no valid site name after {scheme}://; {_URLS_HINT}.")
    return url


def parse_urls(value: CellValue) -> tuple[str, ...]:
    """Absolute http(s) URLs separated by commas, semicolons, spaces or line breaks.

    Surrounding <>, brackets and quotes are dropped. Blank gives ().
    """
    if value is None:
        return ()
    if isinstance(value, Unreadable):
        raise _unreadable(value)
    if isinstance(value, (bool, int, float, dt.date)):
        raise CellError(f"{show(value)} is not a web address; {_URLS_HINT}.")
    urls = [_one_url(token) for token in _URL_SEPARATORS.split(parse_text(value))]
    return tuple(url for url in urls if url)


# --- dates ------------------------------------------------------------------------------

# Spreadsheets count days from 1899-12-30. Serial numbers outside this range are almost
# certainly something else (an ID, a price) typed into a date column.
_SERIAL_EPOCH = dt.date(1899, 12, 30)
_FIRST_DATE = dt.date(2000, 1, 1)
_LAST_DATE = dt.date(2099, 12, 31)


def _date_hint() -> str:
    """How to type a date, with an example a week from today: a past example would be refused
    as a schedule date by the very checks that print it."""
    example = dt.date.today() + dt.timedelta(days=7)
    return f"type it like {example.isoformat()}"


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAYS = {
    "monday", "mon", "tuesday", "tue", "tues", "wednesday", "wed", "thursday", "thu", "thur",
    "thurs", "friday", "fri", "saturday", "sat", "sunday", "sun",
}  # fmt: skip
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
_ISO = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_NUMERIC = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})")
_WORD_TOKENS = re.compile(r"[A-Za-z]+|\d+")
# "18 May 2025", "May 18, 2025", "18th of May 2025", "Sun, 18 May 2025": only these characters.
_WORDY = re.compile(r"[A-Za-z0-9 ,.\-/]+")


def _make_date(year: int, month: int, day: int, raw: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CellError(f"{show(raw)} is not a real calendar date; {_date_hint()}.") from None


def _from_serial(value: float) -> dt.date:
    if not math.isfinite(value):
        raise CellError(f"The cell holds a number error, not a date; {_date_hint()}.")
    first = (_FIRST_DATE - _SERIAL_EPOCH).days
    last = (_LAST_DATE - _SERIAL_EPOCH).days
    if not first <= value < last + 1:
        raise CellError(f"{show(value)} is a number, not a date; {_date_hint()}.")
    return _SERIAL_EPOCH + dt.timedelta(days=int(math.floor(value)))


def _numeric_date(day_or_month: int, month_or_day: int, year_text: str, raw: str) -> dt.date:
    if len(year_text) != 4:
        raise CellError(f"{show(raw)} has a two-digit year; {_date_hint()}.")
    year = int(year_text)
    a, b = day_or_month, month_or_day
    if a > 12 and b <= 12:
        return _make_date(year, b, a, raw)  # 18/05/2025: day first
    if b > 12 and a <= 12:
        return _make_date(year, a, b, raw)  # 05/18/2025: month first
    if a == b:
        return _make_date(year, a, a, raw)  # 03/03/2025 reads the same either way
    if a > 12 and b > 12:
        raise CellError(f"{show(raw)} is not a real calendar date; {_date_hint()}.")
    first = dt.date(year, b, a) if _valid(year, b, a) else None
    second = dt.date(year, a, b) if _valid(year, a, b) else None
    options = " or ".join(d.isoformat() for d in (first, second) if d is not None)
    raise CellError(
        f"{show(raw)} could be day-month or month-day; type it as {options} (year-month-day)."
    )


def _valid(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _wordy_date(text: str) -> dt.date | None:
    if not _WORDY.fullmatch(text):
        return None
    tokens = [t.lower() for t in _WORD_TOKENS.findall(text)]
    months = [t for t in tokens if t in _MONTHS]
    numbers = [t for t in tokens if t.isdigit()]
    others = [t for t in tokens if not t.isdigit() and t not in _MONTHS]
    # Ordinal suffixes ("18th") and filler words are fine; weekday names carry nothing we need.
    others = [
        t for t in others if t not in _WEEKDAYS and t not in ("st", "nd", "rd", "th", "of", "the")
    ]
    if len(months) != 1 or len(numbers) != 2 or others:
        return None
    years = [n for n in numbers if len(n) == 4]
    days = [n for n in numbers if len(n) <= 2]
    if len(years) != 1 or len(days) != 1:
        return None
    return _make_date(int(years[0]), _MONTHS[months[0]], int(days[0]), text)


def parse_date(value: CellValue) -> dt.date | None:
    """A date from a real date, a spreadsheet serial number or unambiguous text; blank: None."""
    if value is None:
        return None
    if isinstance(value, Unreadable):
        raise _unreadable(value)
    if isinstance(value, bool):
        raise CellError(f"A checkbox value is not a date; {_date_hint()}.")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int) and abs(value) >= 10**_MAX_DIGITS:
        raise CellError(f"The cell holds a very long number, not a date; {_date_hint()}.")
    if isinstance(value, (int, float)):
        return _from_serial(float(value))
    text = parse_text(value)
    if not text:
        return None
    if match := _ISO.fullmatch(text):
        return _make_date(int(match[1]), int(match[2]), int(match[3]), text)
    if match := _NUMERIC.fullmatch(text):
        return _numeric_date(int(match[1]), int(match[2]), match[3], text)
    if (found := _wordy_date(text)) is not None:
        return found
    raise CellError(
        f"{show(text)} is not a date sheetsync can read without guessing; {_date_hint()}."
    )


# --- the ready checkbox -------------------------------------------------------------------

_YES = {"true", "yes", "y", "x", "✓", "✔", "☑", "✅", "1", "ready", "ok"}
_NO = {"false", "no", "n", "0", "☐", "✗", "✘", "-"}
_READY_HINT = "tick the checkbox or type TRUE when the row may be sent, FALSE or nothing when not"


def parse_ready(value: CellValue) -> bool:
    """The ready checkbox: TRUE/FALSE, yes/no, y/n, x, ✓, 1/0; blank means not ready."""
    if value is None:
        return False
    if isinstance(value, Unreadable):
        raise _unreadable(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, (int, float, dt.date)):
        raise CellError(f"{show(value)} is not yes or no; {_READY_HINT}.")
    text = parse_text(value).lower().rstrip(".!")
    if text == "":
        return False
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise CellError(f"{show(value)} is not yes or no; {_READY_HINT}.")
