"""The reference's own Python snippets, verbatim but for the base URL, on the reference's dates.

The emulator's clock is set to the day the reference's examples were written (2025-05-15),
so the example schedule (2025-05-18 .. 2025-05-25) is inside the allowed window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import requests

from sheetsync.emulator import Emulator, FakeClock

REFERENCE_DAY = dt.datetime(2025, 5, 15, 10, 56, 40, tzinfo=dt.timezone.utc)


@pytest.fixture
def api() -> Iterator[tuple[str, Emulator]]:
    # The generic snippet reads data['response']; the endpoint examples read 'message'.
    emu = Emulator(clock=FakeClock(REFERENCE_DAY), rate_limit=60)
    emu.add_account("your-api-token", 50)
    emu.add_account("your-api-token-here", 50)
    with emu.serve() as server:
        yield server.root_url.rstrip("/"), emu


def test_task_sites_snippet(api: tuple[str, Emulator]) -> None:
    host, _ = api
    url = f"{host}/api/v1/task/sites"
    payload = {
        'api_token': 'your-api-token-here'
    }
    response = requests.post(url, json=payload)
    data = response.json()
    assert data["success"] is True and data["message"][0]["id"] == 372  # contains: success, message[]


def test_task_store_then_show_then_tasks_snippets(api: tuple[str, Emulator]) -> None:
    host, emu = api
    url = f"{host}/api/v1/task/store"
    payload = {
        "api_token": "your-api-token",
        "name": "Press release batch",
        "article_title": "Fintech startup Acme raises series A funding",
        "article_body": "Acme, a Pune based fintech company…\n",
        "article_urls": "https://acme.com, https://acme.com/product",
        "target_website_ids": "388, 372, 401",
        "schedule_from": "2025-05-18",
        "schedule_till": "2025-05-25"
    }
    headers = {"Content-Type": "application/json"}
    response = requests.post(url, json=payload, headers=headers)
    created = response.json()
    assert response.status_code == 201 and created["message"] == "Task created successfully."
    assert emu.credits("your-api-token") == 47

    url = f"{host}/api/v1/task/show"
    headers = {'Content-Type': 'application/json'}
    payload = {
        'api_token': 'your-api-token',
        'id': created["task_id"]
    }
    response = requests.post(url, json=payload, headers=headers)
    data = response.json()
    assert data['message']["article"]["urls"] == ["https://acme.com", "https://acme.com/product"]
    scheduled = [dt.datetime.fromisoformat(s["schedule_at"].replace("Z", "+00:00")) for s in data["message"]["sites"]]
    assert all(dt.datetime(2025, 5, 18, tzinfo=dt.timezone.utc) <= at <= dt.datetime(2025, 5, 25, tzinfo=dt.timezone.utc)
               for at in scheduled)

    url = f'{host}/api/v1/tasks?api_token=your-api-token'
    headers = {'Content-Type': 'application/json'}
    response = requests.post(url, json={}, headers=headers)
    data = response.json()
    assert [task["id"] for task in data['message']] == [created["task_id"]]


def test_generic_get_snippet_reads_response_when_served_that_way() -> None:
    emu = Emulator(clock=FakeClock(REFERENCE_DAY), payload_key="response")
    emu.add_account("key", 9)
    with emu.serve() as server:
        api_token = "key"
        url = f"{server.root_url}api/v1/credits"
        response = requests.get(url, params={'api_token': api_token})
        data = response.json()
        assert data['response'] == {"credits": 9}


@pytest.mark.parametrize("endpoint", ["health-check", "credits"])
def test_health_check_and_credits_snippets_when_served_under_response(endpoint: str) -> None:
    emu = Emulator(clock=FakeClock(REFERENCE_DAY), payload_key="response")
    emu.add_account("key", 9)
    with emu.serve() as server:
        api_token = "key"

        def snippet() -> object:
            url = f'{server.root_url}api/v1/{endpoint}'
            response = requests.get(url, params={'api_token': api_token})
            data = response.json()
            return data['response']

        data = snippet()
    expected = {"health-check": {"timestamp": "2025-05-15T10:56:40.000000Z"}, "credits": {"credits": 9}}
    assert data == expected[endpoint]
