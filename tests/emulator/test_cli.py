"""`sheetsync emulator` serves until interrupted, prints its URL and token, and keeps its db."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from sheetsync.cli import cli


def _start(db: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sheetsync", "emulator", "--port", "0", "--db", str(db),
         "--token", "local-demo", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith("BacklinkBase emulator serving http://127.0.0.1:"), first
    banner = [first]
    while not banner[-1].startswith("Press Ctrl-C"):
        banner.append(proc.stdout.readline())
    proc.banner = "".join(banner)  # type: ignore[attr-defined]
    return proc, first.split()[-1]


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    assert proc.stdout is not None
    rest = proc.stdout.read()
    proc.wait(timeout=10)
    assert proc.returncode == 0
    return proc.banner + rest  # type: ignore[attr-defined]


def _get(url: str) -> dict:
    if shutil.which("curl"):
        raw = subprocess.run(["curl", "-s", url], check=True, capture_output=True, text=True).stdout
    else:
        with urllib.request.urlopen(url) as response:
            raw = response.read().decode()
    return json.loads(raw)


def test_serves_until_ctrl_c_and_keeps_accounts_across_restarts(tmp_path: Path) -> None:
    db = tmp_path / "emu.sqlite"
    proc, base = _start(db, "--credits", "7")
    try:
        assert base.endswith("/api/v1/")
        assert _get(base + "credits?api_token=local-demo")["credits"] == 7  # curl-style GET
        request = urllib.request.Request(
            base + "task/store",
            data=json.dumps({
                "api_token": "local-demo", "name": "Press release batch",
                "article_title": "Fintech startup Acme raises series A funding",
                "article_body": "Acme, a Pune based fintech company.",
                "article_urls": "https://acme.com", "target_website_ids": "388, 372",
            }).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:
            assert response.status == 201
    finally:
        out = _stop(proc)
    assert "token: local-demo" in out and "Emulator stopped." in out

    proc, base = _start(db, "--credits", "50")
    try:
        assert _get(base + "credits?api_token=local-demo")["credits"] == 5
        assert len(_get(base + "tasks?api_token=local-demo")["message"]) == 1
    finally:
        _stop(proc)


@pytest.mark.parametrize(("args", "expected"), [
    (["--speed", "0"], "--speed must be above 0"),
    (["--rate-limit", "-1"], "Invalid value for '--rate-limit'"),
])
def test_bad_options_are_one_line_errors(args: list[str], expected: str) -> None:
    result = CliRunner().invoke(cli, ["emulator", "--port", "0", *args])
    assert result.exit_code == 2
    assert expected in result.output


def test_a_busy_port_is_reported_with_what_to_do() -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["emulator", "--port", str(port)])
    assert result.exit_code == 2
    assert f"Port {port} on 127.0.0.1 is already in use; choose another with --port." in result.output
