"""The Google Sheets backend against the fake Sheets API, through the real gspread client."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
import requests
from google.auth.credentials import Credentials
from google.auth.exceptions import RefreshError
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetsync.errors import ConfigError, TableError
from sheetsync.tables import open_table
from sheetsync.tables.base import RowWrite, Tab, Unreadable, WriteBack, WriteResult
from sheetsync.tables.gsheets import CELL_LIMIT, RetryPolicy, _value, open_google_sheet, parse_spec
from sheetsync.testing.fake_sheets import FakeSheets

HEADER = ["title", "body", "row_key", "status"]
GET = "spreadsheets.getByDataFilter"  # the read, and the re-read before and the check after each write
CYCLE = {GET: 3, "values.batchUpdate": 1}  # read, re-read, write, check
EMAIL = "sync-bot@example-project.iam.gserviceaccount.com"


class Sleeps(list):
    """Records the waits a retry would make, and waits for none of them."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def fake():
    return FakeSheets()


@pytest.fixture
def book(fake):
    sid = fake.create_spreadsheet("Queue", ["Articles", "Notes"])
    fake.sheet(sid, "Notes").set_cell(1, 1, "kept")
    return sid


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def open_sheet(fake, book, sleeps):
    def opener(spec: str | None = None, worksheet: str | None = None, **options):
        options.setdefault("retry", RetryPolicy(sleep=sleeps, random=lambda: 0.5))
        return open_google_sheet(spec or book, worksheet, client=fake.client(), **options)

    return opener


def seed(fake, book, rows, tab="Articles"):
    sheet = fake.sheet(book, tab)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is not None:
                sheet.set_cell(r, c, value)
    return sheet


def statuses(n: int, status: str = "Published") -> WriteBack:
    return WriteBack("row_key", "title", tuple(RowWrite(f"k{i}", {"status": status}, i + 2) for i in range(n)))


# --- request budget ------------------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 2_000])
def test_a_read_and_write_back_cycle_costs_four_requests_whatever_the_rows(fake, book, open_sheet, n):
    seed(fake, book, [HEADER] + [[f"Title {i}", "body", f"k{i}"] for i in range(n)])
    fake.sheet(book, "Articles").rows = n + 1
    table = open_sheet(None, "Articles")
    for _ in range(2):
        fake.reset_counts()
        grid = table.read()
        table.write(statuses(n))
        assert fake.counts == CYCLE
        # The same column on rows one below the other goes as one range, not one per row.
        (write,) = [r for r in fake.log if r.kind == "values.batchUpdate"]
        assert [d["range"] for d in write.body["data"]] == [f"'Articles'!D2:D{n + 1}"]
    assert len(grid.rows) == n
    assert all(row[3] == "Published" for row in fake.sheet(book, "Articles").values()[1:])


def test_a_write_with_nothing_to_write_sends_no_request(fake, book, open_sheet):
    seed(fake, book, [HEADER, ["Alpha", "a", "k0"]])
    table = open_sheet()
    table.read()
    fake.reset_counts()
    assert table.write(WriteBack("row_key", "title")) == WriteResult()
    assert fake.total == 0


def test_growing_the_grid_and_creating_the_tab_cost_one_extra_request_only_the_first_time(fake, book, open_sheet):
    wide = [f"c{i}" for i in range(26)]
    seed(fake, book, [wide + [], ["Alpha"] + [""] * 25])
    table = open_sheet(None, "Articles")
    tab = Tab("Placements", ("row_key", "site_id"), (("k1", "7"),))
    write = WriteBack("row_key", "c0", (RowWrite("k1", {"status": "Queued"}, 2, new_key=True, anchor="Alpha"),), tab=tab)
    table.read()
    fake.reset_counts()
    table.write(write)
    # The list of tabs says whether Placements exists; once known it is not asked for again.
    assert fake.counts == {"spreadsheets.get": 1, GET: 2, "spreadsheets.batchUpdate": 1, "values.batchUpdate": 1}
    assert fake.sheet(book, "Articles").values()[1][26:] == ["k1", "Queued"]
    assert fake.sheet(book, "Placements").values() == [["row_key", "site_id"], ["k1", "7"]]

    fake.reset_counts()
    table.read()
    table.write(WriteBack("row_key", "c0", (RowWrite("k1", {"status": "Published"}, 2),), tab=tab))
    assert fake.counts == CYCLE


