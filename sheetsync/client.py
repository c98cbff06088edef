"""BacklinkBase REST client: auth, envelope, errors, retries and pacing.

Reads are retried on connection errors, 429 and 5xx with capped, jittered exponential backoff.
`task/store` spends credits and the API has no idempotency key, so it is never retried once it
may have reached the server: a lost answer raises `SubmissionOutcomeUnknownError` and the
caller looks the task up by its marker before sending it again. Two store retries are safe and
made: a connection that failed before anything was sent, and a 429 (the server refused the
request before handling it, so nothing was created).

The token travels as the `api_token` query parameter (GET) or JSON field (POST), as the API
requires, and never appears in a message, log line, repr or exception chain: errors are raised
outside `except` blocks so no `requests` exception (whose text holds the full URL) is chained.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import json
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus, urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from . import __version__, models
from .errors import (
    ApiError,
    BadTokenError,
    InsufficientCreditsError,
    NotFoundError,
    OutOfCreditsError,
    RateLimitedError,
    ServerError,
    SubmissionOutcomeUnknownError,
    TransportError,
    UnexpectedResponseError,
    ValidationFailedError,
)
from .badtokens import BadTokenMemo
from .pacing import SlidingWindowLimiter, shared_limiter
from .redact import PLACEHOLDER, Secret, install_log_filter, one_line, redact

log = logging.getLogger("sheetsync.client")
T = TypeVar("T")

DEFAULT_BASE_URL = "https://backlinkbase.com/api/v1/"
TOKEN_HINT = "Check BACKLINKBASE_API_TOKEN"
URL_HINT = "Check BACKLINKBASE_API_URL (it should end in /api/v1/)"

# Backoff: attempt n waits about base * 2**n seconds (at least half of it, jittered), capped.
BASE_DELAY = 1.0
MAX_DELAY = 30.0
# A 429 without Retry-After: the server counts per minute, so start further out.
RATE_LIMITED_BASE_DELAY = 5.0
# A Retry-After longer than this is not slept through: the caller gets RateLimitedError.
MAX_RETRY_AFTER = 60.0

# Fields the API documents as comma-separated strings, but which one 422 example demands as
# a JSON array. When the server says so, the task is resent once in array form.
ARRAY_CAPABLE_FIELDS = ("target_website_ids", "article_urls")

#: The largest answer read. Neither list endpoint paginates; 32 MiB is some 100,000 tasks.
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
_CHUNK = 64 * 1024


class _Watch:
    """The connection one request is using, so that its deadline can cut it off.

    The read timeout counts per socket read, so a server trickling one byte a second would
    never trip it; shutting the socket down from a timer ends the request at the deadline,
    whether it is waiting for the headers or the body.
    """

    def __init__(self) -> None:
        self.conn: Any = None
        self.fired = False
        self.done = threading.Event()

    def expire(self) -> None:
        self.fired = True
        # Still connecting (no socket yet): the connect timeout ends that phase; keep trying.
        while not self.done.is_set():
            sock = getattr(self.conn, "sock", None)
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            self.done.wait(0.05)


_watching = threading.local()


class _WatchedPool:
    """Pool mixin: tells the current request's `_Watch` which connection carries it."""

    def _make_request(self, conn: Any, *args: Any, **kwargs: Any) -> Any:
        watch = getattr(_watching, "watch", None)
        if watch is not None:
            watch.conn = conn
        return super()._make_request(conn, *args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPPool(_WatchedPool, HTTPConnectionPool):
    pass


class _WatchedHTTPSPool(_WatchedPool, HTTPSConnectionPool):
    pass


class _Adapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


def make_session() -> requests.Session:
    """The one HTTP session factory: no transport-level retries (we decide), JSON accepted."""
    session = requests.Session()
    # urllib3 must never resend on its own: a resent task/store could spend credits twice.
    adapter = _Adapter(max_retries=0, pool_connections=4, pool_maxsize=8)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers.update(
        {"Accept": "application/json", "User-Agent": f"sheetsync/{__version__}"}
    )
    return session


# --- pure helpers: backoff, request bodies, envelope parsing ------------------------------


def backoff_delay(attempt: int, rng: random.Random, *, base: float = BASE_DELAY,
                  cap: float = MAX_DELAY) -> float:
    """Seconds to wait before retry `attempt` (0-based): exponential, capped, equal jitter."""
    ceiling = min(cap, base * (2.0**attempt))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def parse_retry_after(value: str | None, *, date_header: str | None = None) -> float | None:
    """Retry-After as seconds (delta-seconds, or an HTTP-date relative to the answer's Date)."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
        sent = email.utils.parsedate_to_datetime(date_header) if date_header else None
    except (TypeError, ValueError):
        return None
    if sent is None:
        return None  # no reference time we can trust without a wall clock
    return max(0.0, (when - sent).total_seconds())


def _comma_join(values: Any) -> str:
    return ", ".join(str(v) for v in values)


def _url_for_comma_list(url: str) -> str:
    # A literal comma would split one URL in two inside the comma-separated field;
    # %2C is the same URL to every web server.
    return url.strip().replace(",", "%2C")


def store_body(new: models.NewTask, *, array_fields: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The documented task/store JSON body (without the token): lists as comma strings."""
    urls = [_url_for_comma_list(u) for u in new.article_urls]
    ids = [int(i) for i in new.target_website_ids]
    body: dict[str, Any] = {
        "name": new.name,
        "article_title": new.article_title,
        "article_body": new.article_body,
        "article_urls": urls if "article_urls" in array_fields else _comma_join(urls),
        "target_website_ids": ids if "target_website_ids" in array_fields else _comma_join(ids),
    }
    if new.schedule_from is not None:
        body["schedule_from"] = new.schedule_from.isoformat()
    if new.schedule_till is not None:
        body["schedule_till"] = new.schedule_till.isoformat()
    if new.sandbox:
        body["sandbox"] = True  # only when set: the live API might treat `false` oddly
    return body


def fields_wanting_arrays(errors: Mapping[str, list[str]]) -> frozenset[str]:
    """Fields whose 422 messages ask for a JSON array instead of the documented string."""
    return frozenset(
        field
        for field in ARRAY_CAPABLE_FIELDS
        if any("array" in message.lower() for message in errors.get(field, ()))
    )


def normalise_errors(raw: Any) -> dict[str, list[str]]:
    """The `errors` object as field -> list of messages (the API sends a string or a list)."""
    if not isinstance(raw, Mapping):
        return {"": [one_line(str(raw))]} if raw not in (None, "", [], {}) else {}
    result: dict[str, list[str]] = {}
    for field, value in raw.items():
        items = value if isinstance(value, (list, tuple)) else [value]
        result[str(field)] = [one_line(str(item)) for item in items if item not in (None, "")]
    return result


def payload(body: Mapping[str, Any]) -> Any:
    """The data of an answer: the reference puts it under `response` in one place and under
    `message` in the examples (where `message` may also be a plain sentence)."""
    if body.get("response") is not None:
        return body["response"]
    return body.get("message")


def _to_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{what} is {value!r}, not a number")
    number = float(value)
    if not number.is_integer():
        raise ValueError(f"{what} is {value!r}, not a whole number")
    return int(number)


def _to_flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "enabled", "active")
    return bool(value)


