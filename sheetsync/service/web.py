"""`serve --http`: a read-only status page and `/healthz` JSON, from the state database.

Served by werkzeug in a thread beside the loop; it only reads (its own read-only connection),
so a slow browser never holds up a cycle.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import threading
from collections.abc import Callable
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from .config import ServiceConfig
from .state import State
from .status import snapshot


def _cell(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def page(doc: dict[str, Any]) -> str:
    """The status page's HTML (no script, no outside resources)."""
    rows = "".join(
        f"<tr class=\"{'problem' if s['problem'] else 'ok'}\"><td>{_cell(s['label'])}</td><td>{_cell(s['account'])}</td>"
        f"<td>{_cell(s['last_run'])}</td><td>{_cell(s['next_run'])}</td><td>{s['pending']}</td>"
        f"<td>{s['unfinished']}</td><td>{_cell(s['problem'])}</td></tr>"
        for s in doc["sheets"]
    )
    accounts = "".join(
        f"<tr><td>{_cell(a['account'])}</td><td>{_cell(a['credits'])}</td><td>{a['spent']}"
        f"{' of ' + str(a['monthly_budget']) if a['monthly_budget'] is not None else ''}</td>"
        f"<td>{_cell(', '.join(f'{c}: {n}' for c, n in a['spent_by_client'].items()))}</td>"
        f"<td>{_cell(a['problem'])}</td></tr>"
        for a in doc["accounts"]
    )
    health = "running" if doc["ok"] else "late: no cycle finished recently"
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>sheetsync status</title>"
        "<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}tr.problem{background:#fee}</style></head><body>"
        f"<h1>sheetsync</h1><p id=health>Service: {health}; last cycle {_cell(doc['last_cycle'])}, "
        f"next {_cell(doc['next_cycle'])}.</p>"
        "<h2>Sheets</h2><table id=sheets><tr><th>sheet</th><th>account</th><th>last run</th><th>next run</th>"
        f"<th>rows pending</th><th>tasks unfinished</th><th>problem</th></tr>{rows}</table>"
        "<h2>Accounts</h2><table id=accounts><tr><th>account</th><th>credits</th><th>spent this month</th>"
        f"<th>by client</th><th>problem</th></tr>{accounts}</table></body></html>"
    )


def app(config: ServiceConfig, now: Callable[[], dt.datetime]) -> Callable[..., Any]:
    """The WSGI app; each request opens the state database read-only."""

    @Request.application  # type: ignore[arg-type]
    def application(request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return Response("read-only\n", status=405, headers={"Allow": "GET, HEAD"})
        state = State(config.state, readonly=True)
        try:
            doc = snapshot(config, state, now())
        finally:
            state.close()
        if request.path == "/healthz":
            return Response(json.dumps(doc, indent=1), status=200 if doc["ok"] else 503, mimetype="application/json")
        if request.path == "/":
            return Response(page(doc), mimetype="text/html")
        return Response("not found\n", status=404)

    return application


class StatusServer:
    """The page served on host:port in a daemon thread; `close()` stops it."""

    def __init__(self, config: ServiceConfig, address: str, now: Callable[[], dt.datetime]):
        host, _, port = address.rpartition(":")
        self.server = make_server(host or "127.0.0.1", int(port or 8788), app(config, now), threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(5)
