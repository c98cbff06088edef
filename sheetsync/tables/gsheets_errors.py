"""What a failed Google Sheets request means, and the message that says what to do next.

`classify` turns an exception from gspread, requests or google-auth into a `Failure` (pure:
no request is made); `explain` turns a failure that will not be retried into one line for the
person running sheetsync. Each cause has its own next step: sharing the sheet does not help
when the API is disabled, the credentials lack a scope, or the file is an .xlsx in Drive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from ..errors import TableError

__all__ = ["Failure", "classify", "explain"]

# Statuses Google's own client libraries retry: throttling and the front end's outages.
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_TRANSPORT = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    requests.exceptions.JSONDecodeError,  # an answer cut short: the request itself was fine
)


@dataclass(frozen=True)
class Failure:
    """One failed request: transient (worth asking again) or not, and what Google said."""

    transient: bool
    status: int = 0  # HTTP status; 0 when no answer arrived
    reason: str = ""  # Google's ErrorInfo reason, the error status word, or the exception's name
    message: str = ""  # Google's words, one line, never an HTML page
    retry_after: float | None = None
    auth: bool = False  # the credentials could not be refreshed


def classify(exc: BaseException) -> Failure | None:
    """The failure `exc` stands for, or None when it is not a failed Sheets request (a bug)."""
    import gspread
    from google.auth import exceptions as auth_errors

    if isinstance(exc, gspread.exceptions.APIError):
        response = exc.response
        # gspread reports -1 for a body that is not JSON (an HTML page from Google's front end):
        # the HTTP status is the truth.
        status = int(getattr(response, "status_code", 0) or 0) or int(getattr(exc, "code", 0) or 0)
        error = exc.error if isinstance(exc.error, dict) else {}
        json_body = int(error.get("code", -1) or -1) != -1
        message = " ".join(str(error.get("message", "")).split()) if json_body else ""
        reasons = [
            str(d.get("reason", ""))
            for d in error.get("details", []) or []
            if isinstance(d, dict) and d.get("reason")
        ]
        reason = reasons[0] if reasons else (str(error.get("status", "")) if json_body else "")
        return Failure(
            status in TRANSIENT_STATUSES, status, reason, message[:300], _retry_after(response)
        )
    if isinstance(exc, auth_errors.RefreshError):
        message = " ".join(str(exc.args[0] if exc.args else exc).split())[:120]
        return Failure(bool(getattr(exc, "retryable", False)), 0, type(exc).__name__, message, auth=True)
    if isinstance(exc, _TRANSPORT) or isinstance(exc, auth_errors.TransportError):
        return Failure(True, 0, type(exc).__name__)
    return None


def _retry_after(response: Any) -> float | None:
    value = getattr(response, "headers", {}).get("Retry-After") if response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: the backoff's own wait will do


def explain(
    failure: Failure,
    what: str,
    spreadsheet_id: str,
    account_email: str | None,
    *,
    tries: int = 1,
    waited: float = 0.0,
) -> TableError:
    """One line saying what went wrong when sheetsync tried to `what` the sheet, and what to do."""
    sheet = f"spreadsheet {spreadsheet_id}"
    said = f" Google said: {failure.message}" if failure.message else ""
    who = account_email
    status, reason, message = failure.status, failure.reason, failure.message.lower()
    over = f"after {tries} {'try' if tries == 1 else 'tries'}" + (f" over {waited:.0f} s" if waited else "")
    if failure.auth:
        return TableError(
            f"Google refused the credentials when asked to {what} {sheet} ({failure.message}); for "
            "your own sign-in, delete authorized_user.json in the gspread folder and run again to "
            "sign in afresh; for a service account, create a new key and pass it with --credentials."
        )
    if status == 0:
        return TableError(
            f"Could not reach Google Sheets to {what} {sheet} ({reason}, {over}); check the network "
            "connection and run again."
        )
    if status == 429:
        return TableError(
            f"Google Sheets kept answering 429 (too many requests) to {what} {sheet} {over}: the "
            "quota of 60 reads and 60 writes a minute is shared by everything using this Google "
            "account; wait a few minutes and run again."
        )
    if status >= 500 or status == 408:
        return TableError(
            f"Google Sheets failed with HTTP {status} to {what} {sheet} {over}; its service is "
            "having trouble, run again in a few minutes."
        )
    if status == 401:
        return TableError(
            f"Google Sheets did not accept the credentials (HTTP 401) to {what} {sheet}: for a "
            "service account, create a new key and pass it with --credentials; for your own "
            "sign-in, delete authorized_user.json in the gspread folder and sign in again.{said}"
        )
    if reason == "SERVICE_DISABLED" or (status == 403 and ("has not been used" in message or "disabled" in message)):
        # A new Cloud project's service account: sharing the sheet would not help.
        return TableError(
            "The Google Sheets API is not enabled in the Google Cloud project of these "
            "credentials; enable it in the Cloud console (APIs & Services, Google Sheets API), "
            f"wait a few minutes, and run again.{said}"
        )
    if reason == "ACCESS_TOKEN_SCOPE_INSUFFICIENT" or "insufficient authentication scopes" in message:
        return TableError(
            f"These Google credentials may not use Google Sheets (ACCESS_TOKEN_SCOPE_INSUFFICIENT), "
            "as with gcloud application-default credentials made without the Sheets scope: pass a "
            "service-account key with --credentials, or run `gcloud auth application-default login "
            "--scopes=https://www.googleapis.com/auth/spreadsheets,https://www.googleapis.com/auth/"
            "cloud-platform` and run again."
        )
    if "protected cell or object" in message or "protected range" in message:
        account = who or "the Google account sheetsync signs in as"
        return TableError(
            f"Part of the columns sheetsync writes in {sheet} is protected (Data > Protect sheets "
            f"and ranges): ask the sheet's owner to let {account} edit that range, or to move the "
            "protection off sheetsync's columns, then run again."
        )
    if reason == "FAILED_PRECONDITION" and "not supported for this document" in message:
        return TableError(
            f"{sheet} is an Excel file stored in Google Drive, not a Google Sheet, and the Sheets "
            "API cannot edit it: open it in Google Sheets, choose File > Save as Google Sheets, and "
            "run again with the new sheet's URL (or download it and pass the .xlsx file)."
        )
    if status == 413 or "payload size exceeds" in message:
        return TableError(
            f"Google Sheets refused a write to {sheet} as too large (HTTP {status}); sheetsync sends "
            "at most 2 MB at a time, so some single value must be huge: shorten the longest notes "
            f"or texts in the sheet and run again.{said}"
        )
    share = f"share the sheet with {who} as Editor" if who else (
        "share the sheet as Editor with the Google account sheetsync signs in as"
    )
    if status == 403:
        if what == "write to":
            return TableError(
                f"Google Sheets let sheetsync read but not write {sheet}: {share} (not Viewer or "
                "Commenter), then run again."
            )
        return TableError(f"Google Sheets refused access to {sheet}: {share}, then run again.")
    if status == 404:
        return TableError(
            f"Google Sheets found no {sheet}, or it is not shared with sheetsync: check the URL "
            f"or key, {share}, then run again."
        )
    detail = f" ({failure.message})" if failure.message else ""
    return TableError(
        f"Google Sheets refused to {what} {sheet} with HTTP {status}{detail}; check the tab "
        "names and layout of the sheet, then run again."
    )
