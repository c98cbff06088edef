"""The client against a scripted server on a real socket: envelope quirks, errors, retries."""

from __future__ import annotations

import datetime as dt
import logging
import ssl

import pytest
import requests
import urllib3.exceptions

from sheetsync.client import Client, backoff_delay, parse_retry_after, store_body
from sheetsync.errors import (
    ApiError,
    BadTokenError,
    InsufficientCreditsError,
    NotFoundError,
    OutOfCreditsError,
    RateLimitedError,
    ServerError,
    SubmissionOutcomeUnknownError,
    TransportError,
    UnexpectedResponseError,
    ValidationFailedError,
)
from sheetsync.models import NewTask, Status

from .fakeserver import Hang, Reply, Reset, refused_base_url

UTC = dt.timezone.utc
NEW = NewTask(
    name="Press release batch k7f3",
    article_title="Fintech startup Acme raises series A funding",
    article_body="<p>Acme, a Pune based fintech company.</p>",
    article_urls=("https://acme.com", "https://acme.com/product"),
    target_website_ids=(388, 372, 401),
    schedule_from=dt.date(2026, 11, 29),
    schedule_till=dt.date(2026, 12, 5),
)
TASK = {
    "id": "6825c868ac395",
    "name": "API - Task Name",
    "status": "running",
    "created_at": "2025-05-15T10:56:40.000000Z",
    "updated_at": "2025-05-15T10:56:40Z",
    "last_run_at": None,
    "completed_at": None,
    "article": {"title": "Article Title", "body": "Article Body",
                "urls": ["https://example.com", "https://example.org"]},
    "sites": [
        {"backlink_website_id": 1, "status": "Published", "result_url": "https://example.com/backlink",
         "last_run_at": "2025-05-15T10:56:40.000000Z", "schedule_at": "2025-05-15T10:56:40.000000Z",
         "completed_at": "2025-05-15T10:56:40.000000Z"},
        {"backlink_website_id": 2, "status": "Queued Publishing", "result_url": None,
         "last_run_at": None, "schedule_at": "2025-05-15T11:26:40Z", "completed_at": None},
    ],
}
CREATED = {"success": True, "message": "Task created successfully.", "task_id": "6825f0ba291e7"}


# --- documented quirks ------------------------------------------------------------------


@pytest.mark.parametrize("key", ["message", "response"])
def test_payload_under_message_or_response(api, make_client, key):
    api.script("task/show", Reply(200, {"success": True, key: TASK}))
    task = make_client().task("6825c868ac395")
    assert task.id == "6825c868ac395" and task.status is Status.PUBLISHING
    assert task.article.urls == ("https://example.com", "https://example.org")


@pytest.mark.parametrize("body", [
    {"success": True, "credits": 120},
    {"success": True, "message": {"credits": "120"}},
    {"success": True, "response": 120},
])
def test_credits_in_every_documented_place(api, make_client, body):
    api.script("credits", Reply(200, body))
    assert make_client().credits() == 120


def test_health_reads_the_server_timestamp(api, make_client):
    api.script("health-check", Reply(200, {"success": True, "timestamp": "2026-11-28T09:00:00Z"}))
    health = make_client().health()
    assert health.ok and health.server_time == dt.datetime(2026, 11, 28, 9, tzinfo=UTC)


def test_both_status_vocabularies_timestamp_shapes_and_placements(api, make_client):
    api.script("task/show", Reply(200, {"success": True, "message": TASK}))
    task = make_client().task("6825c868ac395")
    first, second = task.placements
    assert (first.site_id, first.status, first.result_url) == (1, Status.PUBLISHED, "https://example.com/backlink")
    assert (second.status, second.result_url) == (Status.QUEUED, None)
    assert task.created_at == task.updated_at == dt.datetime(2025, 5, 15, 10, 56, 40, tzinfo=UTC)
    assert second.schedule_at == dt.datetime(2025, 5, 15, 11, 26, 40, tzinfo=UTC)


