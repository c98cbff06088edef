"""The client against the emulator over a real socket, every documented variant and fault."""

from __future__ import annotations

import datetime as dt

import pytest

from sheetsync.client import make_session
from sheetsync.emulator import ENABLED_IDS
from sheetsync.errors import (
    BadTokenError,
    InsufficientCreditsError,
    NotFoundError,
    OutOfCreditsError,
    SubmissionOutcomeUnknownError,
    TransportError,
    ValidationFailedError,
)
from sheetsync.models import Status

from .emulated import START, emulated, new_task
from .fakeserver import refused_base_url


def test_reads_and_a_task_published_end_to_end(token):
    with emulated(token, credits=10) as rig:
        client = rig.client()
        health = client.health()
        assert health.ok and health.server_time == START
        assert client.credits() == 10
        catalogue = client.sites()
        assert {s.id for s in catalogue.sites if s.enabled} == set(ENABLED_IDS)
        task_id = client.create_task(new_task())
        assert client.credits() == 7
        (summary,) = client.tasks()
        assert (summary.id, summary.name) == (task_id, "Press release batch k7f3")
        rig.clock.advance(4 * 24 * 3600)
        task = client.task(task_id)
        assert task.status.is_final and {p.site_id for p in task.placements} == {372, 373, 374}
        published = [p for p in task.placements if p.status is Status.PUBLISHED]
        assert all(p.result_url.startswith(rig.base_url.replace("api/v1/", "sites/")) for p in published)
        assert client.requests_made == 7 and len(rig.emu.request_log) == 7


def test_sandbox_spends_nothing(token):
    with emulated(token, credits=5) as rig:
        client = rig.client()
        client.create_task(new_task(sandbox=True))
        assert client.credits() == 5
        (row,) = rig.emu.task_rows(token)
        assert row["sandbox"] is True and row["charged"] == 0


@pytest.mark.parametrize("options", [
    {"payload_key": "response"},
    {"store_status": 200},
    {"status_vocabulary": "task"},
    {"timestamps": "seconds"},
    {"timestamps": "mixed"},
    {"validation_message": "Input Fields Validation Error"},
])
def test_every_documented_variant(token, options):
    with emulated(token, **options) as rig:
        client = rig.client()
        ids = [client.create_task(new_task(str(n))) for n in range(3)]
        rig.clock.advance(4 * 24 * 3600)
        assert {t.id for t in client.tasks()} == set(ids)
        assert all(client.task(i).status.is_final for i in ids)
        assert client.credits() == 100 - 9


def test_ids_demanded_as_json_array_create_exactly_one_task(token):
    with emulated(token, ids_as_array_only=True) as rig:
        client = rig.client()
        client.create_task(new_task("a"))
        client.create_task(new_task("b"))
        assert [r["name"] for r in rig.emu.task_rows(token)] == ["Press release batch a", "Press release batch b"]
        assert rig.emu.request_log.count(("POST", "task/store")) == 3  # one refused, then arrays
        assert rig.emu.credits(token) == 94


def test_validation_errors_name_the_fields(token):
    with emulated(token) as rig:
        with pytest.raises(ValidationFailedError) as caught:
            rig.client().create_task(new_task(title="Too short"))
        assert "article_title" in caught.value.errors
        assert rig.emu.task_rows(token) == []


def test_validation_errors_as_single_strings(token):
    with emulated(token, error_values="string") as rig:
        with pytest.raises(ValidationFailedError) as caught:
            rig.client().create_task(new_task(title="Too short", sites=(372, 999)))
        assert caught.value.errors == {
            "article_title": ["The article_title must be between 4 and 50 words. You have 2 words."],
            "target_website_ids": ["The selected target_website_ids 999 is invalid."],
        }
        assert rig.emu.task_rows(token) == []


def test_json_array_demand_as_a_single_string_is_met_too(token):
    with emulated(token, ids_as_array_only=True, error_values="string") as rig:
        rig.client().create_task(new_task())
        assert [r["site_ids"] for r in rig.emu.task_rows(token)] == [[372, 373, 374]]
        assert rig.emu.request_log.count(("POST", "task/store")) == 2


def test_insufficient_and_no_credits(token):
    with emulated(token, credits=2) as rig:
        client = rig.client()
        with pytest.raises(InsufficientCreditsError):
            client.create_task(new_task())
        rig.emu.add_account(token, 0)
        with pytest.raises(OutOfCreditsError):
            client.create_task(new_task())
        assert client.credits() == 0  # out of credits does not stop the client


def test_unknown_task_is_not_found(token):
    with emulated(token) as rig:
        with pytest.raises(NotFoundError):
            rig.client().task("ffffffffffff0")


def test_bad_token_is_sent_once_and_never_provokes_the_lockout(token):
    with emulated(token) as rig:
        client = rig.client(token="wrong-token-0000")
        for _ in range(6):
            with pytest.raises(BadTokenError):
                client.credits()
        assert rig.emu.request_log == [("GET", "credits")]
        assert rig.client().credits() == 100  # the good token from this address still works


