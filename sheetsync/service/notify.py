"""Digests through apprise: at most one message a day per sheet and kind, not one per event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

from ..redact import redact
from .state import State

KINDS = {
    "failed": "placements failed",
    "lost": "links lost",
    "credits": "credits running low",
    "budget": "monthly budget reached",
    "unreadable": "sheet cannot be read",
}

#: (title, body) -> whether it was delivered
Send = Callable[[str, str], bool]


def apprise_sender(urls: Sequence[str]) -> Send | None:
    """A sender for the apprise URLs in the config; None when there are none."""
    if not urls:
        return None
    import apprise

    box = apprise.Apprise()
    for url in urls:
        box.add(url)

    def send(title: str, body: str) -> bool:
        return bool(box.notify(title=title, body=body))

    return send


def flush_digests(
    state: State, now: dt.datetime, send: Send | None, labels: Mapping[str, str], secrets: Sequence[str] = ()
) -> int:
    """Send one digest per (sheet, kind) with news, unless one went out today; count sent."""
    day = now.astimezone(dt.timezone.utc).date().isoformat()
    sent = 0
    for (sheet, kind), events in state.unsent().items():
        if send is None:
            state.digest_sent(sheet, kind, state.digest_day(sheet, kind) or "", [e[0] for e in events])
            continue
        if state.digest_day(sheet, kind) == day:
            continue
        label = labels.get(sheet, sheet)
        title = f"sheetsync: {label}: {KINDS.get(kind, kind)}"
        lines = [f"- {at[:16].replace('T', ' ')} UTC: {text}" for _, at, text in events[-50:]]
        if len(events) > 50:
            lines.insert(0, f"({len(events) - 50} earlier events not shown)")
        body = redact("\n".join(lines), *secrets)
        if send(redact(title, *secrets), body):
            state.digest_sent(sheet, kind, day, [e[0] for e in events])
            sent += 1
    return sent