def test_a_placements_tab_larger_than_its_grid_grows_once(fake, book, open_sheet):
    seed(fake, book, [HEADER, ["Alpha", "a", "k0"]])
    fake.add_sheet(book, "Placements", rows=5, cols=2)
    table = open_sheet()
    table.read()
    rows = tuple((f"k{i}", str(i)) for i in range(50))
    table.write(WriteBack("row_key", "title", (), tab=Tab("Placements", ("row_key", "site_id"), rows)))
    placements = fake.sheet(book, "Placements")
    assert len(placements.values()) == 51 and placements.rows >= 51
    assert fake.counts["spreadsheets.batchUpdate"] == 1


def test_writes_are_raw_text_never_user_entered(fake, book, open_sheet):
    seed(fake, book, [HEADER, ["Alpha", "a", "k0"]])
    table = open_sheet()
    table.read()
    table.write(WriteBack("row_key", "title", (RowWrite("k0", {"status": "=HYPERLINK(1)", "notes": "2025-01-01"}, 2),)))
    writes = [r for r in fake.log if r.kind not in ("spreadsheets.get", GET)]
    assert {r.kind for r in writes} <= {"values.batchUpdate", "spreadsheets.batchUpdate"}
    assert all(r.body["valueInputOption"] == "RAW" for r in writes if r.kind == "values.batchUpdate")
    sheet = fake.sheet(book, "Articles")
    assert sheet.cell(2, 4).formula is None and sheet.cell(2, 4).value == "=HYPERLINK(1)"
    assert sheet.cell(2, 5).value == "2025-01-01" and sheet.cell(2, 5).number_format is None


# --- reading -------------------------------------------------------------------------------


def test_dates_read_as_dates_and_other_numbers_stay_numbers(fake, book, open_sheet):
    sheet = seed(fake, book, [["title", "from", "at", "serial", "price"]])
    sheet.set_cell(2, 1, "Dated")
    sheet.set_cell(2, 2, dt.date(2025, 3, 14))
    sheet.set_cell(2, 3, dt.datetime(2025, 3, 14, 9, 30))
    sheet.set_cell(2, 4, 45730)
    sheet.set_cell(2, 5, 45730.5, number_format="CURRENCY")
    # A date-time is a moment in the spreadsheet's time zone (the fake's default: Etc/GMT).
    at = dt.datetime(2025, 3, 14, 9, 30, tzinfo=ZoneInfo("Etc/GMT"))
    assert open_sheet().read().rows == (("Dated", dt.date(2025, 3, 14), at, 45730, 45730.5),)


def test_a_date_cell_holding_a_number_past_the_calendar_reads_as_that_number(fake, book, open_sheet):
    # A person pastes an ID into a column formatted as dates: the read must not crash.
    sheet = seed(fake, book, [["title", "from", "till", "at"], ["Alpha"]])
    sheet.set_cell(2, 2, 1_234_567_890, number_format="DATE")
    sheet.set_cell(2, 3, -5e9, number_format="DATE")
    sheet.set_cell(2, 4, 1e300, number_format="DATE_TIME")
    assert open_sheet().read().rows == (("Alpha", 1_234_567_890, -5e9, 1e300),)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False)),
    st.sampled_from(["DATE", "DATE_TIME", "TIME", "NUMBER", "CURRENCY", None]),
)
def test_no_number_in_any_format_crashes_the_reader(number, kind):
    cell = {"effectiveValue": {"numberValue": number}}
    if kind:
        cell["effectiveFormat"] = {"numberFormat": {"type": kind}}
    assert _value(cell) is not None


def test_error_cells_are_unreadable_and_formulas_read_as_their_values(fake, book, open_sheet):
    sheet = seed(fake, book, [["title", "ids", "sum"], ["Alpha"]])
    sheet.set_cell(2, 2, None, formula="=Other!A1", error="REF")
    sheet.set_cell(2, 3, 3, formula="=1+2")
    row = open_sheet().read().rows[0]
    assert isinstance(row[1], Unreadable) and "#REF!" in str(row[1])
    assert row[2] == 3


