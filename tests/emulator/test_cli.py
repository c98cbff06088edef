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


def _start(db: Path, *extra: str, ignore_sigint: bool = False) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sheetsync", "emulator", "--port", "0", "--db", str(db),
         "--token", "local-demo", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        # As a shell script's background job starts it: SIGINT ignored.
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_sigint else None,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith("BacklinkBase emulator serving http://127.0.0.1:"), first
    banner = [first]
    while not banner[-1].startswith("Press Ctrl-C"):
        banner.append(proc.stdout.readline())
    proc.banner = "".join(banner)  # type: ignore[attr-defined]
    return proc, first.split()[-1]


def _stop(proc: subprocess.Popen[str], sig: int = signal.SIGINT) -> str:
    proc.send_signal(sig)
    assert proc.stdout is not None
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError(f"the emulator did not stop on signal {sig}") from None
    rest = proc.stdout.read()
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


def test_each_request_is_logged_on_stderr_without_the_token_unless_quiet(tmp_path: Path) -> None:
    proc, base = _start(tmp_path / "emu.sqlite")
    try:
        _get(base + "credits?api_token=local-demo")
        _get(base + "credits?api_token=wrong-token-123")
    finally:
        _stop(proc)
    assert proc.stderr is not None
    log = proc.stderr.read()
    lines = [line for line in log.splitlines() if " credits " in line]
    assert len(lines) == 2, log
    assert lines[0].endswith(" ms") and " GET credits 200 " in lines[0]
    assert " GET credits 401 " in lines[1]
    assert "local-demo" not in log and "wrong-token-123" not in log

    proc, base = _start(tmp_path / "emu.sqlite", "--quiet")
    try:
        _get(base + "credits?api_token=local-demo")
    finally:
        _stop(proc)
    assert proc.stderr.read() == ""


def test_credits_with_a_saved_database_says_it_is_ignored_and_top_up_adds(tmp_path: Path) -> None:
    db = tmp_path / "emu.sqlite"
    proc, base = _start(db, "--credits", "7", "--quiet")
    _stop(proc)
    assert "credits: 7" in proc.banner  # type: ignore[attr-defined]

    proc, base = _start(db, "--credits", "50", "--quiet")
    try:
        assert _get(base + "credits?api_token=local-demo")["credits"] == 7
    finally:
        banner = _stop(proc)
    assert "keeps its balance" in banner and "--credits 50 only sets up a new account" in banner
    assert "--top-up N" in banner

    proc, base = _start(db, "--top-up", "5", "--quiet")
    try:
        assert _get(base + "credits?api_token=local-demo")["credits"] == 12
    finally:
        banner = _stop(proc)
    assert "credits: 12 (topped up by 5)" in banner


def test_the_banner_says_the_calendar_is_not_sped_up(tmp_path: Path) -> None:
    import datetime as dt

    proc, _ = _start(tmp_path / "emu.sqlite", "--speed", "3600", "--quiet")
    banner = _stop(proc)
    today = dt.datetime.now(dt.timezone.utc).date()
    assert f"speed: 3600x for placements; schedule dates are checked against today's date, {today:%Y-%m-%d}" in banner


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_stops_on_ctrl_c_or_sigterm_even_when_started_with_sigint_ignored(tmp_path: Path, sig: int) -> None:
    proc, base = _start(tmp_path / "emu.sqlite", ignore_sigint=True)
    assert _get(f"{base}/health-check")
    out = _stop(proc, sig)
    assert proc.returncode == 0 and "Emulator stopped." in out