def test_task_ids_are_opaque_strings(api, make_client):
    api.script("tasks", Reply(200, {"success": True, "message": [
        {**TASK, "id": 12345, "status": "completed"},
        {**TASK, "id": "4825f0ad291e1", "status": "Cancelled"},
        {**TASK, "id": "0b7c0c4e-6a0e-4bd0-9a39-2f3d9f7e8f11", "status": "Queued Publishing"},
    ]}))
    tasks = make_client().tasks()
    assert [t.id for t in tasks] == ["12345", "4825f0ad291e1", "0b7c0c4e-6a0e-4bd0-9a39-2f3d9f7e8f11"]
    assert [t.status for t in tasks] == [Status.PUBLISHED, Status.CANCELLED, Status.QUEUED]


def test_sites_catalogue(api, make_client):
    api.script("task/sites", Reply(200, {"success": True, "message": [
        {"id": 388, "url": "example.com", "da": 24, "pa": 31, "spam_score": 1, "status": 1, "limited": False},
        {"id": "389", "url": "example2.com", "da": "30", "pa": 35, "spam_score": 2, "status": 0, "limited": 1},
    ]}))
    catalogue = make_client().sites()
    assert catalogue.get(388).enabled and not catalogue.get(388).limited
    assert catalogue.get(389).da == 30 and not catalogue.get(389).enabled and catalogue.get(389).limited


def test_reads_are_gets_with_the_token_in_the_query(api, make_client, token):
    api.script("task/show", Reply(200, {"success": True, "message": TASK}))
    make_client().task("abc123")
    (seen,) = api.seen
    assert seen.method == "GET" and seen.query == {"api_token": token, "id": "abc123"}


@pytest.mark.parametrize("status", [200, 201])
def test_create_answers_200_or_201_with_task_id_on_top(api, make_client, status):
    api.script("task/store", Reply(status, CREATED))
    assert make_client().create_task(NEW) == "6825f0ba291e7"


def test_create_sends_the_documented_body(api, make_client, token):
    api.script("task/store", Reply(201, CREATED))
    make_client().create_task(NEW)
    (seen,) = api.seen
    assert seen.method == "POST" and seen.query == {}  # token in the body only
    assert seen.json == {
        "api_token": token,
        "name": "Press release batch k7f3",
        "article_title": "Fintech startup Acme raises series A funding",
        "article_body": "<p>Acme, a Pune based fintech company.</p>",
        "article_urls": "https://acme.com, https://acme.com/product",
        "target_website_ids": "388, 372, 401",
        "schedule_from": "2026-11-29",
        "schedule_till": "2026-12-05",
    }


def test_sandbox_is_sent_as_json_true_only_when_set():
    assert "sandbox" not in store_body(NEW)
    sandboxed = NewTask(**{**NEW.__dict__, "sandbox": True})
    assert store_body(sandboxed)["sandbox"] is True


def test_a_comma_inside_a_url_cannot_split_it():
    odd = NewTask(**{**NEW.__dict__, "article_urls": ("https://a.com/x,y",)})
    assert store_body(odd)["article_urls"] == "https://a.com/x%2Cy"


def test_json_array_demand_is_met_once_and_remembered(api, make_client):
    wants_array = Reply(422, {"success": False, "message": "Input Fields Validation Error",
                              "errors": {"target_website_ids": ["The target_website_ids must be a JSON array."]}})
    api.script("task/store", wants_array, Reply(201, CREATED), Reply(201, {**CREATED, "task_id": "second"}))
    client = make_client()
    assert client.create_task(NEW) == "6825f0ba291e7"
    assert client.create_task(NEW) == "second"
    first, retried, later = api.seen
    assert first.json["target_website_ids"] == "388, 372, 401"
    assert retried.json["target_website_ids"] == [388, 372, 401]
    assert later.json["target_website_ids"] == [388, 372, 401]
    assert retried.json["article_urls"] == "https://acme.com, https://acme.com/product"


def test_json_array_demand_is_retried_only_once(api, make_client):
    wants_array = Reply(422, {"success": False, "errors": {"target_website_ids": "must be a JSON array."}})
    api.script("task/store", wants_array, wants_array)
    with pytest.raises(ValidationFailedError):
        make_client().create_task(NEW)
    assert len(api.seen) == 2


