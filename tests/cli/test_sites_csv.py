"""`sites --csv` from a hostile server: no cell runs as a formula, no echoed token is printed."""

from __future__ import annotations

import csv
import io

from click.testing import CliRunner

from sheetsync.cli import Runtime, cli
from tests.client.fakeserver import FakeApi, Reply

TOKEN = "csv-token-5d1e90c2a7"
URLS = [
    '=HYPERLINK("https://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\tx.example",
    "\rx.example",
    f"leak.example/{TOKEN}",
    "plain.example",
]


def test_sites_csv_escapes_formula_starts_and_masks_an_echoed_token(tmp_path):
    sites = [
        {"id": i, "url": url, "da": 50, "pa": 40, "spam_score": 1, "status": 1, "limited": 0}
        for i, url in enumerate(URLS, start=1)
    ]
    with FakeApi() as api:
        api.default("task/sites", Reply(200, {"success": True, "message": sites}))
        env = {"BACKLINKBASE_API_TOKEN": TOKEN, "BACKLINKBASE_API_URL": api.base_url, "SHEETSYNC_RATE_LIMIT": "0"}
        runtime = Runtime(env=env, folder=tmp_path, interactive=lambda: False, sleep=lambda s: None,
                          stderr_is_terminal=lambda: False)
        result = CliRunner().invoke(cli, ["sites", "--csv"], obj=runtime, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert TOKEN not in result.stdout
    urls = {int(r["id"]): r["url"] for r in csv.DictReader(io.StringIO(result.stdout, newline=""))}
    for i, url in enumerate(URLS, start=1):
        if url == "plain.example" or TOKEN in url:
            assert not urls[i].startswith(("=", "+", "-", "@", "\t", "\r", "'"))
        else:
            assert urls[i] == "'" + url.replace("\r", " ")
