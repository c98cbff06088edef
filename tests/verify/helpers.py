"""Building pulled placements by hand, and checking them with a real Verifier."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sheetsync import models
from sheetsync.hooks import PulledTask, PullExtras
from sheetsync.sheet import ArticleRow
from sheetsync.verify import History, Policy, Verifier

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)
LINK = "https://acme.com/product"


def article_row(key: str = "ss-test0001", urls: tuple[str, ...] = (LINK,), row: int = 2) -> ArticleRow:
    return ArticleRow(
        row=row, key=key, task_id="t1", mode="live", ready=True, name="", title="A title of four",
        body="<p>b</p>", urls=urls, target_ids=(372,), schedule_from=None, schedule_till=None,
        anchor="A title of four", owned={}, problems=(),
    )  # fmt: skip


def pulled(
    *urls: str | None, links: tuple[str, ...] = (LINK,), task_id: str = "t1", mode: str = "live",
    status: models.Status = models.Status.PUBLISHED,
) -> PulledTask:
    placements = tuple(
        models.Placement(372 + i, status if url is not None else models.Status.QUEUED, url, None, NOW)
        for i, url in enumerate(urls)
    )
    return PulledTask(article_row(urls=links), task_id, mode, placements)


def verifier(history: History | None = None, **policy: Any) -> Verifier:
    policy.setdefault("pause", 0.0)
    policy.setdefault("private", "loopback")
    budget = policy.pop("budget", 30.0)
    check_all = policy.pop("check_all", False)
    return Verifier(history or History(":memory:"), Policy(**policy), budget=budget, check_all=check_all)


def check(*urls: str | None, at: dt.datetime = NOW, v: Verifier | None = None, **kw: Any) -> tuple[Verifier, PullExtras]:
    """Check placements on `urls` once (one placement per URL); return the verifier and extras."""
    links = kw.pop("links", (LINK,))
    v = v or verifier(**kw)
    extras = v([pulled(*urls, links=links)], at)
    return v, extras


def cell(extras: PullExtras, site_id: int = 372, name: str = "link_status", task_id: str = "t1") -> str:
    return extras.placement_cells[(task_id, site_id)].get(name, "")
