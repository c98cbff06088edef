"""The reference's Python snippets work unchanged against the emulator (only the URL differs)."""

from __future__ import annotations

import requests

from .conftest import TOKEN, store_payload


def test_reference_snippets_end_to_end(base: str) -> None:
    response = requests.get(base + "credits", params={"api_token": TOKEN})
    assert response.status_code == 200
    assert response.json()["credits"] == 100

    response = requests.post(base + "task/store", json=store_payload())
    assert response.status_code == 201
    task_id = response.json()["task_id"]

    response = requests.post(base + "task/show", json={"api_token": TOKEN, "id": task_id})
    assert response.json()["message"]["id"] == task_id

    response = requests.post(base + f"tasks?api_token={TOKEN}", json={})
    assert [t["id"] for t in response.json()["message"]] == [task_id]
