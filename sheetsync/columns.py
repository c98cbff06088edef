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
#: Ticked by whoever approves spending: optional, outside the template's INPUT_COLUMNS, and
#: read only by an approval gate (`plan.build(gate=...)`, as the service's `approve_above`).
APPROVED = "approved"

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

# Owned too, but added only once a post-pull step (the link checker) has something to say.
# Not "links": people already use that header for article_urls.
LINK_HEALTH = "link_health"  # e.g. "3/3 live", "1 lost since 2026-12-04"
EXTRA_COLUMNS = (LINK_HEALTH,)
OWNED_COLUMNS = OUTPUT_COLUMNS + EXTRA_COLUMNS

# Placements columns a post-pull step fills (the link checker); blank without one.
PLACEMENT_CHECK_COLUMNS = (
    "link_status",
    "checked_at",
    "live_since",
    "lost_since",
    "check_note",
    "anchor_text",
)

# The second tab: one line per task x target site.
PLACEMENTS_TAB = "Placements"
PLACEMENT_COLUMNS = (
    "row_key",
    "article_title",
    "task_id",
    "site_id",
    "site_url",
    "status",
    "result_url",
    "scheduled",
    "completed",
    *PLACEMENT_CHECK_COLUMNS,
)
# Placements columns holding a UTC minute ("2026-12-01T09:00Z"); xlsx shows them as date-times.
PLACEMENT_TIME_COLUMNS = ("scheduled", "completed", "checked_at", "live_since", "lost_since")
# The header an earlier version wrote (no article_title): still sheetsync's own tab.
OLD_PLACEMENT_COLUMNS = tuple(c for c in PLACEMENT_COLUMNS if c != "article_title")
