"""Google users for the service: one gspread client per credentials file, paced at the
Sheets quota (60 reads and 60 writes a minute per user) across all that user's sheets."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from requests.adapters import BaseAdapter

from ..pacing import SlidingWindowLimiter
from .changes import DriveFeed
from .config import SheetSpec

SHEETS = "https://sheets.googleapis.com/"
_READS = (":getByDataFilter", "/values:batchGet")


def is_read(request: requests.PreparedRequest) -> bool:
    """Google counts these against the read quota (a POST to getByDataFilter is a read)."""
    url = request.url or ""
    return request.method == "GET" or any(part in url for part in _READS)


class PacedAdapter(BaseAdapter):
    """Waits for a slot in the user's read or write window, then sends through `inner`."""

    def __init__(self, inner: BaseAdapter, reads: SlidingWindowLimiter, writes: SlidingWindowLimiter):
        super().__init__()
        self.inner, self.reads, self.writes = inner, reads, writes

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        (self.reads if is_read(request) else self.writes).acquire()
        return self.inner.send(request, **kwargs)

    def close(self) -> None:
        self.inner.close()


def pace_sheets(
    session: requests.Session, *, per_minute: int = 60, clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[SlidingWindowLimiter, SlidingWindowLimiter]:
    """Mount a pacing adapter for the Sheets API on `session`; returns (reads, writes) windows."""
    reads = SlidingWindowLimiter(per_minute, 61.0, clock=clock, sleep=sleep)
    writes = SlidingWindowLimiter(per_minute, 61.0, clock=clock, sleep=sleep)
    session.mount(SHEETS, PacedAdapter(session.get_adapter(SHEETS), reads, writes))
    return reads, writes


class GoogleUsers:
    """gspread clients and Drive feeds by credentials file (None: the default sign-in)."""

    def __init__(self, env: Mapping[str, str]):
        self.env = env
        self._clients: dict[str | None, tuple[Any, str]] = {}

    def _sign_in(self, credentials: str | None) -> tuple[Any, str]:
        if credentials not in self._clients:
            from ..tables.google_auth import sign_in

            client, email = sign_in(credentials, self.env, None)
            pace_sheets(client.http_client.session)
            self._clients[credentials] = (client, email or credentials or "default")
        return self._clients[credentials]

    def client(self, credentials: str | None) -> Any:
        return self._sign_in(credentials)[0]

    def drive(self, spec: SheetSpec) -> tuple[str, DriveFeed]:
        client, user = self._sign_in(spec.credentials)
        return user, DriveFeed(client.http_client.session)
