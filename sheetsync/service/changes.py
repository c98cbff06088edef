"""Which sheets changed since the last cycle, without reading them.

Google: the Drive change feed, one `changes.list` per Google user per cycle, whatever the
number of sheets (after one `changes.getStartPageToken`). Changes whose latest author is the
service's own user are its own write-backs and are ignored. xlsx: modification time and size.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import TableError

DRIVE = "https://www.googleapis.com/drive/v3/"
_FIELDS = "nextPageToken,newStartPageToken,changes(fileId,removed,time,file(id,lastModifyingUser(me,emailAddress)))"
MAX_PAGES = 20  # 20,000 changes a cycle; beyond that the hourly full pass catches up


def file_stat(path: str | Path) -> str:
    """`mtime_ns:size` of an xlsx file, or "missing"."""
    try:
        st = os.stat(path)
    except OSError:
        return "missing"
    return f"{st.st_mtime_ns}:{st.st_size}"


@dataclass
class ChangeSet:
    """What the feed said since the saved token."""

    changed: set[str] = field(default_factory=set)  # file ids someone else changed
    removed: set[str] = field(default_factory=set)  # no longer visible (unshared, deleted)
    own: int = 0  # changes by the service itself, ignored
    token: str = ""  # the token to save for next time
    requests: int = 0


class DriveFeed:
    """The Drive change feed of one Google user, through an authorised requests session."""

    def __init__(self, session: Any, timeout: float = 30.0):
        self.session = session
        self.timeout = timeout
        self.requests = 0

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        self.requests += 1
        try:
            response = self.session.request("GET", DRIVE + path, params=params, timeout=self.timeout)
        except Exception as exc:  # noqa: BLE001 - any transport failure means "try next cycle"
            raise TableError(f"The Drive change feed could not be reached ({type(exc).__name__}); the next cycle tries again.") from None
        if response.status_code == 403 and "accessNotConfigured" in response.text:
            raise TableError(
                "The Drive API is not enabled for these credentials' project; enable it in the Google "
                "Cloud console (APIs & Services > Library > Google Drive API)."
            )
        if response.status_code != 200:
            raise TableError(f"The Drive change feed answered HTTP {response.status_code}; the next cycle tries again.")
        body = response.json()
        return body if isinstance(body, dict) else {}

    def start_token(self) -> str:
        """The token from which later changes are listed (`changes.getStartPageToken`)."""
        token = self._get("changes/startPageToken", {"supportsAllDrives": "true"}).get("startPageToken")
        if not isinstance(token, str) or not token:
            raise TableError("The Drive change feed gave no start page token; the next cycle tries again.")
        return token

    def since(self, token: str) -> ChangeSet:
        """Every change after `token` (all pages), and the token to save."""
        out = ChangeSet()
        before = self.requests
        page: str | None = token
        for _ in range(MAX_PAGES):
            body = self._get("changes", {
                "pageToken": page or token, "pageSize": "1000", "fields": _FIELDS, "includeRemoved": "true",
                "supportsAllDrives": "true", "includeItemsFromAllDrives": "true", "spaces": "drive",
            })  # fmt: skip
            for change in body.get("changes") or ():
                file_id = str(change.get("fileId") or "")
                if not file_id:
                    continue
                if change.get("removed"):
                    out.removed.add(file_id)
                    continue
                author = ((change.get("file") or {}).get("lastModifyingUser") or {})
                if author.get("me"):
                    out.own += 1
                else:
                    out.changed.add(file_id)
            if body.get("newStartPageToken"):
                out.token = str(body["newStartPageToken"])
                break
            page = body.get("nextPageToken")
            if not page:
                break
            out.token = str(page)
        out.token = out.token or token
        out.requests = self.requests - before
        return out
