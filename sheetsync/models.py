"""Typed values exchanged with BacklinkBase, and normalisation of what the API sends.

The API reference documents two status vocabularies and two timestamp shapes; everything
past the client speaks only the types defined here.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field


class Status(enum.Enum):
    """One vocabulary for tasks and placements, in the words people in the sheet know."""

    QUEUED = "Queued"
    PUBLISHING = "Publishing"
    PUBLISHED = "Published"
    FAILED = "Failed"
    CANCELLED = "Cancelled"

    @property
    def is_final(self) -> bool:
        return self in (Status.PUBLISHED, Status.FAILED, Status.CANCELLED)

    def __str__(self) -> str:
        return self.value


# Both documented vocabularies (task: queued/running/completed/failed/cancelled; placement and
# task list: Queued Publishing/Publishing/Published/Cancelled/Failed), compared case-blind.
_STATUS_WORDS: dict[str, Status] = {
    "queued": Status.QUEUED,
    "queued publishing": Status.QUEUED,
    "pending": Status.QUEUED,
    "running": Status.PUBLISHING,
    "publishing": Status.PUBLISHING,
    "completed": Status.PUBLISHED,
    "published": Status.PUBLISHED,
    "failed": Status.FAILED,
    "cancelled": Status.CANCELLED,
    "canceled": Status.CANCELLED,
}


def parse_status(raw: str) -> Status:
    """Map either documented status vocabulary onto `Status`; ValueError for anything else."""
    key = " ".join(str(raw).replace("_", " ").split()).lower()
    try:
        return _STATUS_WORDS[key]
    except KeyError:
        raise ValueError(f"unknown status {raw!r}") from None


def parse_timestamp(raw: str | None) -> dt.datetime | None:
    """Parse the API's ISO-8601 UTC timestamps, with or without microseconds, to aware UTC."""
    if raw is None or raw == "":
        return None
    text = str(raw).strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


@dataclass(frozen=True)
class Site:
    """One target website of the catalogue (`task/sites`)."""

    id: int
    url: str
    da: int
    pa: int
    spam_score: int
    enabled: bool
    limited: bool


@dataclass(frozen=True)
class Placement:
    """One task x target site, as `task/show` lists it under `sites`."""

    site_id: int
    status: Status
    result_url: str | None
    schedule_at: dt.datetime | None
    last_run_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None


@dataclass(frozen=True)
class Article:
    title: str
    body: str
    urls: tuple[str, ...]


@dataclass(frozen=True)
class TaskSummary:
    """One entry of the task list (`tasks`): no article, no placements."""

    id: str
    name: str
    status: Status
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    last_run_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None


@dataclass(frozen=True)
class Task(TaskSummary):
    """Full task details (`task/show`)."""

    article: Article | None = None
    placements: tuple[Placement, ...] = ()


@dataclass(frozen=True)
class NewTask:
    """What `task/store` needs. The client turns lists into the documented comma strings."""

    name: str
    article_title: str
    article_body: str
    article_urls: tuple[str, ...]
    target_website_ids: tuple[int, ...]
    schedule_from: dt.date | None = None
    schedule_till: dt.date | None = None
    sandbox: bool = False

    @property
    def cost(self) -> int:
        """Credits this task costs when not in sandbox: one per target site."""
        return 0 if self.sandbox else len(self.target_website_ids)


@dataclass(frozen=True)
class Health:
    ok: bool
    server_time: dt.datetime | None


@dataclass(frozen=True)
class Catalogue:
    """The site catalogue indexed by id."""

    sites: tuple[Site, ...] = ()
    by_id: dict[int, Site] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {site.id: site for site in self.sites})

    def get(self, site_id: int) -> Site | None:
        return self.by_id.get(site_id)
