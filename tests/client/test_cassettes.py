"""Replay the recorded exchanges (record_mode="none": CI never records or reaches a server)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from sheetsync.client import Client
from sheetsync.errors import (
    BadTokenError,
    InsufficientCreditsError,
    NotFoundError,
    ValidationFailedError,
)
from sheetsync.models import Status

from .scenarios import API_URL, CASSETTES, PLACEHOLDER, RECORDING_TOKEN, RESULT_ROOT, SCENARIOS, cassette_vcr

REPLAY_TOKEN = "replay-token-never-recorded"


def replay(name: str, token: str = REPLAY_TOKEN) -> dict:
    sleeps: list[float] = []
    client = Client(token, API_URL, rate_limit=0, sleep=sleeps.append)
    with cassette_vcr("none").use_cassette(f"{name}.yaml") as cassette:
        results = SCENARIOS[name].run(client, lambda seconds: None)
        assert cassette.all_played, f"{name}: some recorded requests were not made"
    assert sleeps == []
    results["requests"] = client.requests_made
    return results


def test_every_scenario_has_a_cassette():
    assert {p.stem for p in CASSETTES.glob("*.yaml")} == set(SCENARIOS)


def test_reads():
    r = replay("reads")
    assert r["health"].ok and r["health"].server_time is not None
    assert r["credits"] == 100 and r["tasks"] == []
    site = r["sites"].get(372)
    assert site is not None and site.url and 0 < site.da <= 100
    assert any(not s.enabled for s in r["sites"].sites) and any(s.limited for s in r["sites"].sites)


def test_task_lifecycle_from_queued_to_final():
    r = replay("task_lifecycle")
    assert r["queued"].id == r["done"].id == r["task_id"]
    assert r["queued"].status is Status.QUEUED and r["done"].status.is_final
    assert [p.site_id for p in r["done"].placements] == [372, 373, 374]
    assert all(p.result_url.startswith(RESULT_ROOT) for p in r["done"].placements if p.status is Status.PUBLISHED)
    assert r["done"].article.urls == ("https://acme.com", "https://acme.com/product")
    assert [t.id for t in r["tasks"]] == [r["task_id"]] and r["credits"] == 97


def test_response_key_201_as_200_and_task_vocabulary():
    r = replay("response_key_200_task_vocabulary")
    assert r["task"].id == r["task_id"] and r["tasks"][0].id == r["task_id"]
    assert r["task"].created_at is not None and r["task"].created_at.microsecond == 0


def test_target_ids_resent_as_json_array_once():
    r = replay("target_ids_as_json_array")
    assert r["first"] != r["second"] and r["requests"] == 3


def test_documented_errors():
    r = replay("errors")
    assert isinstance(r["not_found"], NotFoundError)
    assert isinstance(r["too_expensive"], InsufficientCreditsError)
    assert isinstance(r["invalid"], ValidationFailedError) and "article_title" in r["invalid"].errors


def test_bad_token_is_sent_once():
    r = replay("bad_token")
    assert isinstance(r["first"], BadTokenError) and r["again"] is r["first"] and r["requests"] == 1


def _sent_tokens(interaction: dict) -> list[str]:
    """Every api_token value a recorded request carried, in its query or its JSON body."""
    request = interaction["request"]
    found = parse_qs(urlsplit(request["uri"]).query).get("api_token", [])
    if request.get("body"):
        found.append(json.loads(request["body"]).get("api_token"))
    return found


@pytest.mark.parametrize("path", sorted(CASSETTES.glob("*.yaml")), ids=lambda p: p.name)
def test_no_cassette_holds_a_token(path: Path):
    text = path.read_text()
    assert RECORDING_TOKEN not in text and "sheetsync-recording-wrong-token" not in text
    interactions = yaml.safe_load(text)["interactions"]
    values = [v for i in interactions for v in _sent_tokens(i)]
    assert len(values) >= len(interactions), "every request should carry the filtered token"
    assert set(values) == {PLACEHOLDER}