@pytest.mark.parametrize("fault, options", [
    ("500", {}),
    ("500", {"after_commit": True}),
    ("html", {}),
    ("html", {"after_commit": True, "status": 504}),
    ("reset_after_commit", {}),
    ("hang", {"seconds": 2.0}),
])
def test_store_faults_raise_outcome_unknown_and_never_resend(token, fault, options):
    with emulated(token) as rig:
        rig.emu.faults.inject("task/store", fault, **options)
        # Only "hang" needs a short read timeout; elsewhere the answer comes after the commit,
        # and waiting for it keeps a loaded machine from racing the row count below.
        client = rig.client(timeout=(2.0, 0.5 if fault == "hang" else 5.0))
        with pytest.raises(SubmissionOutcomeUnknownError):
            client.create_task(new_task())
        assert rig.emu.request_log.count(("POST", "task/store")) == 1
        committed = fault in ("reset_after_commit", "hang") or options.get("after_commit", False)
        rows = rig.emu.task_rows(token)
        assert len(rows) == (1 if committed else 0)
        # The marker in the task name is how the caller finds out what happened.
        assert all(r["name"].endswith("k7f3") for r in rows)


def test_store_429_is_resent_and_creates_one_task(token):
    with emulated(token) as rig:
        rig.emu.faults.inject("task/store", "429", count=2)
        rig.client().create_task(new_task())
        assert len(rig.emu.task_rows(token)) == 1 and len(rig.sleeps) == 2


@pytest.mark.parametrize("fault", ["500", "html", "429", "reset_after_commit"])
def test_reads_ride_out_transient_faults(token, fault):
    with emulated(token) as rig:
        rig.emu.faults.inject("credits", fault, count=2)
        assert rig.client().credits() == 100
        assert rig.emu.request_log.count(("GET", "credits")) == 3


def test_refused_store_is_plain_transport_error(token):
    with emulated(token) as rig:
        with pytest.raises(TransportError) as caught:
            rig.client(base_url=refused_base_url(), max_retries=1).create_task(new_task())
        assert type(caught.value) is TransportError


def test_pacing_keeps_a_busy_client_under_the_server_limit(token):
    with emulated(token) as rig:
        client = rig.client()
        for _ in range(130):
            client.credits()
        assert ("GET", "credits") in rig.emu.request_log and len(rig.emu.request_log) == 130
        # No 429 was ever answered: every wait came from the client's own window.
        assert sum(rig.sleeps) == pytest.approx(2 * 61.0, abs=1.0)  # two windows of a minute + margin


def test_pacing_leaves_room_for_a_first_request_that_arrives_late(token):
    with emulated(token) as rig:
        session = make_session()
        send = session.request
        late: list[bool] = []

        def request(*args, **kw):
            if not late:  # the first request's handshake: it reaches the server 0.5 s after leaving
                late.append(True)
                rig.clock.advance(0.5)
            return send(*args, **kw)

        session.request = request
        client = rig.client(session=session)
        for _ in range(61):
            client.credits()
        # The 61st arrived more than a minute after the first did: no 429, nothing resent.
        assert rig.emu.request_log.count(("GET", "credits")) == 61


def test_without_pacing_the_server_429_is_ridden_out_by_backoff(token):
    with emulated(token) as rig:
        client = rig.client(rate_limit=0)
        for _ in range(61):
            client.credits()
            rig.clock.advance(0.9)  # 61 requests in 54 s: the server refuses the last one
        assert rig.emu.request_log.count(("GET", "credits")) > 61
        assert rig.sleeps and sum(rig.sleeps) >= 5.0


def test_retry_after_from_the_server_is_honoured(token):
    with emulated(token, retry_after=7) as rig:
        rig.emu.faults.inject("tasks", "429")
        assert rig.client().tasks() == []
        assert rig.sleeps == [7.0]


def test_threads_share_the_window(token):
    import threading

    with emulated(token) as rig:
        lock = threading.Lock()

        def sleep(seconds: float) -> None:
            with lock:
                rig.clock.advance(seconds)

        clients = [rig.client(sleep=sleep) for _ in range(3)]
        errors: list[BaseException] = []

        def work(c) -> None:
            try:
                for _ in range(25):
                    c.credits()
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert rig.clock.now() - START >= dt.timedelta(seconds=60)



def test_a_429_after_bad_tokens_from_this_address_is_explained_as_the_lockout(token, tmp_path):
    from sheetsync.badtokens import BadTokenMemo
    from sheetsync.errors import RateLimitedError

    memo = tmp_path / "bad-tokens.json"
    with emulated(token) as rig:
        # One bad token per run (a client stops after its 401), four runs: the address is locked.
        for i in range(4):
            with pytest.raises(BadTokenError):
                rig.client(token=f"wrong-token-{i}", bad_tokens=BadTokenMemo(memo)).credits()
        fixed = rig.client(bad_tokens=BadTokenMemo(memo), max_retries=0)
        with pytest.raises(RateLimitedError) as caught:
            fixed.credits()
        # Without a record of the 401s a 429 is put down to other traffic, as before.
        with pytest.raises(RateLimitedError) as other:
            rig.client(bad_tokens=BadTokenMemo(tmp_path / "elsewhere.json"), max_retries=0).credits()
    message = str(caught.value)
    assert "locking out this address" in message and "more than 3" in message
    assert "other sync" not in message and "other sync" in str(other.value)
    assert token not in memo.read_text() and "wrong-token" not in memo.read_text()
