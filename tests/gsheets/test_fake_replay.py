"""Every Sheets API request in Google's recorded answers, replayed against the fake.

The recordings live beside the repository (../shared/reference), not in it: a fresh clone
has none, and then this module is skipped with that reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from sheetsync.testing.fake_sheets import FakeSheets

RECORDINGS = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "gspread-cassettes"
FILES = sorted(RECORDINGS.glob("*.json")) if RECORDINGS.is_dir() else []

pytestmark = pytest.mark.skipif(
    not FILES, reason=f"no reference recordings at {RECORDINGS} (they live beside the repository, not in it)"
)

# Ids the fake picks itself: compared by type only.
VOLATILE = {"sheetId"}


def same_shape(expected: Any, actual: Any, where: str = "$") -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        assert sorted(actual) == sorted(expected), f"{where}: keys {sorted(actual)} != {sorted(expected)}"
        for key, value in expected.items():
            if key in VOLATILE:
                assert type(actual[key]) is type(value), f"{where}.{key}: type differs"
            else:
                same_shape(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: {actual!r} != {expected!r}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            same_shape(e, a, f"{where}[{i}]")
    else:
        assert actual == expected and type(actual) is type(expected), f"{where}: {actual!r} != {expected!r}"


def replay(path: Path) -> int:
    """Send each recorded Sheets request to a fresh fake; return how many were compared."""
    fake = FakeSheets()
    session = fake.mount(requests.Session())
    sheet_ids: dict[str, str] = {}  # recorded sheetId -> the fake's
    compared = 0
    for interaction in json.loads(path.read_text())["interactions"]:
        request, response = interaction["request"], interaction["response"]
        url, method = request["uri"], request["method"]
        recorded = response["body"]["string"]
        if urlsplit(url).netloc != "sheets.googleapis.com":
            # Drive calls create and delete the spreadsheets the recording used; mirror them.
            if method == "POST" and url.split("?")[0].endswith("/drive/v3/files"):
                made = json.loads(recorded)
                fake.create_spreadsheet(made["name"], spreadsheet_id=made["id"])
            elif method == "DELETE":
                fake.delete_spreadsheet(urlsplit(url).path.rsplit("/", 1)[1])
            continue
        body = request.get("body") or None
        for old, new in sheet_ids.items():
            body = body.replace(f'"sheetId": {old}', f'"sheetId": {new}') if body else body
        answer = session.request(method, url, data=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == response["status"]["code"], f"{method} {url}: {answer.text}"
        expected = json.loads(recorded) if recorded.strip() else None
        actual = answer.json()
        same_shape(expected, actual)
        if body and '"addSheet"' in body:
            old = expected["replies"][0]["addSheet"]["properties"]["sheetId"]
            sheet_ids[str(old)] = str(actual["replies"][0]["addSheet"]["properties"]["sheetId"])
        compared += 1
    return compared


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_the_fake_answers_every_recorded_request_as_google_did(path):
    assert replay(path) > 0