def _timestamp(value: Any) -> dt.datetime | None:
    epoch: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        epoch = value
    elif isinstance(value, str) and value.strip().isdigit():
        epoch = int(value)
    if epoch is None:
        return models.parse_timestamp(value)
    try:
        return dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc)
    except (OverflowError, OSError):
        raise ValueError(f"timestamp {value!r} is out of range") from None


def parse_health(body: Mapping[str, Any]) -> models.Health:
    """health-check: `timestamp` on top (or inside the payload)."""
    data = payload(body)
    raw = body.get("timestamp")
    if raw is None and isinstance(data, Mapping):
        raw = data.get("timestamp")
    return models.Health(ok=body.get("success") is not False, server_time=_timestamp(raw))


def parse_credits(body: Mapping[str, Any]) -> int:
    """credits: `credits` on top, inside the payload, or the payload itself."""
    if "credits" in body:
        return _to_int(body["credits"], "credits")
    data = payload(body)
    if isinstance(data, Mapping):
        return _to_int(data["credits"], "credits")
    return _to_int(data, "credits")


def parse_site(raw: Mapping[str, Any]) -> models.Site:
    """One task/sites entry; numbers may come as strings, `status` 1 means enabled."""
    return models.Site(
        id=_to_int(raw["id"], "site id"),
        url=str(raw.get("url") or ""),
        da=_to_int(raw.get("da") or 0, "da"),
        pa=_to_int(raw.get("pa") or 0, "pa"),
        spam_score=_to_int(raw.get("spam_score") or 0, "spam_score"),
        enabled=_to_flag(raw.get("status", 1)),
        limited=_to_flag(raw.get("limited", False)),
    )


