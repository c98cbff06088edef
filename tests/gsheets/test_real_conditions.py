"""The Google backend under real conditions: quotas, outages, lost answers and people editing.

Everything waits on an injected clock shared by the fake Sheets API and the retry policy, so
a minute of throttling passes in no time.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest
from google.auth.credentials import AnonymousCredentials
from google.auth.exceptions import RefreshError

from sheetsync.emulator import FakeClock
from sheetsync.errors import TableError
from sheetsync.tables.base import RowWrite, Tab, WriteBack, cell_text
from sheetsync.tables.gsheets import CELL_LIMIT, RetryPolicy, open_google_sheet
from sheetsync.testing.fake_sheets import FakeSheets

HEADER = ["title", "body", "row_key", "status"]
GET = "spreadsheets.getByDataFilter"
EMAIL = "sync-bot@example-project.iam.gserviceaccount.com"


class Waited(list):
    """The waits of the retry policy: recorded, and passed on the shared clock instead of slept."""

    def __init__(self, clock: FakeClock, then=None):
        super().__init__()
        self.clock, self.then = clock, then

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self.clock.advance(seconds)
        if self.then is not None:
            self.then()


@pytest.fixture
def clock():
    return FakeClock(start=dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc))


@pytest.fixture
def fake(clock):
    return FakeSheets(clock=clock)


@pytest.fixture
def waited(clock):
    return Waited(clock)


@pytest.fixture
def book(fake):
    return fake.create_spreadsheet("Queue", ["Articles", "Notes"])


def seed(fake, book, rows, tab="Articles"):
    sheet = fake.sheet(book, tab)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is not None:
                sheet.set_cell(r, c, value)
    return sheet


class Refreshable(AnonymousCredentials):
    """Credentials a 401 makes the auth library refresh, as it does real ones."""

    def refresh(self, request):
        pass


def client(fake):
    import gspread
    from google.auth.transport.requests import AuthorizedSession

    credentials = Refreshable()
    return gspread.Client(credentials, session=fake.mount(AuthorizedSession(credentials)))


def open_sheet(fake, book, waited, worksheet="Articles", **options):
    options.setdefault("retry", RetryPolicy(sleep=waited, random=lambda: 0.5))
    options.setdefault("client", client(fake))
    return open_google_sheet(book, worksheet, **options)


def statuses(keys, status="Published") -> WriteBack:
    return WriteBack("row_key", "title", tuple(RowWrite(k, {"status": status}, i + 2) for i, k in enumerate(keys)))


def rows_by_title(sheet):
    return {row[0]: row for row in sheet.values()[1:] if row}


# --- 1. a retried write finds its rows again ------------------------------------------------


def test_a_write_throttled_while_a_person_inserts_a_row_lands_on_the_right_rows(fake, book, clock):
    sheet = seed(fake, book, [HEADER, ["Alpha", "a", "k0"], ["Bravo", "b", "k1"]])
    person = Waited(clock, then=lambda: sheet.insert_row(2, ["Inserted by a person"]) if len(person) == 1 else None)
    table = open_sheet(fake, book, person)
    table.read()
    fake.on_next_request(lambda: fake.fail_next(1, status=429), kind="values.batchUpdate")
    result = table.write(statuses(["k0", "k1"]))
    assert result.written == ("k0", "k1") and len(person) == 1
    assert sheet.values()[1:] == [["Inserted by a person"], ["Alpha", "a", "k0", "Published"], ["Bravo", "b", "k1", "Published"]]
    # The retry read the keys again before writing: two re-reads, two writes, one check.
    assert fake.counts == {GET: 4, "values.batchUpdate": 2}


def test_a_new_key_whose_answer_was_lost_is_found_where_the_row_moved_not_written_twice(fake, book, clock):
    sheet = seed(fake, book, [HEADER, ["Alpha", "a"], ["Bravo", "b"]])
    person = Waited(clock, then=lambda: sheet.sort_rows(1, reverse=True))
    table = open_sheet(fake, book, person)
    grid = table.read()
    writes = tuple(
        RowWrite(f"ss-new{i}", {"status": "Queued"}, grid.row_number(i), new_key=True, anchor=cell_text(row[0]))
        for i, row in enumerate(grid.rows)
    )
    # Google applies the write, then the connection drops; the person sorts before the retry.
    fake.on_next_request(lambda: fake.fail_next(1, how="reset"), kind="values.batchUpdate")
    result = table.write(WriteBack("row_key", "title", writes))
    assert set(result.written) == {"ss-new0", "ss-new1"} and not result.lost
    assert rows_by_title(sheet) == {"Alpha": ["Alpha", "a", "ss-new0", "Queued"], "Bravo": ["Bravo", "b", "ss-new1", "Queued"]}


# --- 2. HTML 5xx pages ---------------------------------------------------------------------


def test_an_html_502_page_is_retried_by_its_http_status(fake, book, waited):
    seed(fake, book, [HEADER])
    fake.fail_next(1, status=502, how="html")
    assert open_sheet(fake, book, waited).read().header == tuple(HEADER)
    assert len(waited) == 1


def test_an_html_503_that_never_ends_is_reported_as_an_outage_without_the_page(fake, book, waited):
    fake.fail_next(50, status=503, how="html")
    with pytest.raises(TableError) as caught:
        open_sheet(fake, book, waited).read()
    message = str(caught.value)
    assert "HTTP 503" in message and "run again in a few minutes" in message
    assert "<" not in message and "-1" not in message and "tab names" not in message


# --- 3. growing the grid never deletes rows --------------------------------------------------


def test_adding_a_column_after_people_appended_rows_keeps_their_rows(fake, book, waited):
    wide = [f"c{i}" for i in range(25)] + ["title"]
    sid = fake.create_spreadsheet("Tight", ["Articles"], rows=3, cols=26)
    sheet = seed(fake, sid, [wide, [None] * 25 + ["Alpha"], [None] * 25 + ["Bravo"]])
    table = open_sheet(fake, sid, waited)
    grid = table.read()

    def people_append_rows():
        for i in range(3):
            sheet.insert_row(sheet.rows + 1, [f"appended {i}"])

    fake.on_next_request(people_append_rows, kind="spreadsheets.batchUpdate")
    fake.on_next_request(lambda: fake.fail_next(1, status=503), kind="spreadsheets.batchUpdate")
    writes = tuple(
        RowWrite(f"ss-{i}", {}, grid.row_number(i), new_key=True, anchor=cell_text(row[25]))
        for i, row in enumerate(grid.rows)
    )
    table.write(WriteBack("row_key", "title", writes))
    values = sheet.values()
    assert [r[0] for r in values[3:]] == ["appended 0", "appended 1", "appended 2"]
    assert [r[26] for r in values[1:3]] == ["ss-0", "ss-1"]
    assert sheet.rows == 6 and sheet.cols == 27
    grows = [r.body["requests"] for r in fake.log if r.kind == "spreadsheets.batchUpdate"]
    assert all("rowCount" not in json.dumps(g) for g in grows)


# --- 4. the read and the re-read agree on what a cell says ----------------------------------


@pytest.mark.parametrize("title", ["date", "error"])
def test_a_title_sheets_turned_into_a_date_or_an_error_still_gets_its_key(fake, book, waited, title):
    sheet = seed(fake, book, [HEADER])
    if title == "date":  # someone typed "March 2025"; Sheets stored a date
        sheet.set_cell(2, 1, dt.date(2025, 3, 1))
    else:
        sheet.set_cell(2, 1, None, formula="=VLOOKUP(A9,B:C,2)", error="N_A")
    sheet.set_cell(2, 2, "body")
    table = open_sheet(fake, book, waited)
    grid = table.read()
    write = RowWrite("ss-abc", {}, 2, new_key=True, anchor=cell_text(grid.rows[0][0]))
    result = table.write(WriteBack("row_key", "title", (write,)))
    assert result.written == ("ss-abc",) and not result.lost
    assert sheet.cell(2, 3).value == "ss-abc"


# --- 5. each refusal has its own message and next step ---------------------------------------


def _fault(status, message, word, reason=None):
    details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": "googleapis.com"}]
    return dict(status=status, message=message, word=word, details=details if reason else None)


REFUSALS = {
    "scope": (
        _fault(403, "Request had insufficient authentication scopes.", "PERMISSION_DENIED", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"),
        r"ACCESS_TOKEN_SCOPE_INSUFFICIENT.*gcloud auth application-default login --scopes=",
    ),
    "disabled": (
        _fault(403, "Google Sheets API has not been used in project 123 before or it is disabled.", "PERMISSION_DENIED",
               "SERVICE_DISABLED"),
        r"Sheets API is not enabled .*enable it in the Cloud console",
    ),
    "protected": (
        _fault(400, "You are trying to edit a protected cell or object. Please contact the spreadsheet owner to "
               "remove protection if you need to edit.", "INVALID_ARGUMENT"),
        rf"protected .*ask the sheet's owner to let {EMAIL} edit that range",
    ),
    "xlsx": (
        _fault(400, "This operation is not supported for this document", "FAILED_PRECONDITION"),
        r"Excel file stored in Google Drive.*File > Save as Google Sheets",
    ),
    "unauthenticated": (
        _fault(401, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
               "other valid authentication credential.", "UNAUTHENTICATED"),
        r"did not accept the credentials \(HTTP 401\).*create a new key",
    ),
    "too large": (
        _fault(413, "Request payload size exceeds the limit: 10485760 bytes.", "INVALID_ARGUMENT"),
        r"too large \(HTTP 413\).*shorten the longest",
    ),
    "viewer only": (
        _fault(403, "The caller does not have permission", "PERMISSION_DENIED"),
        rf"let sheetsync read but not write .*share the sheet with {EMAIL} as Editor",
    ),
}


@pytest.mark.parametrize("cause", sorted(REFUSALS))
def test_each_refusal_says_its_own_cause_and_next_step(fake, book, waited, tmp_path, cause):
    key = tmp_path / "key.json"
    key.write_text(json.dumps({"type": "service_account", "client_email": EMAIL}))
    seed(fake, book, [HEADER, ["Alpha", "a", "k0"]])
    table = open_sheet(fake, book, waited, credentials=str(key))
    table.read()
    fault, expected = REFUSALS[cause]
    # On a 401 the auth library refreshes the token and asks again once or twice itself.
    fake.on_next_request(lambda: fake.fail_next(3 if cause == "unauthenticated" else 1, **fault), kind="values.batchUpdate")
    with pytest.raises(TableError) as caught:
        table.write(statuses(["k0"]))
    message = str(caught.value)
    assert __import__("re").search(expected, message), message
    assert "\n" not in message and "tab names and layout" not in message
    if cause != "viewer only":
        assert "share the sheet" not in message
    assert waited == []  # none of these gets better by asking again


def test_a_html_413_from_the_front_end_is_payload_too_large(fake, book, waited):
    seed(fake, book, [HEADER, ["Alpha", "a", "k0"]])
    table = open_sheet(fake, book, waited)
    table.read()
    fake.on_next_request(lambda: fake.fail_next(1, status=413, how="html"), kind="values.batchUpdate")
    with pytest.raises(TableError, match=r"too large \(HTTP 413\)"):
        table.write(statuses(["k0"]))


# --- 7. writes are split at 2 MB, each part finding its rows again ---------------------------


def test_a_write_over_2_mb_goes_in_parts_that_each_find_their_rows(fake, book, waited):
    n = 80
    sheet = seed(fake, book, [HEADER + ["notes"]] + [[f"Title {i}", "b", f"k{i}"] for i in range(n)])
    table = open_sheet(fake, book, waited)
    table.read()
    # A person inserts a row at the top while the second part waits to be sent.
    fake.on_next_request(lambda: None, kind=GET)
    fake.on_next_request(lambda: None, kind="values.batchUpdate")
    fake.on_next_request(lambda: sheet.insert_row(2, ["Inserted"]), kind=GET)
    note = "é" * 20_000  # 120,000 bytes as sent (non-ASCII goes as \\u00e9)
    writes = tuple(RowWrite(f"k{i}", {"status": "Published", "notes": note}, i + 2) for i in range(n))
    result = table.write(WriteBack("row_key", "title", writes))
    assert len(result.written) == n
    bodies = [r.received_bytes for r in fake.log if r.kind == "values.batchUpdate"]
    assert len(bodies) >= 5 and max(bodies) <= 2_000_000 and sum(bodies) > 9_000_000
    rows = rows_by_title(sheet)
    assert rows["Inserted"] == ["Inserted"]
    assert all(rows[f"Title {i}"][2:] == [f"k{i}", "Published", note] for i in range(n))


# --- 8. reads ask only for the articles tab, compressed -------------------------------------


def test_a_read_transfers_the_articles_tab_alone_compressed(fake, book, waited):
    sheet = seed(fake, book, [HEADER] + [[f"Title {i}", f"Body {i} " * 5, f"k{i}", "Queued"] for i in range(500)])
    for name in ("Archive", "Budget", "Contacts"):
        other = fake.add_sheet(book, name)
        other.set_values([[f"{name} {r}-{c}" for c in range(10)] for r in range(1000)])
    table = open_sheet(fake, book, waited)
    fake.reset_counts()
    assert len(table.read().rows) == 500
    (request,) = fake.log
    values = json.dumps({"values": sheet.values()}).encode()
    assert request.sent_bytes <= 1.2 * len(gzip.compress(values))


def test_the_fake_compresses_only_for_a_gzip_user_agent(fake, book):
    http = fake.client().http_client
    fake.sheet(book, "Articles").set_values([["x" * 50]] * 200)
    http.values_get(book, "Articles!A1:A200")
    plain = fake.log[-1].sent_bytes
    http.session.headers["User-Agent"] += " (gzip)"
    assert http.values_get(book, "Articles!A1:A200")["values"][0] == ["x" * 50]
    assert fake.log[-1].sent_bytes * 10 < plain


# --- 9. retry budget and classification ------------------------------------------------------


def test_a_per_minute_quota_is_waited_out_until_the_minute_turns(fake, book, waited, clock):
    seed(fake, book, [HEADER])
    fake.set_quota(reads=2, writes=60)
    table = open_sheet(fake, book, waited)
    table.read()
    table.read()
    assert table.read().header == tuple(HEADER)  # the third read of the minute waits for the next
    assert sum(waited) >= 45 and clock.now().minute == 1


def test_retry_after_is_honoured(fake, book, waited):
    seed(fake, book, [HEADER])
    fake.set_quota(reads=1, writes=60, retry_after=True)
    table = open_sheet(fake, book, waited)
    table.read()
    table.read()
    assert len(waited) == 1 and waited[0] == 60  # Retry-After: the seconds left in the minute


def test_throttling_for_more_than_a_minute_is_still_waited_out(fake, book, waited):
    seed(fake, book, [HEADER])
    fake.fail_next(7, status=429)  # 1.5 + 3 + 6 + 12 + 24 + 24 + 24 = 94.5 s of waiting
    assert open_sheet(fake, book, waited).read().header == tuple(HEADER)
    assert sum(waited) > 70


@pytest.mark.parametrize("how", ["truncated", "bad_json"])
def test_an_answer_cut_short_is_asked_again(fake, book, waited, how):
    seed(fake, book, [HEADER, ["Alpha", "a", "k0"]])
    fake.fail_next(1, status=200, how=how)
    assert open_sheet(fake, book, waited).read().rows == (("Alpha", "a", "k0", None),)
    assert len(waited) == 1


class FlakyRefresh(AnonymousCredentials):
    """Credentials whose refresh fails once with a retryable error (Google's token endpoint hiccups)."""

    def __init__(self):
        super().__init__()
        self.refreshes = 0

    @property
    def expired(self):
        return self.refreshes == 0

    def before_request(self, request, method, url, headers):
        if self.refreshes == 0:
            self.refreshes += 1
            raise RefreshError("temporarily_unavailable: try again", retryable=True)


def test_a_retryable_refresh_error_is_asked_again_not_a_sign_in_problem(fake, book, waited):
    import gspread
    from google.auth.transport.requests import AuthorizedSession

    seed(fake, book, [HEADER])
    credentials = FlakyRefresh()
    client = gspread.Client(credentials, session=fake.mount(AuthorizedSession(credentials)))
    table = open_google_sheet(book, "Articles", client=client, retry=RetryPolicy(sleep=waited, random=lambda: 0.5))
    assert table.read().header == tuple(HEADER)
    assert len(waited) == 1


def test_the_cell_limit_counts_utf16_units_as_google_does(fake, book, waited):
    seed(fake, book, [HEADER, ["Alpha", "a", "k0"]])
    table = open_sheet(fake, book, waited)
    table.read()
    emoji = "🌵" * 30_000  # 30,000 characters, 60,000 UTF-16 units
    result = table.write(WriteBack("row_key", "title", (RowWrite("k0", {"status": emoji}, 2),)))
    stored = fake.sheet(book, "Articles").cell(2, 4).value
    assert stored == "🌵" * (CELL_LIMIT // 2)
    assert any("cut to 50,000 characters" in note for note in result.notes)


# --- 10. no wasted re-reads ------------------------------------------------------------------


def test_after_the_header_grows_each_write_re_reads_once(fake, book, waited):
    sheet = seed(fake, book, [["title", "body"], ["Alpha", "a"]])
    table = open_sheet(fake, book, waited)
    table.read()
    table.write(WriteBack("row_key", "title", (RowWrite("ss-a", {"status": "Queued"}, 2, new_key=True, anchor="Alpha"),)))
    assert sheet.values()[0] == ["title", "body", "row_key", "status"]
    for status in ("Publishing", "Published"):
        fake.reset_counts()
        table.write(statuses(["ss-a"], status))
        assert (fake.reads, fake.writes) == (2, 1)  # the re-read before, the check after
    assert sheet.values()[1] == ["Alpha", "a", "ss-a", "Published"]


def test_a_secondary_tab_deleted_by_a_person_between_writes_is_made_again(fake, book, waited):
    seed(fake, book, [HEADER, ["Alpha", "a", "k0"]])
    table = open_sheet(fake, book, waited)
    table.read()
    tab = Tab("Placements", ("row_key", "site_id"), (("k0", "7"),))
    table.write(WriteBack("row_key", "title", (), tab=tab))
    placements = fake.sheet(book, "Placements")
    fake.book(book).sheets.remove(placements)
    table.write(WriteBack("row_key", "title", (), tab=tab))
    assert fake.sheet(book, "Placements").values() == [["row_key", "site_id"], ["k0", "7"]]


# --- people editing between the re-read and the write ---------------------------------------


def test_a_sort_right_before_the_write_lands_is_put_right_by_the_check(fake, book, waited):
    sheet = seed(fake, book, [HEADER + ["task_id"], ["Alpha", "a", "k0", None, "t0"], ["Bravo", "b", "k1"],
                              ["Charlie", "c", "k2"]])
    table = open_sheet(fake, book, waited)
    table.read()
    # Sheets writes by position: a sort just before the write puts values on the wrong rows.
    fake.on_next_request(lambda: sheet.sort_rows(1, reverse=True), kind="values.batchUpdate")
    writes = (RowWrite("k1", {"status": "Queued", "task_id": "t1"}, 3), RowWrite("k2", {"status": "Queued", "task_id": "t2"}, 4))
    result = table.write(WriteBack("row_key", "title", writes))
    assert result.written == ("k1", "k2")
    assert rows_by_title(sheet) == {
        "Alpha": ["Alpha", "a", "k0", None, "t0"],  # its own task id back, nobody else's status
        "Bravo": ["Bravo", "b", "k1", "Queued", "t1"],
        "Charlie": ["Charlie", "c", "k2", "Queued", "t2"],
    }
    assert fake.counts["values.batchUpdate"] == 2


def test_a_new_key_that_landed_on_a_row_moved_into_place_is_taken_back(fake, book, waited):
    sheet = seed(fake, book, [HEADER, ["Alpha", "a", "k0"], ["Bravo", "b"]])
    table = open_sheet(fake, book, waited)
    grid = table.read()
    fake.on_next_request(lambda: sheet.sort_rows(1, reverse=True), kind="values.batchUpdate")
    write = RowWrite("ss-new", {"status": "Waiting"}, 3, new_key=True, anchor=cell_text(grid.rows[1][0]))
    result = table.write(WriteBack("row_key", "title", (write,)))
    assert result.written == ("ss-new",)
    assert rows_by_title(sheet) == {"Alpha": ["Alpha", "a", "k0"], "Bravo": ["Bravo", "b", "ss-new", "Waiting"]}
