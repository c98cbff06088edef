"""Keep the API token out of every string a person or a log can see.

BacklinkBase takes the token only as the `api_token` query parameter or JSON body field, so
every URL and request body carries it; `requests` and urllib3 happily put those URLs into
exception messages and DEBUG log lines. Everything here is pure except `install_log_filter`.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote, quote_plus

PLACEHOLDER = "***"

# `api_token=...` in a query string or form body, `"api_token": "..."` in JSON.
# Not inside a longer name: "BACKLINKBASE_API_TOKEN=<your token>" in advice stays readable
# (the token's own value is masked wherever it appears, by `redact`'s `secrets`).
_QUERY_TOKEN = re.compile(r"(?<![A-Za-z0-9_])(api_token=)[^&\s\"'#]*", re.IGNORECASE)
_JSON_TOKEN = re.compile(r"(\"api_token\"\s*:\s*\")(?:[^\"\\]|\\.)*(\")", re.IGNORECASE)

# Loggers of third-party libraries that log request lines (method, URL and query string).
_URL_LOGGERS = ("urllib3.connectionpool", "requests", "vcr")


class Secret:
    """A string that never shows itself in `str`, `repr` or f-strings; `reveal()` to use it."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        """The token itself, for the one place that sends it."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({PLACEHOLDER})"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def redact(text: str, *secrets: str) -> str:
    """Return `text` with each secret (raw or URL-encoded) and any `api_token` value masked."""
    for secret in secrets:
        # Shorter than 4 characters it would mask ordinary words; such a token is invalid anyway.
        if not secret or len(secret) < 4:
            continue
        for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
            text = text.replace(form, PLACEHOLDER)
    text = _QUERY_TOKEN.sub(lambda m: m.group(1) + PLACEHOLDER, text)
    return _JSON_TOKEN.sub(lambda m: m.group(1) + PLACEHOLDER + m.group(2), text)


def one_line(text: str, limit: int = 300) -> str:
    """Collapse whitespace (server messages may hold newlines or HTML) and cut long text."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class RedactingFilter(logging.Filter):
    """Rewrites a log record's final message with every `api_token` value masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logger's problem, not ours to hide
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_FILTER = RedactingFilter()


def install_log_filter() -> None:
    """Attach the redacting filter to the loggers that print request URLs (idempotent)."""
    for name in _URL_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