@pytest.mark.parametrize("errors, expected", [
    ({"article_title": "The article_title must be between 4 and 50 words. You have 2 words."},
     {"article_title": ["The article_title must be between 4 and 50 words. You have 2 words."]}),
    ({"article_title": ["Too short."], "name": ["Too long.", "Bad characters."]},
     {"article_title": ["Too short."], "name": ["Too long.", "Bad characters."]}),
])
def test_422_errors_as_string_or_list(api, make_client, errors, expected):
    api.script("task/store", Reply(422, {"success": False, "message": "Validation failed", "errors": errors}))
    with pytest.raises(ValidationFailedError) as caught:
        make_client().create_task(NEW)
    assert caught.value.errors == expected
    message = str(caught.value)
    assert "\n" not in message and "article_title" in message and message.endswith("sync again.")


# --- error mapping ------------------------------------------------------------------------


def test_401_stops_the_client_without_sending_again(api, make_client):
    api.default("credits", Reply(401, {"success": False, "message": "API Token Verification Error",
                                       "errors": {"api_token": "API Token is not a valid"}}))
    client = make_client()
    with pytest.raises(BadTokenError) as first:
        client.credits()
    assert "BACKLINKBASE_API_TOKEN" in str(first.value)
    for call in (client.credits, client.tasks, lambda: client.create_task(NEW)):
        with pytest.raises(BadTokenError) as again:
            call()
        assert again.value is first.value
    assert len(api.seen) == 1 and client.requests_made == 1


def test_401_about_credits_is_out_of_credits(api, make_client):
    api.script("task/store", Reply(401, {"success": False, "message": "Out of credits.",
                                         "errors": {"api_token": "You have no credits left."}}))
    with pytest.raises(OutOfCreditsError):
        make_client().create_task(NEW)


def test_404_on_task_show_names_the_task(api, make_client):
    api.script("task/show", Reply(404, {"success": False, "message": "Task not found"}))
    with pytest.raises(NotFoundError, match="'nope'"):
        make_client().task("nope")


def test_404_without_the_api_envelope_points_at_the_url(api, make_client):
    api.script("credits", Reply(404, body=b"<html>Not Found</html>"))
    with pytest.raises(NotFoundError, match="BACKLINKBASE_API_URL"):
        make_client().credits()


def test_409_is_insufficient_credits(api, make_client):
    api.script("task/store", Reply(409, {"success": False, "message": "Out of credits.",
                                         "errors": {"target_website_ids": "You don't have enough credits"}}))
    with pytest.raises(InsufficientCreditsError, match="3 target sites"):
        make_client().create_task(NEW)
    assert len(api.seen) == 1


def test_redirects_are_not_followed(api, make_client):
    api.script("credits", Reply(301, body=b"", headers={"Location": "https://elsewhere.example/api/v1/credits"}))
    with pytest.raises(ApiError, match="redirected"):
        make_client().credits()
    assert len(api.seen) == 1


def test_html_answer_to_a_read_is_unexpected(api, make_client):
    api.script("tasks", Reply(200, body=b"<html><body>Maintenance</body></html>"))
    with pytest.raises(UnexpectedResponseError, match="text/html"):
        make_client().tasks()


@pytest.mark.parametrize("stamp", [1e20, "99999999999999999999", "15 May 2025"])
def test_a_timestamp_out_of_range_or_shape_is_an_unexpected_answer(api, make_client, stamp):
    api.script("health-check", Reply(200, {"success": True, "timestamp": stamp}))
    with pytest.raises(UnexpectedResponseError, match="health-check"):
        make_client().health()


def test_unknown_status_word_is_an_unexpected_answer(api, make_client):
    api.script("tasks", Reply(200, {"success": True, "message": [{**TASK, "status": "exploded"}]}))
    with pytest.raises(UnexpectedResponseError, match="exploded"):
        make_client().tasks()


# --- retries of reads ----------------------------------------------------------------------