def test_merged_cells_read_top_left_with_a_note(fake, book, open_sheet):
    sheet = seed(fake, book, [HEADER, ["Alpha", "wide", None, None], ["Bravo"]])
    sheet.merge(2, 2, 3, 3)
    grid = open_sheet().read()
    assert grid.rows[0][1] == "wide" and grid.rows[1][1] is None
    assert any("B2:C3" in note and "merged" in note for note in grid.notes)


def test_control_characters_are_stripped_but_tabs_and_newlines_kept(fake, book, open_sheet):
    seed(fake, book, [["ti\x07tle"], ["a\x00b\tc\nd\x1b"]])
    grid = open_sheet().read()
    assert grid.header == ("title",) and grid.rows == (("ab\tc\nd",),)


def test_values_over_the_cell_limit_are_cut_with_a_note(fake, book, open_sheet):
    seed(fake, book, [HEADER, ["Alpha", "a", "k0"]])
    table = open_sheet()
    table.read()
    result = table.write(WriteBack("row_key", "title", (RowWrite("k0", {"status": "x" * (CELL_LIMIT + 10)}, 2),)))
    assert len(fake.sheet(book, "Articles").cell(2, 4).value) == CELL_LIMIT
    assert any("Row 2, column status" in note and "50,000" in note for note in result.notes)


# --- which tab -----------------------------------------------------------------------------


def test_the_tab_comes_from_its_title_then_the_url_gid_then_the_first_tab(fake, book, open_sheet):
    seed(fake, book, [["title"], ["from articles"]])
    notes = fake.sheet(book, "Notes")
    url = f"https://docs.google.com/spreadsheets/d/{book}/edit#gid={notes.sheet_id}"
    assert open_sheet(url).read().header == ("kept",)
    assert open_sheet(url, "Articles").read().rows == (("from articles",),)
    assert open_sheet().read().rows == (("from articles",),)
    with pytest.raises(TableError, match=r"no tab with gid 999; its tabs are 'Articles', 'Notes'"):
        open_sheet(f"https://docs.google.com/spreadsheets/d/{book}/edit#gid=999").read()


def test_identity_names_the_spreadsheet_and_the_sheet_id(fake, book, open_sheet):
    notes_id = fake.sheet(book, "Notes").sheet_id
    url = f"https://docs.google.com/spreadsheets/d/{book}/edit#gid={notes_id}"
    assert open_sheet(url).identity == f"gsheets:{book}#{notes_id}"
    assert fake.total == 0  # known from the URL: no request
    table = open_sheet(None, "Notes")
    table.read()
    assert table.identity == f"gsheets:{book}#{notes_id}"


def test_identity_before_the_read_keeps_the_cycle_at_four_requests(fake, book, open_sheet):
    seed(fake, book, [HEADER, ["Alpha", "a", "k0"]])
    table = open_sheet(None, "Articles")
    assert table.identity == f"gsheets:{book}#0"  # asked first, as a lock does
    assert table.read().rows == (("Alpha", "a", "k0", None),)
    table.write(statuses(1))
    assert fake.counts == CYCLE
    assert table.read().rows == (("Alpha", "a", "k0", "Published"),)  # later reads are fresh


def test_open_table_dispatches_urls_and_keys_here(fake, book):
    slept = Sleeps()
    table = open_table(f"https://docs.google.com/spreadsheets/d/{book}/edit", client=fake.client(), sleep=slept)
    fake.fail_next(1, status=500)
    assert table.read().header == ()
    assert len(slept) == 1
    assert parse_spec(book) == (book, None)
    with pytest.raises(TableError, match="not a Google Sheets URL"):
        parse_spec("https://docs.google.com/document/d/abc")


# --- people editing meanwhile --------------------------------------------------------------


