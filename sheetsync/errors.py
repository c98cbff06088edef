"""One exception hierarchy for the whole library, and the CLI's documented exit codes.

Every message is one line a person understands and ends with what to do next. No message,
repr or traceback may contain the API token: build messages from endpoint names, never from
URLs that carry the query string.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence


class ExitCode(enum.IntEnum):
    OK = 0
    ATTENTION = 1  # some rows need a person's attention (validation problems, waiting rows)
    USAGE = 2  # bad flags, settings, sheet or file problems
    API = 3  # BacklinkBase refused, failed or could not be reached
    INTERNAL = 70  # a bug in sheetsync (EX_SOFTWARE); details with --debug
    INTERRUPTED = 130


class SheetsyncError(Exception):
    """Base of every error the library raises on purpose."""

    exit_code: ExitCode = ExitCode.USAGE


class ConfigError(SheetsyncError):
    """Settings, flags or environment are wrong or missing."""


class StateError(ConfigError):
    """The folder for the journal and locks cannot be created or written (permissions, full disk)."""


class TableError(SheetsyncError):
    """The spreadsheet cannot be opened, read or written."""


class SheetBusyError(TableError):
    """Another program (Excel, LibreOffice, another sync) holds the sheet."""


# --- BacklinkBase -------------------------------------------------------------------------


class ApiError(SheetsyncError):
    """BacklinkBase answered with an error, or could not be reached."""

    exit_code = ExitCode.API

    def __init__(self, message: str, *, status: int | None = None, endpoint: str | None = None):
        super().__init__(message)
        self.status = status
        self.endpoint = endpoint


class BadTokenError(ApiError):
    """401: the token is missing, invalid or inactive. The client stops at the first one."""


class OutOfCreditsError(ApiError):
    """401 whose message says the account has no credits left."""


class NotFoundError(ApiError):
    """404: the task does not exist or belongs to another token."""


class InsufficientCreditsError(ApiError):
    """409: the chosen targets cost more credits than the account has."""


class ValidationFailedError(ApiError):
    """422: the server rejected fields; `errors` maps field -> messages."""

    def __init__(
        self,
        message: str,
        errors: Mapping[str, Sequence[str]] | None = None,
        *,
        status: int | None = 422,
        endpoint: str | None = None,
    ):
        super().__init__(message, status=status, endpoint=endpoint)
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in (errors or {}).items()}


class RateLimitedError(ApiError):
    """429: too many requests for this token, even after backing off."""

    def __init__(self, message: str, *, retry_after: float | None = None,
                 status: int | None = 429, endpoint: str | None = None):
        super().__init__(message, status=status, endpoint=endpoint)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx from BacklinkBase."""


class TransportError(ApiError):
    """No usable answer: connection refused, DNS, TLS, timeout."""


class UnexpectedResponseError(ApiError):
    """A 2xx answer we could not understand (HTML, broken JSON, missing fields)."""


class SubmissionOutcomeUnknownError(ApiError):
    """task/store was sent but we cannot tell whether the task was created.

    The caller must look the task up by its marker before sending it again.
    """
