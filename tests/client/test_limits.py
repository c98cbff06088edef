"""Every request ends by its deadline and reads a bounded answer; an echoed token goes no further."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from sheetsync.errors import SubmissionOutcomeUnknownError, TransportError

from .fakeserver import Endless, Reply, Trickle
from .test_client import NEW, TASK


def test_a_trickling_answer_ends_at_the_deadline(api, make_client):
    # One byte every 0.25 s never trips a 1 s read timeout; only a total deadline stops it.
    api.script("credits", Trickle(b'{"success": true, "credits": 5}' + b" " * 400))
    client = make_client(timeout=(1.0, 1.0), max_retries=0)
    started = time.monotonic()
    with pytest.raises(TransportError, match="no complete answer came within 2 seconds"):
        client.credits()
    assert time.monotonic() - started < 4


def test_a_trickling_answer_to_task_store_is_outcome_unknown(api, make_client):
    api.script("task/store", Trickle(b'{"success": true, "task_id": "abc"}' + b" " * 400))
    client = make_client(timeout=(1.0, 0.5), max_retries=0)
    started = time.monotonic()
    with pytest.raises(SubmissionOutcomeUnknownError, match="no complete answer"):
        client.create_task(NEW)
    assert time.monotonic() - started < 4


def test_an_endless_answer_is_cut_at_the_size_cap_without_holding_it(api, make_client):
    api.script("tasks", Endless(limit=64 * 2**20))
    client = make_client(max_response_bytes=2**20, max_retries=0)
    tracemalloc.start()
    try:
        with pytest.raises(TransportError, match="larger than 1 MiB"):
            client.tasks()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20


def test_a_declared_oversize_answer_is_refused_before_reading(api, make_client):
    api.script("tasks", Reply(200, body=b"[" + b" " * (2 * 2**20) + b"]"))
    with pytest.raises(TransportError, match="larger than 1 MiB"):
        make_client(max_response_bytes=2**20, max_retries=0).tasks()


def test_a_token_echoed_into_ids_and_urls_is_masked(api, make_client, token):
    api.script("task/store", Reply(201, {"success": True, "task_id": f"id-{token}"}))
    shown = dict(TASK, id=f"t-{token}", name=f"Name {token}")
    shown["sites"] = [dict(TASK["sites"][0], result_url=f"https://evil.example/?k={token}")]
    api.script("task/show", Reply(200, {"success": True, "message": shown}))
    api.script("task/sites", Reply(200, {"success": True, "message": [
        {"id": 1, "url": f"=HYPERLINK(\"https://x/{token}\")", "da": 1, "pa": 1, "spam_score": 0, "status": 1}
    ]}))
    client = make_client()
    created = client.create_task(NEW)
    task = client.task("t")
    site = client.sites().sites[0]
    assert created == "id-***"
    assert task.id == "t-***" and task.name == "Name ***"
    assert task.placements[0].result_url == "https://evil.example/?k=***"
    assert token not in site.url
