"""Every fault kind is observable from a plain `requests` call, and is consumed per request."""

from __future__ import annotations

import pytest
import requests

from sheetsync.emulator import Emulator

from .conftest import TOKEN, store_payload


def store(base: str, **kw: object) -> requests.Response:
    return requests.post(base + "task/store", json=store_payload(), **kw)


def test_500_answers_json_and_creates_nothing(base: str, emu: Emulator) -> None:
    emu.faults.inject("task/store", "500", count=1)
    failed = store(base)
    assert failed.status_code == 500
    assert failed.json()["success"] is False
    assert emu.task_rows(TOKEN) == [] and emu.credits(TOKEN) == 100
    assert store(base).status_code == 201  # consumed by the first request


def test_500_after_commit_creates_the_task(base: str, emu: Emulator) -> None:
    emu.faults.inject("task/store", "500", after_commit=True)
    assert store(base).status_code == 500
    assert len(emu.task_rows(TOKEN)) == 1 and emu.credits(TOKEN) == 97


def test_html_answers_a_gateway_page(base: str, emu: Emulator) -> None:
    emu.faults.inject("tasks", "html", count=2)
    first = requests.get(base + "tasks", params={"api_token": TOKEN})
    assert first.status_code == 502
    assert first.headers["Content-Type"].startswith("text/html")
    assert "<html>" in first.text and "Bad Gateway" in first.text
    with pytest.raises(ValueError):
        first.json()
    assert requests.get(base + "tasks", params={"api_token": TOKEN}).status_code == 502
    assert requests.get(base + "tasks", params={"api_token": TOKEN}).status_code == 200


def test_html_with_another_status(base: str, emu: Emulator) -> None:
    emu.faults.inject("credits", "html", status=500)
    assert requests.get(base + "credits", params={"api_token": TOKEN}).status_code == 500


def test_429_fault_answers_the_documented_body(base: str, emu: Emulator) -> None:
    emu.faults.inject("task/store", "429")
    refused = store(base)
    assert refused.status_code == 429
    assert refused.json()["message"] == "Rate limit exceeded. Please try again later."
    assert emu.task_rows(TOKEN) == []


def test_hang_outlasts_the_client_read_timeout_but_commits(base: str, emu: Emulator) -> None:
    emu.faults.inject("task/store", "hang", seconds=2.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        store(base, timeout=(1.0, 0.2))
    assert len(emu.task_rows(TOKEN)) == 1  # processed; only the answer was late
    assert store(base, timeout=(1.0, 2.0)).status_code == 201


def test_reset_after_commit_drops_the_connection_after_creating_the_task(base: str, emu: Emulator) -> None:
    emu.faults.inject("task/store", "reset_after_commit")
    with pytest.raises(requests.exceptions.ConnectionError):
        store(base, timeout=(1.0, 2.0))
    rows = emu.task_rows(TOKEN)
    assert len(rows) == 1 and emu.credits(TOKEN) == 97
    listed = requests.get(base + "tasks", params={"api_token": TOKEN}).json()["message"]
    assert [t["id"] for t in listed] == [rows[0]["id"]]


def test_faults_only_hit_their_endpoint_and_wildcard_hits_any(base: str, emu: Emulator) -> None:
    emu.faults.inject("task/store", "500")
    assert requests.get(base + "credits", params={"api_token": TOKEN}).status_code == 200
    assert emu.faults.pending("task/store") == 1
    emu.faults.clear()
    emu.faults.inject("*", "500")
    assert requests.get(base + "credits", params={"api_token": TOKEN}).status_code == 500
    assert emu.faults.pending() == 0


def test_fault_requests_are_logged(base: str, emu: Emulator) -> None:
    emu.faults.inject("task/store", "500")
    store(base)
    assert emu.request_log == [("POST", "task/store")]


def test_unknown_fault_kind_is_refused(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        emu.faults.inject("task/store", "timeout")


@pytest.mark.parametrize("kind", ["429", "hang", "reset_after_commit"])
def test_after_commit_is_refused_where_it_would_be_ignored(emu: Emulator, kind: str) -> None:
    with pytest.raises(ValueError, match="after_commit"):
        emu.faults.inject("task/store", kind, after_commit=True)
    assert emu.faults.pending() == 0


def test_stopping_the_server_ends_a_hanging_answer_quickly(emu: Emulator) -> None:
    import time

    emu.faults.inject("credits", "hang", seconds=30.0)
    with emu.serve() as server:
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(server.base_url + "credits", params={"api_token": TOKEN}, timeout=(1.0, 0.1))
        began = time.monotonic()
    assert time.monotonic() - began < 2.0
