"""`serve --http`: the status page in a real headless browser, and /healthz for monitors."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.request

import pytest

from sheetsync.service.web import StatusServer

from .harness import Agency, rows

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _served(agency: Agency):
    ok = agency.xlsx("ok.xlsx", rows(2))
    gone = agency.google(rows(1, start=9), "Gone")
    agency.configure([
        {"sheet": ok, "account": "acme", "client": "Acme <Ltd>"},
        {"sheet": gone, "account": "globex", "client": "Globex"},
    ], acme={"monthly_budget": 100})  # fmt: skip
    agency.sheets.book(gone).shared = False
    agency.cycle()
    return StatusServer(agency.config, "127.0.0.1:0", agency.clock.now)


def test_healthz_reports_the_last_cycle_and_failing_sheets(agency):
    server = _served(agency)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/healthz", timeout=10) as answer:
            doc = json.loads(answer.read())
        assert doc["ok"] is True and doc["failing_sheets"] == 1
        acme = next(a for a in doc["accounts"] if a["account"] == "acme")
        assert acme["spent"] == 4 and acme["spent_by_client"] == {"Acme <Ltd>": 4} and acme["credits"] == 996
        agency.minutes(10)  # no cycle for ten minutes: monitors are told
        with pytest.raises(urllib.error.HTTPError) as late:
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}/healthz", timeout=10)
        assert late.value.code == 503
        post = urllib.request.Request(f"http://127.0.0.1:{server.port}/", data=b"x", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(post, timeout=10)
        assert refused.value.code == 405
    finally:
        server.close()


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (Debian package 'chromium') for the headless browser test")
def test_the_status_page_in_a_headless_browser(agency, tmp_path):
    server = _served(agency)
    try:
        dom = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             f"--user-data-dir={tmp_path / 'chromium'}", "--dump-dom", f"http://127.0.0.1:{server.port}/"],
            capture_output=True, text=True, timeout=90,
        ).stdout  # fmt: skip
    finally:
        server.close()
    assert "<table id=\"sheets\">" in dom
    assert "Acme &lt;Ltd&gt;" in dom  # people's text is escaped, never markup
    assert "does not have permission" in dom or "share" in dom.lower()  # the unshared sheet's problem
    assert "Service: running" in dom
    assert "4 of 100" in dom  # spent this month against the budget