def parse_sites(body: Mapping[str, Any]) -> models.Catalogue:
    """task/sites: the whole catalogue."""
    data = payload(body)
    if not isinstance(data, list):
        raise ValueError("the site list is missing")
    return models.Catalogue(tuple(parse_site(item) for item in data))


def _summary_fields(raw: Mapping[str, Any]) -> dict[str, Any]:
    task_id = raw["id"]
    if task_id in (None, ""):
        raise ValueError("a task has no id")
    return {
        "id": str(task_id),  # opaque: documented as uuid, shown as 13 hex characters
        "name": str(raw.get("name") or ""),
        "status": models.parse_status(raw["status"]),
        "created_at": _timestamp(raw.get("created_at")),
        "updated_at": _timestamp(raw.get("updated_at")),
        "last_run_at": _timestamp(raw.get("last_run_at")),
        "completed_at": _timestamp(raw.get("completed_at")),
    }


def parse_task_summary(raw: Mapping[str, Any]) -> models.TaskSummary:
    """One entry of the task list."""
    return models.TaskSummary(**_summary_fields(raw))


def parse_placement(raw: Mapping[str, Any]) -> models.Placement:
    """One task x site row of task/show's `sites`."""
    return models.Placement(
        site_id=_to_int(raw["backlink_website_id"], "backlink_website_id"),
        status=models.parse_status(raw["status"]),
        result_url=(str(raw["result_url"]).strip() or None) if raw.get("result_url") else None,
        schedule_at=_timestamp(raw.get("schedule_at")),
        last_run_at=_timestamp(raw.get("last_run_at")),
        completed_at=_timestamp(raw.get("completed_at")),
    )


def _urls(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):  # documented as an array; accept the store's comma form too
        value = value.split(",")
    return tuple(str(u).strip() for u in value or () if str(u).strip())


def parse_task(body: Mapping[str, Any]) -> models.Task:
    """task/show: the task with its article and placements."""
    data = payload(body)
    if not isinstance(data, Mapping):
        raise ValueError("the task object is missing")
    article_raw = data.get("article")
    article = None
    if isinstance(article_raw, Mapping):
        article = models.Article(
            title=str(article_raw.get("title") or ""),
            body=str(article_raw.get("body") or ""),
            urls=_urls(article_raw.get("urls")),
        )
    placements = tuple(parse_placement(site) for site in data.get("sites") or ())
    return models.Task(**_summary_fields(data), article=article, placements=placements)


def parse_task_list(body: Mapping[str, Any]) -> list[models.TaskSummary]:
    """tasks: every task of the token."""
    data = payload(body)
    if not isinstance(data, list):
        raise ValueError("the task list is missing")
    return [parse_task_summary(item) for item in data]


def parse_created_task_id(body: Mapping[str, Any]) -> str:
    """task/store answers `task_id` on top; tolerate it inside the payload as well."""
    task_id = body.get("task_id")
    data = payload(body)
    if task_id in (None, "") and isinstance(data, Mapping):
        task_id = data.get("task_id", data.get("id"))
    if task_id in (None, "") or isinstance(task_id, (bool, dict, list)):
        raise ValueError("the answer has no task_id")
    return str(task_id)


# --- the transport-level outcome of one attempt ---------------------------------------------


