"""The tabs that answer people's questions without a terminal: Sites and Summary. Pure.

Both are rebuilt from what a sync already knows (the catalogue it fetched, the run's outcomes,
the placements it followed) and written only when their text changed, so a sync in which
nothing changed still makes no sheet write.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from . import models
from .tables.base import Tab

SITES_TAB = "Sites"
SITES_HEADER = ("id", "domain", "da", "pa", "spam_score", "enabled", "limited", "credits")
SITES_WIDTHS = (8, 34, 6, 6, 11, 9, 9, 9)
#: Sorted and filtered as numbers in the sheet.
SITES_NUMBERS = ("id", "da", "pa", "spam_score", "credits")
SUMMARY_TAB = "Summary"
SUMMARY_HEADER = ("what", "value")
SUMMARY_WIDTHS = (34, 90)
#: Problems listed in the Summary at most (the rest: "and N more").
MAX_PROBLEMS = 30


def domain(url: str) -> str:
    """A site's domain as the Sites tab shows it: 'https://www.example.org/' -> 'example.org'."""
    host = urlsplit(url if "//" in url else f"//{url}").hostname or url
    return host.lower().removeprefix("www.")


def sorted_sites(sites: Iterable[models.Site]) -> list[models.Site]:
    """As `sheetsync sites` lists them: enabled first, highest DA first, then by id."""
    return sorted(sites, key=lambda s: (not s.enabled, -s.da, s.id))


def sites_tab(catalogue: models.Catalogue) -> Tab:
    """The whole catalogue, one site a row; an article costs one credit per site."""
    rows = tuple(
        (str(s.id), domain(s.url), str(s.da), str(s.pa), str(s.spam_score),
         "yes" if s.enabled else "no", "yes" if s.limited else "no", "1")
        for s in sorted_sites(catalogue.sites)
    )  # fmt: skip
    return Tab(SITES_TAB, SITES_HEADER, rows, widths=SITES_WIDTHS, numbers=SITES_NUMBERS)


def month_spending(previous: str, month: str, spent: int) -> dict[str, int]:
    """The credits spent per month (journal state text), with this run's `spent` added."""
    try:
        by_month = {str(k): int(v) for k, v in json.loads(previous or "{}").items()}
    except (ValueError, AttributeError, TypeError):
        by_month = {}
    if spent:
        by_month[month] = by_month.get(month, 0) + spent
    return by_month


def summary_tab(
    *,
    balance: int | None,
    balance_at: str,
    by_month: Mapping[str, int],
    row_statuses: Sequence[str],
    placement_statuses: Sequence[str],
    links: Mapping[str, int] | None,
    problems: Sequence[str],
    changed_at: dt.datetime,
) -> Tab:
    """What a person asks first: credits, costs, where the rows are, what needs them."""
    lines: list[tuple[str, str]] = []
    credit_text = f"{balance} (at {balance_at})" if balance is not None else "not known yet (sync once with credits to spend)"
    lines.append(("Credits left", credit_text))
    lines.append(("Last sync that changed something", changed_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")))
    lines.append(("", ""))
    lines.append(("Credits spent per month", ""))
    for month in sorted(by_month, reverse=True):
        lines.append((f"  {month}", str(by_month[month])))
    if not by_month:
        lines.append(("  (none yet)", ""))
    lines.append(("", ""))
    lines.append(("Rows per status", ""))
    for status, n in sorted(Counter(s or "not sent" for s in row_statuses).items()):
        lines.append((f"  {status}", str(n)))
    lines.append(("", ""))
    lines.append(("Placements per status", ""))
    for status, n in sorted(Counter(placement_statuses).items()):
        lines.append((f"  {status}", str(n)))
    if not placement_statuses:
        lines.append(("  (none yet)", ""))
    if links:
        lines.append(("", ""))
        lines.append(("Published links (last check)", ""))
        for state, n in sorted(links.items()):
            lines.append((f"  {state}", str(n)))
    lines.append(("", ""))
    lines.append(("Problems in the last run", "" if problems else "none"))
    for problem in problems[:MAX_PROBLEMS]:
        lines.append(("", problem))
    if len(problems) > MAX_PROBLEMS:
        lines.append(("", f"and {len(problems) - MAX_PROBLEMS} more; see the notes column"))
    return Tab(SUMMARY_TAB, SUMMARY_HEADER, tuple(lines), widths=SUMMARY_WIDTHS)


def digest_without_time(tab: Tab) -> str:
    """The Summary's text without its time stamp: a sync that changed nothing rewrites nothing."""
    import hashlib

    h = hashlib.sha256()
    for line in (tab.header, *tab.rows):
        if line and line[0] == "Last sync that changed something":
            continue
        h.update("\x1f".join(line).encode("utf-8") + b"\x1e")
    return h.hexdigest()
