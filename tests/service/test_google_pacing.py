"""One Sheets quota per Google user across all its sheets: the 61st read of a minute waits."""

from __future__ import annotations

from google.auth.transport.requests import AuthorizedSession
from google.oauth2.credentials import Credentials

from sheetsync.emulator import FakeClock
from sheetsync.service.google import pace_sheets
from sheetsync.testing.fake_sheets import FakeSheets

from .harness import START


def test_reads_of_many_sheets_share_one_window_and_never_meet_a_429():
    clock = FakeClock(start=START)
    fake = FakeSheets(clock=clock)
    fake.set_quota(reads=60, writes=60)  # Google's per-user quota, answered with 429s
    session = AuthorizedSession(Credentials(token="sheetsync@agency.iam.gserviceaccount.com"))
    fake.mount(session)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds)

    pace_sheets(session, clock=lambda: clock.now().timestamp(), sleep=sleep)
    ids = [fake.create_spreadsheet(f"S{i}") for i in range(10)]
    statuses = []
    for n in range(90):  # 9 reads of each of 10 sheets
        answer = session.get(f"https://sheets.googleapis.com/v4/spreadsheets/{ids[n % 10]}/values/Sheet1!A1")
        statuses.append(answer.status_code)
    assert set(statuses) == {200}
    assert fake.throttled == 0
    assert waits and sum(waits) >= 59  # the 61st read waited for the window, whichever sheet it was for
    assert (clock.now() - START).total_seconds() < 125


def test_writes_have_their_own_window():
    clock = FakeClock(start=START)
    fake = FakeSheets(clock=clock)
    session = AuthorizedSession(Credentials(token="u"))
    fake.mount(session)
    reads, writes = pace_sheets(session, per_minute=2, clock=lambda: clock.now().timestamp(), sleep=clock.advance)
    sid = fake.create_spreadsheet("S")
    for _ in range(2):
        session.get(f"https://sheets.googleapis.com/v4/spreadsheets/{sid}/values/Sheet1!A1")
    session.put(f"https://sheets.googleapis.com/v4/spreadsheets/{sid}/values/Sheet1!A1",
                params={"valueInputOption": "RAW"}, json={"values": [["x"]]})  # fmt: skip
    assert clock.now() == START  # two reads and a write fit their own windows
    session.get(f"https://sheets.googleapis.com/v4/spreadsheets/{sid}/values/Sheet1!A1")
    assert clock.now() > START