def _certificate_refused(exc: requests.exceptions.SSLError) -> bool:
    """True when the TLS error is a refused certificate (requests -> urllib3 -> ssl)."""
    cause = exc.args[0] if exc.args else None
    cause = getattr(cause, "reason", cause)  # MaxRetryError -> urllib3's SSLError
    if isinstance(cause, urllib3.exceptions.SSLError) and cause.args:
        cause = cause.args[0]
    return isinstance(cause, ssl.SSLCertVerificationError)


@dataclass(frozen=True)
class _Failure:
    """An attempt that got no HTTP answer. `sent`: the request may have reached the server."""

    reason: str
    sent: bool
    fatal: bool = False  # retrying cannot help (malformed URL, unsupported scheme)


def _classify(exc: requests.RequestException) -> _Failure:
    # Only the exception's type is read: its text holds the full URL, token included.
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return _Failure("the connection timed out", sent=False)
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return _Failure("no answer came before the read timeout", sent=True)
    if isinstance(exc, requests.exceptions.SSLError):
        # A refused certificate is only ever found in the handshake, before anything is sent;
        # any other TLS error (an abrupt EOF, a bad record) may come while reading the answer.
        if _certificate_refused(exc):
            return _Failure("the server's TLS certificate was refused", sent=False)
        return _Failure("the TLS connection failed", sent=True)
    if isinstance(exc, requests.exceptions.ConnectionError):
        cause = exc.args[0] if exc.args else None
        reason = getattr(cause, "reason", None)
        if isinstance(reason, urllib3.exceptions.NameResolutionError):
            return _Failure("the host name could not be resolved", sent=False)
        if isinstance(reason, urllib3.exceptions.NewConnectionError):
            return _Failure("the connection was refused", sent=False)
        return _Failure("the connection was closed before an answer arrived", sent=True)
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ContentDecodingError)):
        return _Failure("the answer was cut off", sent=True)
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                        requests.exceptions.InvalidSchema, requests.exceptions.URLRequired)):
        return _Failure("the API address is not a valid http(s) URL", sent=False, fatal=True)
    return _Failure(f"the request failed ({type(exc).__name__})", sent=True)


# --- the client ---------------------------------------------------------------------------