def test_rows_inserted_between_the_read_and_the_write_do_not_shift_the_values(fake, book, open_sheet):
    sheet = seed(fake, book, [HEADER, ["Alpha", "a", "k0"], ["Bravo", "b", "k1"]])
    table = open_sheet()
    table.read()
    fake.on_next_request(lambda: sheet.insert_row(2, ["Inserted"]), kind=GET)
    table.write(statuses(2))
    assert sheet.values()[1:] == [["Inserted"], ["Alpha", "a", "k0", "Published"], ["Bravo", "b", "k1", "Published"]]


def test_a_column_moved_meanwhile_costs_one_more_re_read_and_lands_right(fake, book, open_sheet):
    sheet = seed(fake, book, [HEADER, ["Alpha", "a", "k0"]])
    table = open_sheet()
    table.read()

    def move_key_column_first():  # a person drags row_key to column A
        sheet.cells = {(r, {2: 0, 0: 1, 1: 2}.get(c, c)): v for (r, c), v in sheet.cells.items()}

    fake.on_next_request(move_key_column_first, kind=GET)
    fake.reset_counts()
    result = table.write(statuses(1))
    assert result.written == ("k0",)
    assert sheet.values() == [["row_key", "title", "body", "status"], ["k0", "Alpha", "a", "Published"]]
    assert fake.counts == {GET: 3, "values.batchUpdate": 1}


# --- failures ------------------------------------------------------------------------------


def test_429_and_5xx_are_retried_with_capped_jittered_backoff(fake, book, open_sheet, sleeps):
    seed(fake, book, [HEADER])
    fake.fail_next(2, status=429)
    fake.fail_next(1, status=503)
    assert open_sheet().read().header == tuple(HEADER)
    assert fake.counts["spreadsheets.get"] == 4
    assert sleeps == [1.5, 3.0, 6.0]  # base 2 doubling, half fixed + half jitter (random=0.5)


def test_retries_stop_at_the_cap_and_say_what_to_do(fake, book, open_sheet, sleeps):
    fake.fail_next(20, status=429)
    with pytest.raises(TableError, match=r"429 .* after 8 tries over 94 s: the quota .*; wait a few minutes"):
        open_sheet().read()
    assert len(sleeps) == 7 and max(sleeps) <= 32 and sum(sleeps) >= 90
    jittered = RetryPolicy(random=iter([0.0, 0.999]).__next__)
    assert 16 <= jittered.delay(10) < jittered.delay(10) <= 32


def test_other_4xx_are_not_retried(fake, book, open_sheet, sleeps):
    fake.fail_next(1, status=400)
    with pytest.raises(TableError, match="HTTP 400"):
        open_sheet().read()
    assert fake.total == 1 and sleeps == []


def test_a_tab_created_before_the_connection_dropped_is_not_created_twice(fake, book, open_sheet, sleeps):
    seed(fake, book, [HEADER, ["Alpha", "a", "k0"]])
    table = open_sheet()
    table.read()
    fake.on_next_request(lambda: fake.fail_next(1, how="reset"), kind="spreadsheets.batchUpdate")
    table.write(WriteBack("row_key", "title", (), tab=Tab("Placements", ("a",), (("1",),))))
    assert [s.title for s in fake.book(book).sheets] == ["Articles", "Notes", "Placements"]
    assert fake.sheet(book, "Placements").values() == [["a"], ["1"]]
    assert fake.counts["spreadsheets.batchUpdate"] == 1 and len(sleeps) == 1


def test_transport_errors_are_retried_then_reported_without_urls(fake, book, open_sheet, sleeps):
    def drop(request):
        raise requests.ConnectionError(f"connection reset while sending {request.url}")

    for _ in range(20):
        fake.on_next_request(drop)
    with pytest.raises(TableError) as caught:
        open_sheet().read()
    assert "ConnectionError" in str(caught.value) and "https://" not in str(caught.value)
    assert len(sleeps) == 7


def test_unshared_or_missing_sheets_name_the_account_to_share_with(fake, book, open_sheet, tmp_path):
    key = tmp_path / "key.json"
    key.write_text(json.dumps({"type": "service_account", "client_email": EMAIL}))
    fake.book(book).shared = False
    with pytest.raises(TableError, match=f"share the sheet with {EMAIL} as Editor"):
        open_sheet(credentials=str(key)).read()
    with pytest.raises(TableError, match=f"found no spreadsheet {'x' * 30}.*share the sheet with {EMAIL}"):
        open_sheet("x" * 30, credentials=str(key)).read()


