"""The Drive change feed of the fake, as Google documents it, and the service's reading of it."""

from __future__ import annotations

from google.auth.transport.requests import AuthorizedSession
from google.oauth2.credentials import Credentials

from sheetsync.service.changes import DriveFeed
from sheetsync.testing.fake_drive import FakeDrive
from sheetsync.testing.fake_sheets import FakeSheets

ME = "sheetsync@agency.iam.gserviceaccount.com"


def session(fake, drive, user=ME):
    s = AuthorizedSession(Credentials(token=user))
    fake.mount(s)
    drive.mount(s)
    return s


def test_start_token_then_changes_with_their_author_and_a_new_start_token():
    fake = FakeSheets()
    drive = FakeDrive(fake)
    s = session(fake, drive)
    a = fake.create_spreadsheet("A")
    b = fake.create_spreadsheet("B")
    start = s.get("https://www.googleapis.com/drive/v3/changes/startPageToken").json()
    assert start["kind"] == "drive#startPageToken"
    drive.edit(a, "alice@agency.com")
    drive.edit(a, "bob@agency.com")  # one entry per file, its latest state
    body = s.get("https://www.googleapis.com/drive/v3/changes", params={"pageToken": start["startPageToken"]}).json()
    assert body["kind"] == "drive#changeList" and "nextPageToken" not in body
    [change] = body["changes"]
    assert change["fileId"] == a and change["removed"] is False
    assert change["file"]["lastModifyingUser"] == {
        "kind": "drive#user", "displayName": "bob", "emailAddress": "bob@agency.com", "me": False}
    # A write through the Sheets API is a change by the writer: "me" for the writer only.
    s.put(f"https://sheets.googleapis.com/v4/spreadsheets/{b}/values/Sheet1!A1",
          params={"valueInputOption": "RAW"}, json={"values": [["x"]]})  # fmt: skip
    later = s.get("https://www.googleapis.com/drive/v3/changes", params={"pageToken": body["newStartPageToken"]}).json()
    assert [(c["fileId"], c["file"]["lastModifyingUser"]["me"]) for c in later["changes"]] == [(b, True)]
    other = session(fake, drive, "someone@else.com")
    seen = other.get("https://www.googleapis.com/drive/v3/changes", params={"pageToken": body["newStartPageToken"]}).json()
    assert seen["changes"][0]["file"]["lastModifyingUser"]["me"] is False


def test_pages_fields_removed_and_a_bad_token():
    fake = FakeSheets()
    drive = FakeDrive(fake)
    s = session(fake, drive)
    ids = [fake.create_spreadsheet(f"S{i}") for i in range(5)]
    for sid in ids:
        drive.edit(sid, "alice@agency.com")
    url = "https://www.googleapis.com/drive/v3/changes"
    first = s.get(url, params={"pageToken": "1", "pageSize": "2", "fields": "nextPageToken,changes(fileId)"}).json()
    assert first == {"nextPageToken": "3", "changes": [{"fileId": ids[0]}, {"fileId": ids[1]}]}
    drive.unshare(ids[4])
    feed = DriveFeed(s)
    changes = feed.since("1")
    assert changes.changed == set(ids[:4]) and changes.removed == {ids[4]}
    assert changes.token == "7" and changes.requests == 1
    assert s.get(url, params={"pageToken": "abc"}).status_code == 400


def test_the_service_ignores_its_own_writes():
    fake = FakeSheets()
    drive = FakeDrive(fake)
    s = session(fake, drive)
    sid = fake.create_spreadsheet("A")
    feed = DriveFeed(s)
    token = feed.start_token()
    s.put(f"https://sheets.googleapis.com/v4/spreadsheets/{sid}/values/Sheet1!A1",
          params={"valueInputOption": "RAW"}, json={"values": [["ours"]]})  # fmt: skip
    mine = feed.since(token)
    assert mine.changed == set() and mine.own == 1
    drive.edit(sid, "alice@agency.com")
    assert feed.since(mine.token).changed == {sid}