def test_reads_retry_5xx_then_succeed(api, make_client, fake_time):
    api.script("credits", Reply(500, {"success": False}), Reply(503, body=b"busy"), Reply(200, {"credits": 7}))
    client = make_client()
    assert client.credits() == 7
    assert len(fake_time.sleeps) == 2 and client.requests_made == 3
    assert 0.5 <= fake_time.sleeps[0] <= 1.0 and 1.0 <= fake_time.sleeps[1] <= 2.0


def test_reads_give_up_after_max_retries_with_server_error(api, make_client, fake_time):
    api.default("tasks", Reply(500, {"success": False, "message": "Server Error"}))
    with pytest.raises(ServerError, match="after 4 retries"):
        make_client().tasks()
    assert len(api.seen) == 5 and len(fake_time.sleeps) == 4


def test_429_honours_retry_after(api, make_client, fake_time):
    api.script("tasks", Reply(429, {"success": False}, headers={"Retry-After": "7"}),
               Reply(200, {"success": True, "message": []}))
    assert make_client().tasks() == []
    assert fake_time.sleeps == [7.0]


def test_429_without_retry_after_backs_off_further_and_then_gives_up(api, make_client, fake_time):
    api.default("tasks", Reply(429, {"success": False, "message": "Rate limit exceeded."}))
    with pytest.raises(RateLimitedError):
        make_client(max_retries=3).tasks()
    assert len(fake_time.sleeps) == 3 and fake_time.sleeps[0] >= 2.5
    assert all(s <= 30.0 for s in fake_time.sleeps)


def test_a_retry_after_beyond_a_minute_is_not_slept_through(api, make_client, fake_time):
    api.script("tasks", Reply(429, {"success": False}, headers={"Retry-After": "3600"}))
    with pytest.raises(RateLimitedError) as caught:
        make_client().tasks()
    assert caught.value.retry_after == 3600.0 and fake_time.sleeps == []


def test_reads_retry_a_reset_connection(api, make_client):
    api.script("tasks", Reset(), Reply(200, {"success": True, "message": []}))
    assert make_client().tasks() == []
    assert len(api.seen) == 2


def test_refused_connection_is_a_transport_error_after_retries(make_client, fake_time):
    client = make_client(base_url=refused_base_url(), max_retries=2)
    with pytest.raises(TransportError, match="refused"):
        client.credits()
    assert len(fake_time.sleeps) == 2 and client.requests_made == 0


def test_backoff_is_capped_and_jittered():
    import random

    rng = random.Random(1)
    delays = [backoff_delay(n, rng) for n in range(12)]
    assert all(d <= 30.0 for d in delays) and delays[-1] >= 15.0
    assert len({round(d, 6) for d in delays[6:]}) > 1  # capped ones still differ (jitter)


def test_retry_after_forms():
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Wed, 21 Oct 2026 07:28:30 GMT", date_header="Wed, 21 Oct 2026 07:28:00 GMT") == 30.0
    assert parse_retry_after("Wed, 21 Oct 2026 07:28:30 GMT") is None
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


# --- task/store is never retried blindly ---------------------------------------------------


@pytest.mark.parametrize("answer", [
    Reply(500, {"success": False, "message": "Server Error"}),
    Reply(502, body=b"<html>Bad gateway</html>"),
    Reset(),
    Reply(200, body=b"<html>OK</html>"),
    Reply(201, {"success": True, "message": "Task created successfully."}),
])
def test_store_outcome_unknown_is_never_resent(api, make_client, answer):
    api.script("task/store", answer)
    api.default("task/store", Reply(201, CREATED))
    client = make_client()
    with pytest.raises(SubmissionOutcomeUnknownError) as caught:
        client.create_task(NEW)
    assert len(api.seen) == 1 and client.requests_made == 1
    assert "marker" in str(caught.value)


def test_store_read_timeout_is_outcome_unknown(api, make_client):
    api.script("task/store", Hang())
    client = make_client(timeout=(2.0, 0.05))
    with pytest.raises(SubmissionOutcomeUnknownError, match="read timeout"):
        client.create_task(NEW)
    assert len(api.seen) == 1