def test_a_disabled_sheets_api_says_to_enable_it_not_to_share_the_sheet(fake, book, open_sheet):
    fake.fail_next(1, status=403, message=(
        "Google Sheets API has not been used in project 123456 before or it is disabled. Enable it "
        "by visiting https://console.developers.google.com/apis/api/sheets.googleapis.com/overview"
        "?project=123456 then retry."
    ))
    with pytest.raises(TableError, match="Sheets API is not enabled .* project 123456") as caught:
        open_sheet().read()
    assert "share the sheet" not in str(caught.value) and "\n" not in str(caught.value)


class Revoked(Credentials):
    """Credentials whose refresh Google refuses, as for an expired or revoked sign-in."""

    def refresh(self, request):
        raise RefreshError("invalid_grant: Token has been expired or revoked.", {"error": "invalid_grant"})


def test_an_expired_or_revoked_sign_in_says_how_to_sign_in_again(fake, book, sleeps):
    import gspread
    from google.auth.transport.requests import AuthorizedSession

    credentials = Revoked()
    client = gspread.Client(credentials, session=fake.mount(AuthorizedSession(credentials)))
    table = open_google_sheet(book, client=client, retry=RetryPolicy(sleep=sleeps))
    with pytest.raises(TableError, match="expired or revoked.*delete authorized_user.json") as caught:
        table.read()
    assert "\n" not in str(caught.value) and sleeps == [] and fake.total == 0


def test_no_credentials_is_a_config_error_saying_how_to_provide_them(book, tmp_path):
    with pytest.raises(ConfigError, match="--credentials .* GOOGLE_APPLICATION_CREDENTIALS"):
        open_google_sheet(book, env={}, gspread_dir=tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        open_google_sheet(book, env={"GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "nope.json")})
    (tmp_path / "odd.json").write_text("{}")
    with pytest.raises(ConfigError, match="neither a service-account key"):
        open_google_sheet(book, credentials=str(tmp_path / "odd.json"))


def test_every_error_message_is_one_line(fake, book, open_sheet):
    fake.fail_next(1, status=400)
    with pytest.raises(TableError) as caught:
        open_sheet().read()
    assert "\n" not in str(caught.value)


def test_a_service_account_key_opens_without_any_request_and_names_its_account(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key = tmp_path / "service-account.json"
    key.write_text(json.dumps({
        "type": "service_account", "project_id": "p", "private_key_id": "1", "private_key": pem.decode(),
        "client_email": EMAIL, "client_id": "1", "token_uri": "https://oauth2.googleapis.com/token",
    }))
    table = open_google_sheet("k" * 44, env={"GOOGLE_APPLICATION_CREDENTIALS": str(key)})
    assert table.account_email == EMAIL
    assert table.http.auth.service_account_email == EMAIL


def test_a_saved_oauth_login_is_used_when_no_key_is_given(tmp_path):
    (tmp_path / "authorized_user.json").write_text(json.dumps({
        "type": "authorized_user", "client_id": "id", "client_secret": "secret", "refresh_token": "token",
    }))
    table = open_google_sheet("k" * 44, env={}, gspread_dir=tmp_path)
    assert table.account_email is None and table.http.auth.refresh_token == "token"


# --- the items, one test each ------------------------------------------------------


def test_a_multi_account_url_opens_its_sheet(fake, book, open_sheet):
    seed(fake, book, [["title"], ["from articles"]])
    notes = fake.sheet(book, "Notes").sheet_id
    url = f"https://docs.google.com/spreadsheets/u/1/d/{book}/edit#gid={notes}"
    assert parse_spec(url) == (book, notes)
    assert open_sheet(url).read().header == ("kept",)
    table = open_table(f"https://docs.google.com/spreadsheets/u/2/d/{book}/edit", client=fake.client())
    assert table.read().rows == (("from articles",),)
