"""Turn library results into what a person reads (rich tables) or a script reads (JSON).

Pure formatting: every function takes values and returns a renderable or a JSON-ready dict;
printing is the caller's business.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import enum
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.table import Table as RichTable
from rich.text import Text

from .models import Catalogue, Health, Site
from .redact import redact


def jsonable(value: Any) -> Any:
    """Plain JSON types for dataclasses, enums, dates and containers."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value) if f.repr}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if hasattr(value, "to_dict"):
        return jsonable(value.to_dict())
    return value


def dumps(document: Mapping[str, Any]) -> str:
    """One JSON document, stable key order, UTF-8 text as is."""
    return json.dumps(jsonable(document), indent=2, ensure_ascii=False, sort_keys=False)


# --- API facts ----------------------------------------------------------------------------


def filter_sites(
    catalogue: Catalogue,
    *,
    min_da: int | None = None,
    max_spam: int | None = None,
    include_disabled: bool = False,
) -> list[Site]:
    """Sites worth showing: enabled only unless asked, by DA (highest first) then id."""
    chosen = [
        site
        for site in catalogue.sites
        if (include_disabled or site.enabled)
        and (min_da is None or site.da >= min_da)
        and (max_spam is None or site.spam_score <= max_spam)
    ]
    return sorted(chosen, key=lambda s: (-s.da, s.id))


def no_sites_line(
    catalogue: Catalogue, *, min_da: int | None, max_spam: int | None, include_disabled: bool
) -> str:
    """Why `sites` shows nothing: which filters matched no site, and how far off they are."""
    pool = [s for s in catalogue.sites if include_disabled or s.enabled]
    if not pool:
        return "No site matched: the catalogue has no enabled sites (--all shows the disabled ones)."
    filters = [f"--min-da {min_da}"] if min_da is not None else []
    filters += [f"--max-spam {max_spam}"] if max_spam is not None else []
    which = "enabled " if not include_disabled else ""
    facts = [f"the highest DA is {max(s.da for s in pool)}"] if min_da is not None else []
    facts += [f"the lowest spam score is {min(s.spam_score for s in pool)}"] if max_spam is not None else []
    return (
        f"No site matched {' '.join(filters)} among {len(pool)} {which}sites"
        + (f" ({', '.join(facts)})" if facts else "")
        + "; loosen the filter and run again."
    )


def site_dict(site: Site) -> dict[str, Any]:
    return {
        "id": site.id,
        "url": site.url,
        "da": site.da,
        "pa": site.pa,
        "spam_score": site.spam_score,
        "enabled": site.enabled,
        "limited": site.limited,
    }


SITE_CSV_HEADER = ("id", "url", "da", "pa", "spam_score", "enabled", "limited")
# What a spreadsheet opening the CSV would take for the start of a formula (OWASP's list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A value safe to open in a spreadsheet: text that would start a formula gets a leading '."""
    if not isinstance(value, str):
        return value
    if value.startswith(_FORMULA_START):
        value = "'" + value
    # The csv module leaves a lone CR unquoted, and readers take it for the end of the line.
    return value.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")


