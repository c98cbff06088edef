"""The Drive API's change feed, faked beside `FakeSheets` as Google documents it.

`changes.getStartPageToken` gives a page token; `changes.list?pageToken=T` gives the changes
since T, one entry per file (its latest state), in pages of `pageSize` with `nextPageToken`,
and `newStartPageToken` on the last page. Every write through the fake Sheets API is a change
by the user whose credentials sent it; a person's edit is `edit(spreadsheet_id, email)`; a
file unshared or deleted shows as `removed: true`. `file.lastModifyingUser.me` is true when
the user asking made the latest change. `fields` masks the answer as Google does.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter

from .fake_sheets import FakeSheets, apply_fields, parse_fields

DRIVE_HOST = "https://www.googleapis.com/drive/v3/"
_SPREADSHEET = "application/vnd.google-apps.spreadsheet"


@dataclass(frozen=True)
class _Change:
    number: int
    file_id: str
    user: str  # the Authorization header of the writer, or a person's e-mail
    time: dt.datetime
    removed: bool


def _email(user: str) -> str:
    return user.removeprefix("Bearer ").strip() or "anonymous"


class FakeDrive:
    """The change feed of the spreadsheets in `sheets`; `mount(session)` routes Drive to it."""

    def __init__(self, sheets: FakeSheets):
        self.sheets = sheets
        self.changes: list[_Change] = []
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        sheets.write_listeners.append(lambda sid, user: self._record(sid, user, removed=False))

    # -- what happens to files
    def _record(self, file_id: str, user: str, *, removed: bool) -> None:
        with self._lock:
            self.changes.append(_Change(len(self.changes) + 1, file_id, user, self.sheets.clock.now(), removed))

    def edit(self, spreadsheet_id: str, email: str) -> None:
        """A person (`email`) changed the spreadsheet (after editing the store directly)."""
        self._record(spreadsheet_id, email, removed=False)

    def unshare(self, spreadsheet_id: str) -> None:
        """The spreadsheet is no longer shared with the service: Sheets says 403, Drive "removed"."""
        self.sheets.book(spreadsheet_id).shared = False
        self._record(spreadsheet_id, "owner@example.com", removed=True)

    # -- the API
    def serve(self, method: str, url: str, headers: Any) -> tuple[int, Any]:
        parts = urlsplit(url)
        query = parse_qs(parts.query, keep_blank_values=True)
        me = str((headers or {}).get("Authorization", "")) or "anonymous"
        path = parts.path.removeprefix("/drive/v3/")
        if method == "GET" and path == "changes/startPageToken":
            self.counts["changes.getStartPageToken"] += 1
            with self._lock:
                token = str(len(self.changes) + 1)
            return 200, {"kind": "drive#startPageToken", "startPageToken": token}
        if method == "GET" and path == "changes":
            self.counts["changes.list"] += 1
            return self._list(query, me)
        return 404, {"error": {"code": 404, "message": "Not Found", "errors": [{"reason": "notFound"}]}}

    def _list(self, query: dict[str, list[str]], me: str) -> tuple[int, Any]:
        token = (query.get("pageToken") or [""])[0]
        if not token.isdigit() or int(token) < 1:
            return 400, {"error": {"code": 400, "message": f"Invalid Value: pageToken {token!r}",
                                   "errors": [{"reason": "invalid", "location": "pageToken"}]}}  # fmt: skip
        size = max(1, min(1000, int((query.get("pageSize") or ["100"])[0])))
        with self._lock:
            after = [c for c in self.changes if c.number >= int(token)]
            end = len(self.changes) + 1
        page = after[:size]
        latest: dict[str, _Change] = {}
        for c in page:  # Google reports a file once, in its latest state
            latest.pop(c.file_id, None)
            latest[c.file_id] = c
        body: dict[str, Any] = {"kind": "drive#changeList", "changes": [self._resource(c, me) for c in latest.values()]}
        if len(after) > size:
            body["nextPageToken"] = str(page[-1].number + 1)
        else:
            body["newStartPageToken"] = str(end)
        mask = (query.get("fields") or [None])[0]
        return 200, apply_fields(body, parse_fields(mask)) if mask else body

    def _resource(self, c: _Change, me: str) -> dict[str, Any]:
        when = c.time.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        change: dict[str, Any] = {"kind": "drive#change", "changeType": "file", "type": "file", "time": when,
                                  "fileId": c.file_id, "removed": c.removed}  # fmt: skip
        book = self.sheets.spreadsheets.get(c.file_id)
        if c.removed or book is None or not book.shared:
            change["removed"] = True
            return change
        email = _email(c.user)
        change["file"] = {
            "kind": "drive#file", "id": c.file_id, "name": book.title, "mimeType": _SPREADSHEET,
            "modifiedTime": when,
            "lastModifyingUser": {"kind": "drive#user", "displayName": email.split("@")[0],
                                  "emailAddress": email, "me": c.user == me},
        }  # fmt: skip
        return change

    def mount(self, session: requests.Session) -> requests.Session:
        session.mount(DRIVE_HOST, _DriveAdapter(self))
        return session


class _DriveAdapter(BaseAdapter):
    def __init__(self, drive: FakeDrive):
        super().__init__()
        self.drive = drive

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        status, body = self.drive.serve(request.method or "GET", request.url or "", request.headers)
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode("utf-8")
        response.headers = requests.structures.CaseInsensitiveDict({"Content-Type": "application/json; charset=UTF-8"})
        response.encoding = "utf-8"
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass


