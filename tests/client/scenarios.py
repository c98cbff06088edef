"""Documented exchanges, recorded from the emulator into cassettes/ and replayed in tests.

Each scenario makes the same calls when recording and when replaying; only the server side
differs (the emulator, or the cassette). Tokens are filtered before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import vcr

from sheetsync.client import Client
from sheetsync.errors import ApiError

from .emulated import new_task

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
RECORDING_TOKEN = "sheetsync-recording-token-5d1c9a"
PLACEHOLDER = "REDACTED"
# Cassettes read as exchanges with the real service, whatever port the emulator had.
API_URL = "https://backlinkbase.com/api/v1/"
RESULT_ROOT = "https://results.backlinkbase.invalid/"


@dataclass
class Scenario:
    name: str
    run: Callable[[Client, Callable[[float], None]], dict[str, Any]]
    emulator: dict[str, Any] = field(default_factory=dict)
    credits: int = 100


def _caught(call: Callable[[], Any]) -> ApiError:
    try:
        call()
    except ApiError as exc:
        return exc
    raise AssertionError("expected an API error")


def reads(client: Client, advance: Callable[[float], None]) -> dict[str, Any]:
    return {"health": client.health(), "credits": client.credits(), "sites": client.sites(),
            "tasks": client.tasks()}


def lifecycle(client: Client, advance: Callable[[float], None]) -> dict[str, Any]:
    task_id = client.create_task(new_task("c4se77"))
    queued = client.task(task_id)
    advance(4 * 24 * 3600)
    done = client.task(task_id)
    return {"task_id": task_id, "queued": queued, "done": done, "tasks": client.tasks(),
            "credits": client.credits()}


def other_vocabulary(client: Client, advance: Callable[[float], None]) -> dict[str, Any]:
    task_id = client.create_task(new_task("v0cab1", sandbox=True))
    advance(3600)
    return {"task_id": task_id, "task": client.task(task_id), "tasks": client.tasks()}


def json_array(client: Client, advance: Callable[[float], None]) -> dict[str, Any]:
    return {"first": client.create_task(new_task("arr4y1")),
            "second": client.create_task(new_task("arr4y2"))}


def errors(client: Client, advance: Callable[[float], None]) -> dict[str, Any]:
    return {
        "not_found": _caught(lambda: client.task("ffffffffffff0")),
        "too_expensive": _caught(lambda: client.create_task(new_task("exp3ns", sites=(372, 373, 374, 377)))),
        "invalid": _caught(lambda: client.create_task(new_task("inv4l1", title="Too short"))),
    }


def bad_token(client: Client, advance: Callable[[float], None]) -> dict[str, Any]:
    return {"first": _caught(client.credits), "again": _caught(client.tasks)}


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("reads", reads),
        Scenario("task_lifecycle", lifecycle),
        Scenario("response_key_200_task_vocabulary", other_vocabulary,
                 {"payload_key": "response", "store_status": 200, "status_vocabulary": "task",
                  "timestamps": "seconds"}),
        Scenario("target_ids_as_json_array", json_array, {"ids_as_array_only": True}),
        Scenario("errors", errors, credits=3),
        Scenario("bad_token", bad_token),
    )
}


def _rewrite_request(request: Any) -> Any:
    # Filters have already replaced api_token; move the emulator's address to the API's.
    path = request.uri.split("/api/v1/", 1)[1] if "/api/v1/" in request.uri else request.uri
    request.uri = API_URL + path
    return request


def _scrub_response(root_url: str | None) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def scrub(response: dict[str, Any]) -> dict[str, Any]:
        body = response["body"]["string"]
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        # Only the token itself: `errors.api_token` messages are the documented content.
        text = text.replace(RECORDING_TOKEN, PLACEHOLDER)
        if root_url:
            text = text.replace(root_url, RESULT_ROOT)
        response["body"]["string"] = text.encode("utf-8")
        response["headers"].pop("Content-Length", None)
        return response

    return scrub


def cassette_vcr(record_mode: str, root_url: str | None = None) -> vcr.VCR:
    """The one VCR configuration for recording and replaying: tokens never reach a file."""
    return vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode=record_mode,
        match_on=["method", "scheme", "host", "port", "path", "query", "body"],
        filter_query_parameters=[("api_token", PLACEHOLDER)],
        filter_post_data_parameters=[("api_token", PLACEHOLDER)],
        before_record_request=_rewrite_request,
        before_record_response=_scrub_response(root_url),
        decode_compressed_response=True,
    )