class Client:
    """BacklinkBase API client. Thread-safe; clients of one token share one pacing window."""

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        session: requests.Session | None = None,
        rate_limit: int = 60,
        timeout: tuple[float, float] = (5.0, 30.0),
        deadline: float | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        max_retries: int = 4,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        bad_tokens: BadTokenMemo | None = None,
    ):
        self._token = Secret(token or "")
        # 401s remembered across runs, so a lockout's 429 is explained as one.
        self._bad_tokens = bad_tokens or BadTokenMemo()
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._session = session if session is not None else make_session()
        self._timeout = timeout
        # However slowly an answer trickles in, one attempt ends by then (connect + read).
        self._deadline = deadline if deadline is not None else float(sum(timeout))
        self._max_bytes = max_response_bytes
        self._max_retries = max(0, max_retries)
        self._sleep = sleep
        self._monotonic = monotonic
        self._rng = rng or random.Random()
        self._limiter: SlidingWindowLimiter = shared_limiter(
            token or "", self.base_url, rate_limit, clock=monotonic, sleep=sleep
        )
        self._lock = threading.Lock()
        self._requests_made = 0
        self._stopped: BadTokenError | None = None
        if not token:
            # Sending an empty token would only earn a 401 that counts toward the lockout.
            self._stopped = BadTokenError(
                "No BacklinkBase API token was given. Set BACKLINKBASE_API_TOKEN to the token "
                "from your backlinkbase.com account and try again."
            )
        # Learned from a 422: fields this server wants as JSON arrays (kept for later tasks).
        self._array_fields: frozenset[str] = frozenset()
        install_log_filter()

    def __repr__(self) -> str:
        return f"Client(base_url={self._host_and_path()!r}, token=***)"

    @property
    def requests_made(self) -> int:
        """HTTP requests that reached (or may have reached) the server, retries included."""
        with self._lock:
            return self._requests_made

    # --- public endpoints --------------------------------------------------------------

    def health(self) -> models.Health:
        """`health-check`: is the API up, and what time does the server say it is."""
        return self._parse("health-check", parse_health, self._read("health-check"))

    def credits(self) -> int:
        """`credits`: the account's remaining credits."""
        return self._parse("credits", parse_credits, self._read("credits"))

    def sites(self) -> models.Catalogue:
        """`task/sites`: the whole catalogue of target sites (the API does not paginate)."""
        return self._parse("task/sites", parse_sites, self._read("task/sites"))

    def task(self, task_id: str) -> models.Task:
        """`task/show`: one task with its article and per-site placements."""
        body = self._read("task/show", {"id": str(task_id)}, task_id=str(task_id))
        return self._parse("task/show", parse_task, body)

    def tasks(self) -> list[models.TaskSummary]:
        """`tasks`: every task of this token (the API does not paginate)."""
        return self._parse("tasks", parse_task_list, self._read("tasks"))

    def create_task(self, new: models.NewTask) -> str:
        """`task/store`: create one task and return its id. Never resent blindly.

        Raises SubmissionOutcomeUnknownError when the request may have created the task but
        no usable answer came back; look the task up (by its marker) before sending again.
        """
        array_fields = self._array_fields
        body = self._store(new, array_fields)
        if isinstance(body, ValidationFailedError):
            wanted = fields_wanting_arrays(body.errors) - array_fields
            if not wanted:
                raise body
            # The server refused the documented comma form, so nothing was created: resend
            # once with the fields it asked for as arrays, and remember that for later tasks.
            log.info("task/store: resending %s as JSON arrays", ", ".join(sorted(wanted)))
            array_fields = array_fields | wanted
            body = self._store(new, array_fields)
            if isinstance(body, ValidationFailedError):
                raise body
            self._array_fields = array_fields
        task_id: str | None = None
        problem = ""
        try:
            task_id = parse_created_task_id(body)
        except ValueError as exc:
            problem = str(exc)
        if task_id is None:
            raise SubmissionOutcomeUnknownError(
                f"BacklinkBase accepted task {one_line(new.name, 80)!r} (task/store) but "
                f"{problem}, so it may or may not exist. Sync again: the task is looked up "
                "by its marker before anything is resent.",
                endpoint="task/store",
            )
        return task_id

    # --- request machinery -------------------------------------------------------------

    def _read(self, endpoint: str, params: Mapping[str, str] | None = None, *,
              task_id: str | None = None) -> Mapping[str, Any]:
        """GET an endpoint, retrying what is safe to retry; returns the decoded JSON object."""
        query = {"api_token": self._token.reveal(), **(params or {})}
        attempt = 0
        while True:
            self._check_stopped()
            outcome = self._send("GET", endpoint, params=query)
            if isinstance(outcome, _Failure):
                if not outcome.fatal and attempt < self._max_retries:
                    self._pause(endpoint, attempt, outcome.reason, None)
                    attempt += 1
                    continue
                raise self._transport_error(endpoint, outcome, attempt)
            status = outcome.status_code
            if (status == 429 or status >= 500) and attempt < self._max_retries:
                if self._pause(endpoint, attempt, f"HTTP {status}", outcome):
                    attempt += 1
                    continue
            if 200 <= status < 300:
                body = _json_object(outcome)
                if body is None or body.get("success") is False:
                    raise self._unexpected(endpoint, outcome, body)
                return body
            raise self._error_for(endpoint, outcome, attempts=attempt, task_id=task_id)

    def _store(self, new: models.NewTask,
               array_fields: frozenset[str]) -> Mapping[str, Any] | ValidationFailedError:
        """POST task/store once (plus safe retries); returns the JSON body or the 422 error."""
        endpoint = "task/store"
        payload_body = {"api_token": self._token.reveal(), **store_body(new, array_fields=array_fields)}
        label = repr(one_line(new.name, 80))
        attempt = 0
        while True:
            self._check_stopped()
            outcome = self._send("POST", endpoint, json_body=payload_body)
            if isinstance(outcome, _Failure):
                if outcome.sent:
                    raise SubmissionOutcomeUnknownError(
                        f"Task {label} was sent to BacklinkBase (task/store) but "
                        f"{outcome.reason}, so it may or may not have been created. Sync "
                        "again: the task is looked up by its marker before anything is resent.",
                        endpoint=endpoint,
                    )
                # Nothing left this machine, so trying again cannot create a duplicate.
                if not outcome.fatal and attempt < self._max_retries:
                    self._pause(endpoint, attempt, outcome.reason, None)
                    attempt += 1
                    continue
                raise self._transport_error(endpoint, outcome, attempt)
            status = outcome.status_code
            if status >= 500:
                raise SubmissionOutcomeUnknownError(
                    f"BacklinkBase failed while creating task {label} (HTTP {status} on "
                    "task/store), so it may or may not have been created. Sync again: the "
                    "task is looked up by its marker before anything is resent.",
                    status=status, endpoint=endpoint,
                )
            # 429 is the rate limiter refusing the request before it is handled: safe to resend.
            if status == 429 and attempt < self._max_retries:
                if self._pause(endpoint, attempt, "HTTP 429", outcome):
                    attempt += 1
                    continue
            if 200 <= status < 300:
                body = _json_object(outcome)
                if body is None or body.get("success") is False:
                    raise SubmissionOutcomeUnknownError(
                        f"BacklinkBase answered task {label} with HTTP {status} but not with "
                        "the documented JSON, so it may or may not have been created. Sync "
                        "again: the task is looked up by its marker before anything is resent.",
                        status=status, endpoint=endpoint,
                    )
                return body
            error = self._error_for(endpoint, outcome, attempts=attempt, new=new)
            if isinstance(error, ValidationFailedError):
                return error
            raise error

    def _send(self, method: str, endpoint: str, *, params: Mapping[str, str] | None = None,
              json_body: Mapping[str, Any] | None = None) -> requests.Response | _Failure:
        """One paced HTTP attempt. Never raises a `requests` exception (they carry the URL)."""
        self._limiter.acquire()
        started = self._monotonic()
        response: requests.Response | None = None
        failure: _Failure | None = None
        watch = _Watch()
        timer = threading.Timer(self._deadline, watch.expire)
        timer.daemon = True
        _watching.watch = watch
        timer.start()
        try:
            response = self._session.request(
                method,
                self.base_url + endpoint,
                params=params,
                json=json_body,
                timeout=self._timeout,
                allow_redirects=False,  # a redirect would carry the token to another address
                stream=True,  # the body is read below, within the deadline and the size cap
            )
            failure = self._read_body(response)
        except requests.RequestException as exc:
            failure = _classify(exc)
        finally:
            watch.done.set()
            timer.cancel()
            _watching.watch = None
            if response is not None:
                response.close()
        if watch.fired:
            failure = _Failure(f"no complete answer came within {self._deadline:g} seconds", sent=True)
        elapsed = self._monotonic() - started
        if failure is None or failure.sent:
            with self._lock:
                self._requests_made += 1
        if failure is not None:
            log.debug("%s %s -> %s after %.3fs", method, endpoint, failure.reason, elapsed)
            return failure
        assert response is not None
        log.debug("%s %s -> %s in %.3fs", method, endpoint, response.status_code, elapsed)
        return response

    def _read_body(self, response: requests.Response) -> _Failure | None:
        """Read the answer into `response.content`, at most `max_response_bytes` of it."""
        too_big = _Failure(
            f"the answer is larger than {self._max_bytes / 2**20:g} MiB, more than sheetsync reads",
            sent=True,
            fatal=True,  # the same request would only fetch it again
        )
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > self._max_bytes:
            return too_big
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > self._max_bytes:
                return too_big
            chunks.append(chunk)
        # Whatever a hostile or broken server echoes back, the token never gets further.
        response._content = _mask(b"".join(chunks), _token_forms(self._token.reveal()))
        return None

    def _pause(self, endpoint: str, attempt: int, why: str,
               response: requests.Response | None) -> bool:
        """Sleep before retry `attempt`; False when Retry-After asks for longer than we wait."""
        retry_after = _retry_after(response)
        if retry_after is not None:
            if retry_after > MAX_RETRY_AFTER:
                return False
            delay = retry_after
        else:
            base = RATE_LIMITED_BASE_DELAY if response is not None and response.status_code == 429 else BASE_DELAY
            delay = backoff_delay(attempt, self._rng, base=base)
        log.info("%s: %s; retry %d of %d in %.1fs", endpoint, why, attempt + 1,
                 self._max_retries, delay)
        self._sleep(delay)
        return True

    def _check_stopped(self) -> None:
        if self._stopped is not None:
            # The same error again, without sending: more than three bad tokens a minute
            # lock the account out, so a refused token is never tried twice.
            raise self._stopped.with_traceback(None)

    # --- turning answers into errors ---------------------------------------------------

    def _scrub(self, text: str, limit: int = 300) -> str:
        return redact(one_line(text, limit), self._token.reveal())

    def _address(self) -> str:
        """The API's scheme and host: what a lockout is per (with the caller's own address)."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    def _host_and_path(self) -> str:
        parts = urlsplit(self.base_url)
        return redact(f"{parts.scheme}://{parts.netloc}{parts.path}", self._token.reveal())

    def _transport_error(self, endpoint: str, failure: _Failure, retries: int) -> TransportError:
        if failure.fatal:
            return TransportError(
                f"Cannot call BacklinkBase ({endpoint}): {failure.reason}. {URL_HINT}.",
                endpoint=endpoint,
            )
        return TransportError(
            f"Could not reach BacklinkBase at {self._host_and_path()} ({endpoint}): "
            f"{failure.reason}{_after(retries)}. Check your network and BACKLINKBASE_API_URL, then try again.",
            endpoint=endpoint,
        )

    def _unexpected(self, endpoint: str, response: requests.Response,
                    body: Mapping[str, Any] | None) -> UnexpectedResponseError:
        kind = response.headers.get("Content-Type", "no content type").split(";")[0]
        detail = (
            f"success=false: {self._scrub(str(body.get('message')), 120)}"
            if body is not None else f"not JSON but {self._scrub(kind, 60)}"
        )
        return UnexpectedResponseError(
            f"BacklinkBase answered {endpoint} with HTTP {response.status_code}, {detail}. "
            f"{URL_HINT}, then try again.",
            status=response.status_code, endpoint=endpoint,
        )

    def _parse(self, endpoint: str, parser: Callable[[Mapping[str, Any]], T],
               body: Mapping[str, Any]) -> T:
        problem = ""
        try:
            return parser(body)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problem = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        # Raised outside the except block so no parsing exception is chained to it.
        raise UnexpectedResponseError(
            f"BacklinkBase's answer to {endpoint} is not in the documented shape "
            f"({self._scrub(problem, 120)}). Check BACKLINKBASE_API_URL points at BacklinkBase, "
            "then report it if it persists.",
            endpoint=endpoint,
        )

    def _error_for(self, endpoint: str, response: requests.Response, *, attempts: int = 0,
                   task_id: str | None = None, new: models.NewTask | None = None) -> ApiError:
        status = response.status_code
        body = _json_object(response) or {}
        server_message = body.get("message")
        server_message = self._scrub(server_message) if isinstance(server_message, str) else ""
        errors = {
            field: [self._scrub(m) for m in messages]
            for field, messages in normalise_errors(body.get("errors")).items()
        }
        said = "; ".join(
            text.rstrip(". ") for text in [server_message, *(m for ms in errors.values() for m in ms)] if text
        )
        quoted = f": {said}" if said else ""

        if status == 401:
            if "credit" in said.lower():
                return OutOfCreditsError(
                    f"BacklinkBase says the account is out of credits (401 on {endpoint}"
                    f"{quoted}). Add credits to the account, or use sandbox mode to try "
                    "without spending.",
                    status=status, endpoint=endpoint,
                )
            error = BadTokenError(
                f"BacklinkBase refused the API token (401 on {endpoint}{quoted}); no further "
                f"requests are sent with it. {TOKEN_HINT} and try again.",
                status=status, endpoint=endpoint,
            )
            with self._lock:
                self._stopped = self._stopped or error
            self._bad_tokens.record(self._address())
            return error
        if status == 404:
            if endpoint == "task/show" and body:
                return NotFoundError(
                    f"Task {self._scrub(task_id or '?', 60)!r} was not found (404 on task/show). "
                    "Check the task id in the sheet, and that BACKLINKBASE_API_TOKEN is the "
                    "account that created it.",
                    status=status, endpoint=endpoint,
                )
            return NotFoundError(
                f"BacklinkBase has no {endpoint} at {self._host_and_path()} (404). {URL_HINT}.",
                status=status, endpoint=endpoint,
            )
        if status == 409:
            cost = f"its {len(new.target_website_ids)} target sites cost" if new else "the targets cost"
            return InsufficientCreditsError(
                f"BacklinkBase refused the task: {cost} more credits than the account has "
                f"(409 on {endpoint}). Choose fewer target sites or add credits, then sync again.",
                status=status, endpoint=endpoint,
            )
        if status == 422:
            listed = "; ".join(
                f"{field}: {message.rstrip('. ')}" if field else message.rstrip(". ")
                for field, messages in errors.items()
                for message in messages
            ) or server_message.rstrip(". ") or "no details given"
            return ValidationFailedError(
                f"BacklinkBase rejected {endpoint} (422): {listed}. Fix these fields, then "
                "sync again.",
                errors,
                endpoint=endpoint,
            )
        if status == 429 and self._bad_tokens.recent(self._address()):
            return RateLimitedError(
                f"BacklinkBase is locking out this address (429 on {endpoint}{_after(attempts)}): "
                "it recently refused bad API tokens from here, and after more than 3 in a minute "
                f"it refuses every token for a while. {TOKEN_HINT}, wait a minute, and run again.",
                retry_after=_retry_after(response), status=status, endpoint=endpoint,
            )
        if status == 429:
            retry_after = _retry_after(response)
            return RateLimitedError(
                f"BacklinkBase is rate limiting this token (429 on {endpoint}"
                f"{_after(attempts)}). Wait a minute, and check that no other sync uses "
                "the same token at the same time.",
                retry_after=retry_after, status=status, endpoint=endpoint,
            )
        if status >= 500:
            return ServerError(
                f"BacklinkBase had a server error (HTTP {status} on {endpoint}"
                f"{_after(attempts)}). Try again later; if it persists, check the service's status.",
                status=status, endpoint=endpoint,
            )
        if 300 <= status < 400:
            return ApiError(
                f"BacklinkBase redirected {endpoint} (HTTP {status}) instead of answering. "
                f"{URL_HINT}, using the address the service moved to.",
                status=status, endpoint=endpoint,
            )
        return ApiError(
            f"BacklinkBase answered {endpoint} with HTTP {status}{quoted}. {URL_HINT}, then "
            "try again.",
            status=status, endpoint=endpoint,
        )


def _token_forms(token: str) -> tuple[bytes, ...]:
    """The byte forms in which an answer could carry `token`: raw, URL- and JSON-escaped."""
    if len(token) < 4:  # as in `redact`: shorter would mask ordinary words
        return ()
    escaped = json.dumps(token)[1:-1]
    forms = {token, quote(token, safe=""), quote_plus(token), escaped, escaped.replace("/", "\\/")}
    return tuple(sorted((f.encode("utf-8") for f in forms), key=len, reverse=True))


def _mask(content: bytes, forms: tuple[bytes, ...]) -> bytes:
    """`content` with every form of the token replaced: nothing a server echoes is stored."""
    for form in forms:
        if form in content:
            content = content.replace(form, PLACEHOLDER.encode("ascii"))
    return content


def _after(retries: int) -> str:
    if not retries:
        return ""
    return f" after {retries} {'retry' if retries == 1 else 'retries'}"


def _retry_after(response: requests.Response | None) -> float | None:
    if response is None:
        return None
    return parse_retry_after(response.headers.get("Retry-After"),
                             date_header=response.headers.get("Date"))


def _json_object(response: requests.Response) -> dict[str, Any] | None:
    """The answer as a JSON object, or None (HTML error pages, empty or broken bodies)."""
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
