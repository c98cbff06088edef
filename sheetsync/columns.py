"""The sheet's columns: the ones people fill in and the ones the tool owns.

Columns are found by header name, never by position. Aliases and header matching live in
`sheet.py`; these are the canonical names, and the header text written for owned columns.
"""

from __future__ import annotations

# Filled in by people.
NAME = "name"
ARTICLE_TITLE = "article_title"
ARTICLE_BODY = "article_body"
ARTICLE_URLS = "article_urls"
TARGET_WEBSITE_IDS = "target_website_ids"
SCHEDULE_FROM = "schedule_from"
SCHEDULE_TILL = "schedule_till"
READY = "ready"

INPUT_COLUMNS = (
    NAME,
    ARTICLE_TITLE,
    ARTICLE_BODY,
    ARTICLE_URLS,
    TARGET_WEBSITE_IDS,
    SCHEDULE_FROM,
    SCHEDULE_TILL,
    READY,
)
REQUIRED_COLUMNS = (ARTICLE_TITLE, ARTICLE_BODY, ARTICLE_URLS, TARGET_WEBSITE_IDS)

# Owned by the tool: appended to the right when missing, and the only cells it ever writes.
ROW_KEY = "row_key"
TASK_ID = "task_id"
MODE = "mode"  # "live" or "sandbox"
STATUS = "status"
PROGRESS = "progress"
RESULT_URLS = "result_urls"
LAST_SYNCED = "last_synced"
NOTES = "notes"

OUTPUT_COLUMNS = (ROW_KEY, TASK_ID, MODE, STATUS, PROGRESS, RESULT_URLS, LAST_SYNCED, NOTES)

# The second tab: one line per task x target site.
PLACEMENTS_TAB = "Placements"
PLACEMENT_COLUMNS = (
    "row_key",
    "task_id",
    "site_id",
    "site_url",
    "status",
    "result_url",
    "scheduled",
    "completed",
)
