"""Signing in to Google on a server: never an interactive sign-in without a terminal, a bounded
one with a terminal, and a service-account key that says what it waits for."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from sheetsync.errors import ConfigError, TableError
from sheetsync.tables.google_auth import NO_TERMINAL, SignIn, sign_in
from sheetsync.tables.gsheets import GoogleSheetTable, RetryPolicy

EMAIL = "sheetsync@example-project.iam.gserviceaccount.com"


def service_account_key(folder: Path, token_uri: str) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key = folder / "key.json"
    key.write_text(json.dumps({
        "type": "service_account", "project_id": "p", "private_key_id": "1", "private_key": pem.decode(),
        "client_email": EMAIL, "client_id": "1", "token_uri": token_uri,
    }))
    return key


class Silent:
    """A token endpoint that accepts connections and never answers (a network black hole)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.connections: list[socket.socket] = []
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/token"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self) -> None:
        self.listener.close()
        for conn in self.connections:
            conn.close()


def test_an_unreachable_token_endpoint_is_named_on_stderr_and_tried_twice_only(tmp_path):
    silent = Silent()
    said: list[str] = []
    waits = SignIn(say=said.append, notice_after=0.2, token_timeout=0.6, sleep=lambda s: None)
    try:
        client, email = sign_in(str(service_account_key(tmp_path, silent.url)), {}, how=waits)
        sheets_sleeps: list[float] = []
        table = GoogleSheetTable(client.http_client, "k" * 44, account_email=email,
                                 retry=RetryPolicy(sleep=sheets_sleeps.append))
        started = time.monotonic()
        with pytest.raises(TableError, match="Could not reach Google's sign-in server") as caught:
            table.read()
        took = time.monotonic() - started
    finally:
        silent.close()
    assert len(silent.connections) == 2 and sheets_sleeps == []  # no minute of Sheets retries
    assert took < 5
    assert len(said) == 1 and "Waiting for Google's sign-in server (127.0.0.1:" in said[0]
    assert EMAIL in said[0] and EMAIL in str(caught.value)
    assert "check the network" in str(caught.value) and "\n" not in str(caught.value)


def test_a_refused_token_endpoint_fails_at_once(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/token"
    said: list[str] = []
    client, _ = sign_in(str(service_account_key(tmp_path, closed)), {},
                        how=SignIn(say=said.append, notice_after=5, sleep=lambda s: None))
    table = GoogleSheetTable(client.http_client, "k" * 44, retry=RetryPolicy(sleep=lambda s: None))
    with pytest.raises(TableError, match="after 2 tries"):
        table.read()
    assert said == []  # it did not wait long enough to need explaining


def oauth_client(folder: Path, token_uri: str = "https://oauth2.googleapis.com/token") -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "credentials.json"
    path.write_text(json.dumps({"installed": {
        "client_id": "id.apps.googleusercontent.com", "client_secret": "secret", "project_id": "p",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": token_uri,
        "redirect_uris": ["http://localhost"],
    }}))
    return path


def test_without_a_terminal_no_sign_in_is_started(tmp_path):
    gspread_dir = tmp_path / "gspread"
    oauth_client(gspread_dir)
    said: list[str] = []

    def never(timeout: float) -> str:
        raise AssertionError("asked a person who is not there")

    how = SignIn(interactive=lambda: False, say=said.append, read_line=never)
    with pytest.raises(ConfigError) as caught:
        sign_in(None, {}, gspread_dir, how=how)
    assert str(caught.value) == NO_TERMINAL
    assert "--credentials key.json" in NO_TERMINAL and "client_email" in NO_TERMINAL
    assert said == [] and not (gspread_dir / "authorized_user.json").exists()
    # The same for an OAuth client file passed with --credentials.
    with pytest.raises(ConfigError, match="needs a person at a terminal"):
        sign_in(str(gspread_dir / "credentials.json"), {}, how=how)


def test_with_a_terminal_the_sign_in_gives_up_when_nobody_answers(tmp_path):
    gspread_dir = tmp_path / "gspread"
    oauth_client(gspread_dir)
    said: list[str] = []
    asked: list[float] = []

    def nobody(timeout: float) -> None:
        asked.append(timeout)
        return None

    how = SignIn(interactive=lambda: True, say=said.append, read_line=nobody, answer_timeout=120)
    with pytest.raises(ConfigError, match="No sign-in address was pasted within 2 minutes"):
        sign_in(None, {}, gspread_dir, how=how)
    assert asked == [120]
    assert "https://accounts.google.com/o/oauth2/auth?" in said[0] and "paste it here" in said[0]


class TokenEndpoint(BaseHTTPRequestHandler):
    bodies: list[str] = []

    def do_POST(self) -> None:  # noqa: N802
        TokenEndpoint.bodies.append(self.rfile.read(int(self.headers["Content-Length"])).decode())
        body = json.dumps({"access_token": "at", "token_type": "Bearer", "expires_in": 3600,
                           "refresh_token": "rt", "scope": "https://www.googleapis.com/auth/spreadsheets "
                           "https://www.googleapis.com/auth/drive"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_with_a_terminal_the_pasted_address_signs_in_and_is_saved(tmp_path, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the stand-in endpoint is plain http
    server = HTTPServer(("127.0.0.1", 0), TokenEndpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    gspread_dir = tmp_path / "gspread"
    oauth_client(gspread_dir, f"http://127.0.0.1:{server.server_port}/token")
    try:
        how = SignIn(interactive=lambda: True, say=lambda text: None,
                     read_line=lambda timeout: "http://localhost:1/?state=x&code=4/0Abc-pasted&scope=s\n")
        client, _ = sign_in(None, {}, gspread_dir, how=how)
    finally:
        server.shutdown()
    assert "code=4%2F0Abc-pasted" in TokenEndpoint.bodies[-1]
    saved = json.loads((gspread_dir / "authorized_user.json").read_text())
    assert saved["refresh_token"] == "rt" and client.http_client.auth.refresh_token == "rt"
