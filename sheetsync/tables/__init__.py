"""Spreadsheet backends behind one interface: `open_table("path.xlsx" or a Sheets URL/key)`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import TableError
from .base import Grid, RowWrite, Tab, Table, Unreadable, WriteBack, WriteResult

__all__ = ["Grid", "RowWrite", "Tab", "Table", "Unreadable", "WriteBack", "WriteResult", "open_table"]

# /spreadsheets/u/1/d/<key>: the URL a browser signed in to several Google accounts shows.
_SHEETS_URL = re.compile(r"https://docs\.google\.com/spreadsheets/(?:u/\d+/)?d/([A-Za-z0-9_-]+)")
# Google spreadsheet keys are long base64url strings; nothing a file name would look like.
_SHEETS_KEY = re.compile(r"^[A-Za-z0-9_-]{30,}$")


def open_table(
    spec: str,
    worksheet: str | None = None,
    *,
    credentials: str | None = None,
    force: bool = False,
    **google_options: Any,
) -> Table:
    """Open an .xlsx/.xlsm path or a Google Sheets URL/key; `worksheet` is a tab name."""
    text = spec.strip()
    if _SHEETS_URL.match(text) or _SHEETS_KEY.match(text):
        from .gsheets import open_google_sheet

        return open_google_sheet(text, worksheet, credentials=credentials, **google_options)
    path = Path(text).expanduser()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from .xlsx import XlsxTable

        return XlsxTable(path, worksheet, force=force)
    raise TableError(
        f"{spec!r} is neither an .xlsx/.xlsm file nor a Google Sheets URL or key; "
        "pass a path like articles.xlsx or a URL like https://docs.google.com/spreadsheets/d/…"
    )
