"""The server's logs show method, path and status, never the token in the query string."""

from __future__ import annotations

import logging
import socket

import pytest
import requests

from sheetsync.emulator import Emulator

from .conftest import TOKEN


def _server_text(caplog: pytest.LogCaptureFixture) -> str:
    # Only the server's own loggers: what a client library logs is the client's business.
    return "\n".join(
        r.getMessage() + (r.exc_text or "")
        for r in caplog.records if r.name.startswith(("sheetsync.emulator", "werkzeug"))
    )


def test_server_logs_never_show_the_token(emu: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with emu.serve() as server:
        requests.get(server.base_url + "credits", params={"api_token": TOKEN})
        requests.get(server.base_url + "credits", params={"api_token": TOKEN + "x"})
        emu.store.close()
        requests.get(server.base_url + "tasks", params={"api_token": TOKEN})  # a 500 with a traceback
    text = _server_text(caplog)
    assert "/api/v1/credits" in text and "Traceback" in text
    assert TOKEN not in text


@pytest.mark.parametrize("request_line", [
    f"GET /api/v1/credits?api_token={TOKEN} x HTTP/1.1",  # too many words: logged as bad syntax
    f"GET /api/v1/credits?api_token={TOKEN} HTTP/7.1",
    "GARBAGE",
])
def test_broken_request_lines_are_answered_and_logged_without_the_token(
    emu: Emulator, caplog: pytest.LogCaptureFixture, request_line: str
) -> None:
    caplog.set_level(logging.DEBUG)
    with emu.serve() as server, socket.create_connection(("127.0.0.1", server.port)) as conn:
        conn.sendall(request_line.encode() + b"\r\n\r\n")
        answer = conn.recv(200)
    # Lines without a usable HTTP version get an HTTP/0.9-style page with no status line.
    assert b"400" in answer or b"505" in answer
    text = _server_text(caplog)
    assert "code 400" in text or "code 505" in text
    assert TOKEN not in text
