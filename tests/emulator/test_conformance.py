"""One test per documented example and status code, over a real socket with plain `requests`."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import requests

from sheetsync.emulator import SITES, Emulator, FakeClock

from .conftest import OTHER, START, TOKEN, store_payload

SITE_KEYS = {"id", "url", "da", "pa", "spam_score", "status", "limited"}
SUMMARY_KEYS = {"id", "name", "status", "created_at", "updated_at", "last_run_at", "completed_at"}
PLACEMENT_KEYS = {"backlink_website_id", "status", "result_url", "last_run_at", "schedule_at", "completed_at"}
MICRO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

BAD_TOKEN_BODY = {
    "success": False,
    "message": "API Token Verification Error",
    "errors": {"api_token": "API Token is not a valid"},
}


def create(base: str, **overrides: object) -> str:
    response = requests.post(base + "task/store", json=store_payload(**overrides))
    assert response.status_code == 201, response.text
    return response.json()["task_id"]


# --- health-check and credits --------------------------------------------------------------


def test_health_check_answers_success_and_server_timestamp(base: str) -> None:
    response = requests.get(base + "health-check", params={"api_token": TOKEN})
    assert response.status_code == 200
    assert response.json() == {"success": True, "timestamp": "2026-11-28T09:00:00.000000Z"}


def test_credits_answers_the_balance(base: str, emu: Emulator) -> None:
    response = requests.get(base + "credits", params={"api_token": OTHER})
    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"success", "message", "credits"}
    assert body["success"] is True and body["credits"] == 5 == emu.credits(OTHER)


# --- task/sites ----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sites_lists_the_whole_catalogue_without_pagination(base: str, method: str) -> None:
    if method == "GET":
        response = requests.get(base + "task/sites", params={"api_token": TOKEN})
    else:  # the reference's own Python snippet
        response = requests.post(base + "task/sites", json={"api_token": TOKEN})
    body = response.json()
    assert response.status_code == 200 and body["success"] is True
    sites = body["message"]
    assert all(set(site) == SITE_KEYS for site in sites)
    assert [s["id"] for s in sites] == [s.id for s in SITES]
    assert 35 <= len(sites) <= 45
    assert {388, 372, 401} <= {s["id"] for s in sites if s["status"] == 1}
    assert any(s["status"] == 0 for s in sites) and any(s["limited"] for s in sites)
    assert all("/" not in s["url"] and "." in s["url"] for s in sites)  # bare domains
    assert all(0 <= s["spam_score"] <= 17 and 1 <= s["da"] <= 100 for s in sites)


# --- task/store ----------------------------------------------------------------------------


def test_store_reference_snippet_answers_201_with_task_id_on_top(base: str, emu: Emulator) -> None:
    headers = {"Content-Type": "application/json"}
    response = requests.post(base + "task/store", json=store_payload(), headers=headers)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"success", "message", "task_id"}
    assert body["success"] is True and body["message"] == "Task created successfully."
    assert re.fullmatch(r"[0-9a-f]{13}", body["task_id"])
    assert emu.credits(TOKEN) == 97  # one credit per target site


def test_store_can_answer_200_as_the_other_example_shows(clock: FakeClock) -> None:
    emu = Emulator(clock=clock, rate_limit=0, store_status=200)
    emu.add_account(TOKEN, 10)
    with emu.serve() as server:
        response = requests.post(server.base_url + "task/store", json=store_payload())
    assert response.status_code == 200 and response.json()["task_id"]


def test_store_accepts_a_form_encoded_body_and_json_arrays(base: str, emu: Emulator) -> None:
    form = requests.post(base + "task/store", data=store_payload(sandbox="1"))
    assert form.status_code == 201, form.text
    arrays = requests.post(
        base + "task/store",
        json=store_payload(article_urls=["https://acme.com"], target_website_ids=[388, "372"]),
    )
    assert arrays.status_code == 201, arrays.text
    rows = emu.task_rows(TOKEN)
    assert [r["site_ids"] for r in rows] == [[388, 372, 401], [388, 372]]
    assert [r["sandbox"] for r in rows] == [True, False]


def test_store_token_in_the_query_string_works_too(base: str) -> None:
    payload = store_payload()
    del payload["api_token"]
    response = requests.post(base + "task/store", params={"api_token": TOKEN}, json=payload)
    assert response.status_code == 201


def test_task_ids_are_deterministic_from_the_seed(clock: FakeClock) -> None:
    def ids(seed: int) -> list[str]:
        emu = Emulator(clock=FakeClock(START), rate_limit=0, seed=seed)
        emu.add_account(TOKEN, 10)
        with emu.serve() as server:
            return [create(server.base_url, sandbox=True) for _ in range(3)]

    first = ids(1)
    assert first == ids(1)
    assert ids(2) != first
    assert len(set(first)) == 3


# --- task/show -----------------------------------------------------------------------------


def test_show_reference_snippet_returns_documented_details(base: str) -> None:
    task_id = create(base)
    headers = {"Content-Type": "application/json"}
    response = requests.post(base + "task/show", json={"api_token": TOKEN, "id": task_id}, headers=headers)
    assert response.status_code == 200
    task = response.json()["message"]
    assert set(task) == SUMMARY_KEYS | {"article", "sites"}
    assert task["id"] == task_id and task["name"] == "Press release batch"
    assert task["status"] == "Queued Publishing"
    assert task["article"] == {
        "title": "Fintech startup Acme raises series A funding",
        "body": "Acme, a Pune based fintech company…",
        "urls": ["https://acme.com", "https://acme.com/product"],
    }
    assert [s["backlink_website_id"] for s in task["sites"]] == [388, 372, 401]
    for site in task["sites"]:
        assert set(site) == PLACEMENT_KEYS
        assert site["status"] == "Queued Publishing" and site["result_url"] is None
        assert MICRO.match(site["schedule_at"])
    assert MICRO.match(task["created_at"]) and task["completed_at"] is None


def test_show_as_get_with_query_string(base: str) -> None:
    task_id = create(base)
    response = requests.get(base + "task/show", params={"api_token": TOKEN, "id": task_id})
    assert response.status_code == 200 and response.json()["message"]["id"] == task_id


def test_show_of_another_accounts_task_is_404(base: str) -> None:
    task_id = create(base)
    response = requests.get(base + "task/show", params={"api_token": OTHER, "id": task_id})
    assert response.status_code == 404
    assert response.json() == {
        "success": False, "message": "Task not found", "errors": {"id": "Task not found"},
    }  # the reference's task/show table: "404 | Task not found"


def test_show_of_an_unknown_id_is_404(base: str) -> None:
    response = requests.get(base + "task/show", params={"api_token": TOKEN, "id": "0000000000000"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("task_id", "message"),
    [(None, "The id field is required."), ("", "The id field is required."),
     ("no/such?id", "The id must be a valid task id.")],
)
def test_show_with_missing_or_invalid_id_is_422(base: str, task_id: str | None, message: str) -> None:
    payload = {"api_token": TOKEN} if task_id is None else {"api_token": TOKEN, "id": task_id}
    response = requests.post(base + "task/show", json=payload)
    assert response.status_code == 422
    assert response.json() == {"success": False, "message": "Validation failed", "errors": {"id": [message]}}


# --- tasks ---------------------------------------------------------------------------------


def test_tasks_reference_snippet_lists_all_tasks_newest_first(base: str, clock: FakeClock) -> None:
    first = create(base, name="API - Task Name 1")
    clock.advance(60)
    second = create(base, name="API - Task Name 2")
    url = base + f"tasks?api_token={TOKEN}"
    response = requests.post(url, json={}, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    tasks = response.json()["message"]
    assert [t["id"] for t in tasks] == [second, first]
    assert all(set(t) == SUMMARY_KEYS for t in tasks)
    assert tasks[0]["created_at"] == "2026-11-28T09:01:00.000000Z"
    assert tasks[0]["last_run_at"] is None and tasks[0]["status"] == "Queued Publishing"


def test_tasks_as_get_and_only_the_callers(base: str) -> None:
    create(base)
    assert requests.get(base + "tasks", params={"api_token": OTHER}).json() == {"success": True, "message": []}
    assert len(requests.get(base + "tasks", params={"api_token": TOKEN}).json()["message"]) == 1


# --- 401 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params", [{}, {"api_token": "not-a-token"}, {"api_key": TOKEN}, {"api_token": ""}]
)
def test_missing_invalid_or_misspelled_token_is_the_documented_401(base: str, params: dict[str, str]) -> None:
    response = requests.get(base + "credits", params=params)
    assert response.status_code == 401
    assert response.json() == BAD_TOKEN_BODY


def test_auth_header_is_not_accepted(base: str) -> None:
    response = requests.get(base + "credits", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 401


def test_out_of_credits_is_401_with_a_message_that_says_so(base: str, emu: Emulator) -> None:
    emu.add_account(OTHER, 0)
    response = requests.post(base + "task/store", json=store_payload(api_token=OTHER))
    assert response.status_code == 401
    body = response.json()
    assert body["message"] == "Out of credits."
    assert "credits" in body["errors"]["api_token"]
    assert emu.task_rows(OTHER) == []


# --- 409 -----------------------------------------------------------------------------------


def test_more_targets_than_credits_is_the_documented_409(base: str, emu: Emulator) -> None:
    emu.add_account(OTHER, 2)
    response = requests.post(base + "task/store", json=store_payload(api_token=OTHER))
    assert response.status_code == 409
    assert response.json() == {
        "success": False,
        "message": "Out of credits.",
        "errors": {
            "target_website_ids": "You don't have enough credits to choose this many targets. "
            "Please lower the number of targets to match your credit limit"
        },
    }
    assert emu.credits(OTHER) == 2 and emu.task_rows(OTHER) == []


# --- 422 -----------------------------------------------------------------------------------


def test_store_validation_example_body(base: str, emu: Emulator) -> None:
    payload = store_payload(article_title="Acme raises", target_website_ids="388, abc")
    response = requests.post(base + "task/store", json=payload)
    assert response.status_code == 422
    assert response.json() == {
        "success": False,
        "message": "Validation failed",
        "errors": {
            "article_title": ["The article_title must be between 4 and 50 words. You have 2 words."],
            "target_website_ids": ["The target_website_ids must be a comma-separated list of integers."],
        },
    }
    assert emu.credits(TOKEN) == 100


def test_generic_422_example_when_ids_must_be_a_json_array(clock: FakeClock) -> None:
    emu = Emulator(
        clock=clock, rate_limit=0, ids_as_array_only=True,
        validation_message="Input Fields Validation Error",
    )
    emu.add_account(TOKEN, 10)
    with emu.serve() as server:
        refused = requests.post(server.base_url + "task/store", json=store_payload())
        accepted = requests.post(server.base_url + "task/store", json=store_payload(target_website_ids=[388]))
    assert refused.status_code == 422
    assert refused.json() == {
        "success": False,
        "message": "Input Fields Validation Error",
        "errors": {"target_website_ids": ["The target_website_ids must be a JSON array."]},
    }
    assert accepted.status_code == 201


def test_422_error_values_can_be_single_strings(clock: FakeClock) -> None:
    emu = Emulator(clock=clock, rate_limit=0, error_values="string")
    emu.add_account(TOKEN, 10)
    with emu.serve() as server:
        payload = store_payload(article_title="Acme raises", target_website_ids="388, 999")
        response = requests.post(server.base_url + "task/store", json=payload)
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "article_title": "The article_title must be between 4 and 50 words. You have 2 words.",
        "target_website_ids": "The selected target_website_ids 999 is invalid.",
    }


def test_body_that_is_not_a_json_object_is_422(base: str) -> None:
    response = requests.post(
        base + "task/store", params={"api_token": TOKEN}, data="{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422 and "body" in response.json()["errors"]


# --- 429 -----------------------------------------------------------------------------------

RATE_LIMITED = {
    "success": False,
    "message": "Rate limit exceeded. Please try again later.",
    "errors": {"api_token": "Rate limit exceeded. Please try again later."},
}


def test_more_requests_than_the_limit_in_a_minute_is_the_documented_429(clock: FakeClock) -> None:
    emu = Emulator(clock=clock, rate_limit=3)
    emu.add_account(TOKEN, 10)
    emu.add_account(OTHER, 10)
    with emu.serve() as server:
        url = server.base_url + "credits"
        codes = [requests.get(url, params={"api_token": TOKEN}).status_code for _ in range(4)]
        refused = requests.get(url, params={"api_token": TOKEN})
        other = requests.get(url, params={"api_token": OTHER})
        clock.advance(59)
        still = requests.get(url, params={"api_token": TOKEN})
        clock.advance(1.5)
        again = requests.get(url, params={"api_token": TOKEN})
    assert codes == [200, 200, 200, 429]
    assert refused.status_code == 429 and refused.json() == RATE_LIMITED
    assert "Retry-After" not in refused.headers  # none is documented
    assert other.status_code == 200  # the limit is per token
    assert still.status_code == 429 and again.status_code == 200


def test_retry_after_header_can_be_switched_on(clock: FakeClock) -> None:
    emu = Emulator(clock=clock, rate_limit=1, retry_after=30)
    emu.add_account(TOKEN, 10)
    with emu.serve() as server:
        requests.get(server.base_url + "credits", params={"api_token": TOKEN})
        refused = requests.get(server.base_url + "credits", params={"api_token": TOKEN})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "30"


def test_more_than_three_bad_tokens_a_minute_locks_the_address(clock: FakeClock) -> None:
    emu = Emulator(clock=clock, rate_limit=0)
    emu.add_account(TOKEN, 10)
    with emu.serve() as server:
        url = server.base_url + "credits"
        codes = [requests.get(url, params={"api_token": f"bad-{i}"}).status_code for i in range(5)]
        good_while_locked = requests.get(url, params={"api_token": TOKEN})
        clock.advance(61)
        good_after = requests.get(url, params={"api_token": TOKEN})
    # "more than 3 bad tokens": the 4th is still answered 401, the lockout starts after it.
    assert codes == [401, 401, 401, 401, 429]
    assert good_while_locked.status_code == 429 and good_while_locked.json() == RATE_LIMITED
    assert good_after.status_code == 200


def test_rate_limit_zero_disables_limiting(base: str) -> None:
    codes = {requests.get(base + "credits", params={"api_token": TOKEN}).status_code for _ in range(70)}
    assert codes == {200}


# --- 500, routing --------------------------------------------------------------------------


def test_unexpected_exception_is_500_with_a_json_body(base: str, emu: Emulator) -> None:
    emu.store.close()  # the database disappears under the running server
    response = requests.get(base + "credits", params={"api_token": TOKEN})
    assert response.status_code == 500
    assert response.json()["success"] is False and response.json()["message"] == "Server Error"


def test_unknown_endpoint_is_404_and_store_needs_post(base: str) -> None:
    assert requests.get(base + "nope", params={"api_token": TOKEN}).status_code == 404
    wrong = requests.get(base + "task/store", params={"api_token": TOKEN})
    assert wrong.status_code == 405 and wrong.json()["success"] is False


# --- documented variants -------------------------------------------------------------------


def test_payload_can_come_under_response(clock: FakeClock) -> None:
    emu = Emulator(clock=clock, rate_limit=0, payload_key="response")
    emu.add_account(TOKEN, 10)
    with emu.serve() as server:
        data = requests.get(server.base_url + "task/sites", params={"api_token": TOKEN}).json()
        credits = requests.get(server.base_url + "credits", params={"api_token": TOKEN}).json()
    assert "message" not in data and len(data["response"]) == len(SITES)
    assert credits["credits"] == 10 and credits["response"] == {"credits": 10}


def test_task_status_vocabulary_and_timestamp_styles(clock: FakeClock) -> None:
    emu = Emulator(clock=clock, rate_limit=0, status_vocabulary="task", timestamps="mixed")
    emu.add_account(TOKEN, 10)
    with emu.serve() as server:
        create(server.base_url, sandbox=True)
        create(server.base_url, sandbox=True)
        before = requests.get(server.base_url + "tasks", params={"api_token": TOKEN}).json()["message"]
        clock.advance(3600)
        after = requests.get(server.base_url + "tasks", params={"api_token": TOKEN}).json()["message"]
        health = requests.get(server.base_url + "health-check", params={"api_token": TOKEN}).json()
    assert {t["status"] for t in before} == {"queued"}
    assert {t["status"] for t in after} <= {"completed", "failed"}
    stamps = [t["created_at"] for t in before]
    assert SECONDS.match(stamps[0]) and MICRO.match(stamps[1])  # newest (2nd) first
    assert MICRO.match(health["timestamp"])


def test_seconds_timestamps(clock: FakeClock) -> None:
    emu = Emulator(clock=clock, rate_limit=0, timestamps="seconds")
    emu.add_account(TOKEN, 10)
    with emu.serve() as server:
        assert requests.get(server.base_url + "health-check", params={"api_token": TOKEN}).json() == {
            "success": True, "timestamp": "2026-11-28T09:00:00Z",
        }


def test_invalid_quirk_settings_are_refused(clock: FakeClock) -> None:
    with pytest.raises(ValueError):
        Emulator(clock=clock, payload_key="data")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Emulator(clock=clock, store_status=202)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Emulator(clock=clock, error_values="dict")  # type: ignore[arg-type]


def test_root_url_and_base_url(emu: Emulator) -> None:
    with emu.serve() as server:
        assert server.base_url == server.root_url + "api/v1/"
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", server.root_url)
        assert requests.get(server.root_url).status_code == 200


def test_request_log_records_method_and_endpoint_never_the_token(base: str, emu: Emulator) -> None:
    requests.get(base + "credits", params={"api_token": TOKEN})
    requests.post(base + "task/sites", json={"api_token": TOKEN})
    requests.get(base + "credits", params={"api_token": "wrong"})
    assert emu.request_log == [("GET", "credits"), ("POST", "task/sites"), ("GET", "credits")]
    assert TOKEN not in repr(emu.request_log)


def test_the_schedule_dates_default_to_today_and_tomorrow(base: str, emu: Emulator) -> None:
    payload = store_payload()
    del payload["schedule_from"], payload["schedule_till"]
    assert requests.post(base + "task/store", json=payload).status_code == 201
    row = emu.task_rows(TOKEN)[0]
    assert (row["schedule_from"], row["schedule_till"]) == (dt.date(2026, 11, 28), dt.date(2026, 11, 29))