def sites_csv(sites: Sequence[Site], *secrets: str) -> str:
    """The catalogue as CSV; a site URL can never run as a formula or show a secret."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SITE_CSV_HEADER)
    for site in sites:
        row = site_dict(site)
        writer.writerow([csv_cell(redact(row[k], *secrets) if isinstance(row[k], str) else row[k])
                         for k in SITE_CSV_HEADER])
    return buffer.getvalue()


def sites_table(sites: Sequence[Site], *, title: str | None = None) -> RichTable:
    table = RichTable(title=title, title_justify="left")
    for name, justify in (("id", "right"), ("site", "left"), ("DA", "right"), ("PA", "right"),
                          ("spam", "right"), ("state", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for site in sites:
        state = "enabled" if site.enabled else "disabled"
        if site.limited:
            state += ", limited"
        table.add_row(str(site.id), site.url, str(site.da), str(site.pa), str(site.spam_score), state)
    return table


def health_dict(health: Health, api_url: str) -> dict[str, Any]:
    return {
        "ok": health.ok,
        "server_time": health.server_time.isoformat() if health.server_time else None,
        "api_url": api_url,
    }


def health_line(health: Health, api_url: str) -> str:
    when = f" (server time {health.server_time:%Y-%m-%d %H:%M:%S} UTC)" if health.server_time else ""
    state = "is up" if health.ok else "answered but says it is not healthy"
    return f"BacklinkBase at {api_url} {state}{when}."


# --- runs ---------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def rows_table(rows: Iterable[Any], *, title: str | None = None) -> RichTable:
    """One line per row outcome: row, action, task id, status and the message for people."""
    table = RichTable(title=title, title_justify="left", show_lines=False)
    table.add_column("row", justify="right")
    table.add_column("action")
    table.add_column("task")
    table.add_column("status")
    table.add_column("notes", overflow="fold")
    for outcome in rows:
        table.add_row(
            _cell(getattr(outcome, "row", "")),
            _cell(getattr(outcome, "action", "")),
            _cell(getattr(outcome, "task_id", "")),
            _cell(getattr(outcome, "status", "")),
            Text(_cell(getattr(outcome, "message", ""))),
        )
    return table


def pairs_table(pairs: Sequence[tuple[str, Any]], *, title: str | None = None) -> RichTable:
    """A two-column key/value table for summaries."""
    table = RichTable(title=title, title_justify="left", show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for key, value in pairs:
        table.add_row(key, _cell(value))
    return table


def plan_table(plan: Mapping[str, Any], *, title: str | None = None) -> RichTable:
    """The plan's rows: what would happen to each, its targets and its cost."""
    table = RichTable(title=title, title_justify="left")
    table.add_column("row", justify="right")
    table.add_column("action")
    table.add_column("targets")
    table.add_column("cost", justify="right")
    table.add_column("why / what", overflow="fold")
    for item in plan.get("rows", []):
        targets = ", ".join(str(t) for t in item.get("targets") or [])
        cost = item.get("cost") or 0
        table.add_row(
            _cell(item.get("row")), _cell(item.get("action")), targets,
            str(cost) if cost else "", Text(_cell(item.get("message"))),
        )
    return table


def plan_summary(plan: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Totals under the plan table: counts by action, cost against what may be spent."""
    counts = plan.get("counts") or {}
    balance = plan.get("balance")
    limit = plan.get("max_credits")
    cost = plan.get("cost") or 0
    spend = f"{cost} credit(s)" + (" (sandbox: free)" if plan.get("mode") == "sandbox" else "")
    if balance is not None:
        spend += f" of {balance} left"
    if limit is not None:
        spend += f", --max-credits {limit}"
    pairs: list[tuple[str, Any]] = [
        ("mode", plan.get("mode", "")),
        ("rows", ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "none"),
        ("cost", spend),
        ("requests", f"about {plan.get('expected_requests', '?')} BacklinkBase request(s)"),
    ]
    for note in plan.get("notes") or []:
        pairs.append(("note", note))
    return pairs


def sheet_rows_table(rows: Sequence[Mapping[str, str]], *, title: str | None = None) -> RichTable:
    """Rows as the sheet shows them: title, status, progress, result URLs and notes."""
    table = RichTable(title=title, title_justify="left", show_lines=True)
    table.add_column("row", justify="right")
    table.add_column("title", overflow="fold", max_width=30)
    table.add_column("status")
    table.add_column("progress")
    table.add_column("result URLs / notes", overflow="fold")
    for row in rows:
        detail = "\n".join(part for part in (row.get("result_urls", ""), row.get("notes", "")) if part)
        table.add_row(
            row.get("row", ""), row.get("article_title", ""), row.get("status", ""),
            row.get("progress", ""), Text(detail),
        )
    return table


def eta_seconds(done: int, total: int, observed: float | None, rate_limit: int) -> float:
    """Seconds left: the observed pace, but never faster than the rate limit allows.

    Each remaining row costs about one request and at most `rate_limit` go out a minute
    (0 = no limit), so early, fast requests do not promise an ETA the limiter will break.
    """
    remaining = max(total - done, 0)
    floor = remaining * 60.0 / rate_limit if rate_limit else 0.0
    return max(observed or 0.0, floor)
