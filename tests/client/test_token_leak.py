"""A canary token driven through every error path must never surface anywhere a person sees."""

from __future__ import annotations

import logging
import traceback
from urllib.parse import quote, quote_plus

import pytest

from sheetsync.client import Client
from sheetsync.errors import ApiError

from .emulated import emulated, new_task
from .fakeserver import FakeApi, Hang, Reply, Reset, refused_base_url

# Characters that URL encoding changes, so the encoded forms are searched for too.
CANARY = "CANARY-7f3a9e/tok+en=x&y"
FORMS = {CANARY, quote(CANARY, safe=""), quote_plus(CANARY), "CANARY-7f3a9e"}


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _surfaces(exc: BaseException) -> str:
    parts = [
        "".join(traceback.format_exception(exc)),
        "".join(traceback.format_exception(exc, chain=True)),
    ]
    for link in _chain(exc):
        parts += [str(link), repr(link), repr(vars(link)), repr(link.args)]
    return "\n".join(parts)


def _assert_clean(text: str) -> None:
    for form in FORMS:
        assert form not in text


def _fake_paths(api: FakeApi):
    echo = f"API token {CANARY} is not valid"
    yield "credits", Reply(429, {"success": False, "message": "Rate limit exceeded."}), "read"
    yield "credits", Reply(500, {"success": False, "message": echo}), "read"
    yield "tasks", Reply(200, body=b"<html>maintenance</html>"), "read"
    yield "credits", Reply(301, body=b"", headers={"Location": f"{api.base_url}credits?api_token={CANARY}"}), "read"
    yield "credits", Reply(418, {"success": False, "message": echo}), "read"
    yield "task/store", Reply(422, {"success": False, "message": echo, "errors": {"api_token": [echo]}}), "store"
    yield "task/store", Reply(500, {"success": False, "message": echo}), "store"
    yield "task/store", Reply(200, body=f"<html>{CANARY}</html>".encode()), "store"
    yield "task/store", Reset(), "store"
    yield "task/store", Hang(), "store"
    yield "credits", Reset(), "read"


def _run(call) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value


def test_canary_never_leaks_from_any_error_path(caplog, capfd):
    caplog.set_level(logging.DEBUG)  # root at DEBUG: urllib3 logs every request line
    sleeps: list[float] = []
    errors: list[ApiError] = []
    clients: list[Client] = []

    def client(base_url: str, **kw) -> Client:
        made = Client(CANARY, base_url, sleep=sleeps.append, timeout=(2.0, 0.05),
                      max_retries=1, rate_limit=0, **kw)
        clients.append(made)
        return made

    with FakeApi() as api:
        for endpoint, answer, kind in _fake_paths(api):
            api.default(endpoint, answer)
            c = client(api.base_url)
            errors.append(_run(c.credits if endpoint == "credits" else
                               c.tasks if endpoint == "tasks" else
                               (lambda c=c: c.create_task(new_task()))))
            api.defaults.clear()

    with emulated("the-real-token-1234") as rig:
        bad = client(rig.base_url)  # the canary is not an account: 401
        errors.append(_run(bad.credits))
        errors.append(_run(bad.credits))  # the stopped client's repeated error
        rig.emu.add_account(CANARY, 2)
        good = client(rig.base_url)
        errors.append(_run(lambda: good.task("ffffffffffff0")))  # 404
        errors.append(_run(lambda: good.create_task(new_task())))  # 409
        errors.append(_run(lambda: good.create_task(new_task(title="Too short"))))  # 422
        rig.emu.add_account(CANARY, 0)
        errors.append(_run(lambda: good.create_task(new_task())))  # 401 out of credits
        rig.emu.faults.inject("task/store", "reset_after_commit")
        rig.emu.add_account(CANARY, 50)
        errors.append(_run(lambda: good.create_task(new_task())))
        rig.emu.faults.inject("credits", "500", count=2)
        errors.append(_run(good.credits))
        rig.emu.faults.inject("tasks", "429", count=2)
        errors.append(_run(good.tasks))
        rig.emu.faults.inject("task/store", "hang", seconds=1.0)
        errors.append(_run(lambda: good.create_task(new_task())))

    refused = client(refused_base_url())
    errors.append(_run(refused.credits))
    errors.append(_run(lambda: refused.create_task(new_task())))

    kinds = {type(e).__name__ for e in errors}
    assert {"BadTokenError", "NotFoundError", "InsufficientCreditsError", "ValidationFailedError",
            "RateLimitedError", "ServerError", "UnexpectedResponseError", "TransportError",
            "SubmissionOutcomeUnknownError", "OutOfCreditsError", "ApiError"} <= kinds
    for error in errors:
        message = str(error)
        assert "\n" not in message, message
        _assert_clean(_surfaces(error))
    for made in clients:
        _assert_clean(repr(made))
    # The canary really went over the wire, and urllib3 really logged request lines.
    assert any("api_token=***" in r.getMessage() for r in caplog.records)
    _assert_clean("\n".join(r.getMessage() for r in caplog.records) + caplog.text)
    out, err = capfd.readouterr()
    _assert_clean(out + err)


def test_server_text_echoing_the_token_is_scrubbed():
    echo = f"API token {CANARY} is not valid"
    with FakeApi() as api:
        api.default("task/store", Reply(422, {"success": False, "message": echo, "errors": {"api_token": echo}}))
        error = _run(lambda: Client(CANARY, api.base_url, sleep=lambda s: None, rate_limit=0).create_task(new_task()))
    assert "api_token" in str(error) and "***" in str(error)
    _assert_clean(str(error) + repr(error.errors))