def test_store_connection_refused_is_a_plain_transport_error(make_client):
    with pytest.raises(TransportError) as caught:
        make_client(base_url=refused_base_url(), max_retries=1).create_task(NEW)
    assert not isinstance(caught.value, SubmissionOutcomeUnknownError)


def test_store_429_is_resent_because_the_server_refused_it(api, make_client, fake_time):
    api.script("task/store", Reply(429, {"success": False}), Reply(201, CREATED))
    assert make_client().create_task(NEW) == "6825f0ba291e7"
    assert len(api.seen) == 2 and len(fake_time.sleeps) == 1


# --- pacing, counting, logging, repr --------------------------------------------------------


def test_client_paces_itself(api, make_client, fake_time):
    api.default("credits", Reply(200, {"credits": 1}))
    client = make_client(rate_limit=3)
    for _ in range(4):
        client.credits()
    assert fake_time.sleeps == [pytest.approx(61.0)]  # a minute plus the latency margin


def test_two_clients_of_one_token_share_the_window(api, make_client, fake_time):
    api.default("credits", Reply(200, {"credits": 1}))
    a, b = make_client(rate_limit=2), make_client(rate_limit=2)
    a.credits(), b.credits()
    assert fake_time.sleeps == []
    a.credits()
    assert fake_time.sleeps == [pytest.approx(61.0)]


def test_debug_log_names_method_endpoint_status_elapsed_but_no_url(api, make_client, token, caplog):
    api.script("task/show", Reply(200, {"success": True, "message": TASK}))
    with caplog.at_level(logging.DEBUG, logger="sheetsync.client"):
        make_client().task("6825c868ac395")
    (record,) = [r for r in caplog.records if r.name == "sheetsync.client"]
    assert record.getMessage().startswith("GET task/show -> 200 in ")
    assert "?" not in caplog.text and token not in caplog.text


def test_repr_hides_the_token(make_client, token):
    client = make_client()
    assert token not in repr(client) and "***" in repr(client)
    assert all(token not in repr(v) for v in vars(client).values())


def test_default_base_url_is_the_documented_endpoint():
    assert Client("x" * 8).base_url == "https://backlinkbase.com/api/v1/"


def test_an_empty_token_is_refused_without_sending(api, make_client):
    client = make_client(token="")
    with pytest.raises(BadTokenError, match="BACKLINKBASE_API_TOKEN"):
        client.credits()
    assert api.seen == [] and client.requests_made == 0


def test_the_session_never_retries_on_its_own():
    from sheetsync.client import make_session

    session = make_session()
    for scheme in ("https://backlinkbase.com/", "http://127.0.0.1/"):
        assert session.get_adapter(scheme).max_retries.total == 0


class _TlsFailingSession:
    """A session whose every request fails the way requests reports a TLS error."""

    def __init__(self, ssl_error: Exception) -> None:
        self.ssl_error = ssl_error
        self.calls = 0

    def request(self, method, url, **kw):
        self.calls += 1
        reason = urllib3.exceptions.SSLError(self.ssl_error)
        raise requests.exceptions.SSLError(urllib3.exceptions.MaxRetryError(None, url, reason))


def test_store_tls_error_after_the_handshake_is_outcome_unknown(make_client):
    session = _TlsFailingSession(ssl.SSLError(1, "[SSL: BAD_RECORD_MAC] bad record mac"))
    client = make_client(session=session)
    with pytest.raises(SubmissionOutcomeUnknownError, match="TLS"):
        client.create_task(NEW)
    assert session.calls == 1 and client.requests_made == 1


def test_store_refused_certificate_is_a_plain_transport_error(make_client):
    session = _TlsFailingSession(ssl.SSLCertVerificationError(1, "certificate verify failed"))
    client = make_client(session=session, max_retries=1)
    with pytest.raises(TransportError, match="certificate") as caught:
        client.create_task(NEW)
    assert type(caught.value) is TransportError and session.calls == 2
