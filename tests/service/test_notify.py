"""Digests through apprise's own json:// notifier, to an HTTP server the test runs."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from sheetsync.service.notify import apprise_sender, flush_digests
from sheetsync.service.state import State

T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def inbox():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length", 0))
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"json://127.0.0.1:{server.server_port}/", received
    server.shutdown()


def test_one_digest_a_day_per_sheet_and_kind(inbox, tmp_path):
    url, received = inbox
    send = apprise_sender([url])
    state = State(tmp_path / "s.sqlite3")
    state.add_event("acme.xlsx", "failed", "row 4 (task t1): 1 of 2 placements failed", T0)
    state.add_event("acme.xlsx", "failed", "row 7 (task t2): 2 of 2 placements failed", T0)
    state.add_event("acme.xlsx", "unreadable", "The sheet is locked", T0)
    labels = {"acme.xlsx": "Acme Ltd"}
    assert flush_digests(state, T0, send, labels) == 2
    titles = sorted(m["title"] for m in received)
    assert titles == ["sheetsync: Acme Ltd: placements failed", "sheetsync: Acme Ltd: sheet cannot be read"]
    failed = next(m for m in received if "failed" in m["title"])
    assert "row 4" in failed["message"] and "row 7" in failed["message"]
    # Later the same day: new events wait for tomorrow's digest.
    state.add_event("acme.xlsx", "failed", "row 9 (task t3): 1 of 1 placements failed", T0 + dt.timedelta(hours=2))
    assert flush_digests(state, T0 + dt.timedelta(hours=3), send, labels) == 0
    assert len(received) == 2
    assert flush_digests(state, T0 + dt.timedelta(days=1), send, labels) == 1
    assert "row 9" in received[-1]["message"] and "row 4" not in received[-1]["message"]


def test_a_token_in_an_event_never_reaches_the_message(inbox, tmp_path):
    url, received = inbox
    state = State(tmp_path / "s.sqlite3")
    state.add_event("s", "unreadable", "answer echoed secret-token-123456 back", T0)
    flush_digests(state, T0, apprise_sender([url]), {}, ["secret-token-123456"])
    assert "secret-token-123456" not in json.dumps(received)


def test_a_failed_delivery_is_retried_next_cycle(tmp_path):
    state = State(tmp_path / "s.sqlite3")
    state.add_event("s", "failed", "row 2 failed", T0)
    assert flush_digests(state, T0, lambda title, body: False, {}) == 0
    assert flush_digests(state, T0, lambda title, body: True, {}) == 1
