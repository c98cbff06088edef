"""The fake Sheets API itself, driven through the real gspread client."""

from __future__ import annotations

import datetime as dt

import gspread
import pytest
import requests

from sheetsync.testing.fake_sheets import FakeSheets, UnexpectedRequest


@pytest.fixture
def fake():
    return FakeSheets()


@pytest.fixture
def book(fake):
    return fake.create_spreadsheet("Book", ["Sheet1", "Other"])


@pytest.fixture
def http(fake):
    return fake.client().http_client


def test_user_entered_makes_formulas_and_raw_keeps_text(fake, book, http):
    body = {"values": [["=1+2", "2020-01-01", "53"]]}
    http.values_update(book, "Sheet1!A1", params={"valueInputOption": "USER_ENTERED"}, body=body)
    http.values_update(book, "Sheet1!A2", params={"valueInputOption": "RAW"}, body=body)
    sheet = fake.sheet(book, "Sheet1")
    assert sheet.cell(1, 1).formula == "=1+2" and sheet.cell(2, 1).formula is None
    got = http.values_get(book, "Sheet1!A1:C2", params={"valueRenderOption": "UNFORMATTED_VALUE"})
    assert got["values"] == [[3, 43831, 53], ["=1+2", "2020-01-01", "53"]]
    formulas = http.values_get(book, "Sheet1!A1:A2", params={"valueRenderOption": "FORMULA"})
    assert formulas["values"] == [["=1+2"], ["=1+2"]]


def test_counts_requests_by_kind_and_splits_reads_from_writes(fake, book, http):
    http.values_batch_get(book, ["Sheet1!A:A"])
    http.values_batch_update(book, body={"valueInputOption": "RAW", "data": [{"range": "Sheet1!A1", "values": [["x"]]}]})
    http.fetch_sheet_metadata(book)
    assert fake.counts == {"values.batchGet": 1, "values.batchUpdate": 1, "spreadsheets.get": 1}
    assert (fake.reads, fake.writes, fake.total) == (2, 1, 3)


def test_fail_next_answers_429_then_serves_again(fake, book, http):
    fake.fail_next(2, status=429)
    for _ in range(2):
        with pytest.raises(gspread.exceptions.APIError) as caught:
            http.fetch_sheet_metadata(book)
        assert caught.value.code == 429 and caught.value.error["status"] == "RESOURCE_EXHAUSTED"
    assert http.fetch_sheet_metadata(book)["sheets"][0]["properties"]["title"] == "Sheet1"


def test_a_hook_edits_the_sheet_before_the_request_it_waits_for(fake, book, http):
    sheet = fake.sheet(book, "Sheet1")
    sheet.set_values([["h"], ["a"], ["b"]])
    fake.on_next_request(lambda: sheet.insert_row(2, ["inserted"]), kind="values.batchGet")
    assert "values" in http.values_get(book, "Sheet1!A1")  # not the awaited kind: no edit yet
    assert sheet.values() == [["h"], ["a"], ["b"]]
    got = http.values_batch_get(book, ["Sheet1!A:A"])
    assert got["valueRanges"][0]["values"] == [["h"], ["inserted"], ["a"], ["b"]]


def test_any_other_host_fails_loudly(fake):
    session = fake.mount(requests.Session())
    for url in ("https://www.googleapis.com/drive/v3/files", "http://127.0.0.1:9/", "https://example.com/"):
        with pytest.raises(UnexpectedRequest):
            session.get(url)


def test_writes_past_the_grid_are_refused_until_it_grows(fake, book, http):
    body = {"valueInputOption": "RAW", "data": [{"range": "'Sheet1'!AA1", "values": [["x"]]}]}
    with pytest.raises(gspread.exceptions.APIError, match=r"exceeds grid limits. Max rows: 1000, max columns: 26"):
        http.values_batch_update(book, body=body)
    http.batch_update(book, {"requests": [{"appendDimension": {"sheetId": 0, "dimension": "COLUMNS", "length": 1}}]})
    http.values_batch_update(book, body=body)
    assert fake.sheet(book, "Sheet1").cell(1, 27).value == "x"


def test_a_batch_update_is_all_or_nothing(fake, book, http):
    requests_ = [
        {"addSheet": {"properties": {"title": "New"}}},
        {"deleteSheet": {"sheetId": 424242}},
    ]
    with pytest.raises(gspread.exceptions.APIError, match="No grid with id"):
        http.batch_update(book, {"requests": requests_})
    assert [s.title for s in fake.book(book).sheets] == ["Sheet1", "Other"]


def test_formatting_requests_are_accepted_and_unknown_ones_refused(book, http):
    repeat = {"repeatCell": {"range": {"sheetId": 0}, "cell": {"userEnteredFormat": {}}, "fields": "userEnteredFormat"}}
    assert http.batch_update(book, {"requests": [repeat]})["replies"] == [{}]
    with pytest.raises(gspread.exceptions.APIError, match="Unknown name"):
        http.batch_update(book, {"requests": [{"makeCoffee": {}}]})


def test_field_mask_and_ranges_limit_what_spreadsheets_get_returns(fake, book, http):
    fake.sheet(book, "Sheet1").set_values([["a", 1]])
    got = http.fetch_sheet_metadata(
        book,
        params={"ranges": "Other!A1:B2", "fields": "sheets(properties(title,gridProperties/rowCount))"},
    )
    assert got == {"sheets": [{"properties": {"title": "Other", "gridProperties": {"rowCount": 1000}}}]}
    grid = http.fetch_sheet_metadata(book, params={"includeGridData": "true", "fields": "sheets.data.rowData.values.effectiveValue"})
    assert grid["sheets"][0]["data"][0]["rowData"] == [{"values": [{"effectiveValue": {"stringValue": "a"}}, {"effectiveValue": {"numberValue": 1}}]}]


def test_an_unshared_spreadsheet_answers_403_and_a_missing_one_404(fake, book, http):
    fake.book(book).shared = False
    with pytest.raises(gspread.exceptions.APIError) as denied:
        http.fetch_sheet_metadata(book)
    assert denied.value.code == 403 and denied.value.error["status"] == "PERMISSION_DENIED"
    with pytest.raises(gspread.exceptions.APIError) as missing:
        http.fetch_sheet_metadata("no-such-spreadsheet")
    assert missing.value.error == {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}


def test_cells_over_50000_characters_are_refused(book, http):
    with pytest.raises(gspread.exceptions.APIError, match="50000 characters"):
        http.values_update(book, "Sheet1!A1", params={"valueInputOption": "RAW"}, body={"values": [["x" * 50_001]]})


def test_clear_append_and_batch_clear(fake, book, http):
    http.values_append(book, "Sheet1", params={"valueInputOption": "RAW"}, body={"values": [["a", "b"]]})
    answer = http.values_append(book, "Sheet1", params={"valueInputOption": "RAW"}, body={"values": [["c"]]})
    assert answer["updates"]["updatedRange"] == "Sheet1!A2" and answer["tableRange"] == "Sheet1!A1"
    assert http.values_clear(book, "Sheet1!B:B")["clearedRange"] == "Sheet1!B1:B1000"
    http.values_batch_clear(book, body={"ranges": ["Sheet1!A2"]})
    assert fake.sheet(book, "Sheet1").values() == [["a"]]


def test_seeded_dates_are_serial_numbers_with_a_date_format(fake, book, http):
    fake.sheet(book, "Sheet1").set_values([["when"], [dt.date(2020, 1, 1)], [dt.datetime(2020, 1, 1, 12)]])
    got = http.values_get(book, "Sheet1!A2:A3", params={"valueRenderOption": "UNFORMATTED_VALUE"})
    assert got["values"] == [[43831], [43831.5]]
    shown = http.values_get(book, "Sheet1!A2:A3")
    assert shown["values"] == [["2020-01-01"], ["2020-01-01 12:00:00"]]


def test_person_edits_insert_delete_sort(fake, book):
    sheet = fake.sheet(book, "Sheet1")
    sheet.set_values([["h", "n"], ["b", 2], ["a", 1], [None, 3]])
    sheet.sort_rows(1)
    assert sheet.values() == [["h", "n"], ["a", 1], ["b", 2], [None, 3]]
    sheet.insert_row(2, ["new"])
    sheet.delete_row(4)
    assert sheet.values() == [["h", "n"], ["new"], ["a", 1], [None, 3]]


def test_ranges_are_quoted_like_google_does(fake, book, http):
    fake.add_sheet(book, "🌵 two words", rows=10, cols=3)
    got = http.values_batch_get(book, ["🌵 two words!A:A", "'Sheet1'!1:1", "Other"])
    assert [r["range"] for r in got["valueRanges"]] == ["'🌵 two words'!A1:A10", "Sheet1!A1:Z1", "Other!A1:Z1000"]
    with pytest.raises(gspread.exceptions.APIError, match="Unable to parse range: Nope!A1"):
        http.values_get(book, "Nope!A1")


# --- under load ------------------------------------------------------------------------------


def loaded_fake():
    from sheetsync.emulator import FakeClock

    clock = FakeClock(start=dt.datetime(2026, 12, 1, 9, 0, 30, tzinfo=dt.timezone.utc))
    fake = FakeSheets(clock=clock)
    book = fake.create_spreadsheet("Book", ["Sheet1"])
    return fake, book, clock, fake.client().http_client


def test_quotas_are_per_minute_of_the_clock_and_answer_googles_429_body():
    fake, book, clock, http = loaded_fake()
    fake.set_quota(reads=2, writes=1, retry_after=True)
    body = {"valueInputOption": "RAW", "data": [{"range": "Sheet1!A1", "values": [["x"]]}]}
    http.values_get(book, "Sheet1!A1")
    http.values_batch_update(book, body=body)
    http.values_get(book, "Sheet1!A1")  # writes and reads are counted apart
    with pytest.raises(gspread.exceptions.APIError) as caught:
        http.values_get(book, "Sheet1!A1")
    error = caught.value.error
    assert error["status"] == "RESOURCE_EXHAUSTED" and "'Read requests per minute per user'" in error["message"]
    assert error["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"
    assert caught.value.response.headers["Retry-After"] == "30"
    clock.advance(30)
    assert http.values_get(book, "Sheet1!A1")["values"] == [["x"]]


def test_an_html_page_a_reset_after_apply_and_cut_answers():
    fake, book, _, http = loaded_fake()
    fake.fail_next(1, status=502, how="html")
    with pytest.raises(gspread.exceptions.APIError) as caught:
        http.values_get(book, "Sheet1!A1")
    assert caught.value.code == -1 and caught.value.response.status_code == 502
    assert caught.value.response.text.startswith("<!DOCTYPE html>")

    fake.fail_next(1, how="reset")
    body = {"valueInputOption": "RAW", "data": [{"range": "Sheet1!A1", "values": [["applied"]]}]}
    with pytest.raises(requests.ConnectionError):
        http.values_batch_update(book, body=body)
    assert fake.sheet(book, "Sheet1").cell(1, 1).value == "applied"

    fake.fail_next(1, how="truncated")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        http.values_get(book, "Sheet1!A1")
    fake.fail_next(1, how="bad_json")
    with pytest.raises(requests.exceptions.JSONDecodeError):
        http.values_get(book, "Sheet1!A1")


def test_people_edit_before_every_request_and_latency_passes_on_the_clock():
    fake, book, clock, http = loaded_fake()
    fake.latency = 0.5
    sheet = fake.sheet(book, "Sheet1")
    fake.between_requests(lambda request: sheet.insert_row(1, [request.kind]))
    start = clock.now()
    http.values_get(book, "Sheet1!A1")
    got = http.values_get(book, "Sheet1!A1:A5")
    assert got["values"] == [["values.get"], ["values.get"]]
    assert (clock.now() - start).total_seconds() == 1.0
    fake.calm()
    http.values_get(book, "Sheet1!A1")
    assert len(sheet.values()) == 2


def test_a_storm_fails_about_its_share_of_requests_and_is_repeatable():
    from sheetsync.testing.fake_sheets import Fault

    outcomes = []
    for _ in range(2):
        fake, book, _, http = loaded_fake()
        fake.storm(0.2, [Fault(429), Fault(502, "html")], seed=3)
        failed = []
        for _ in range(200):
            try:
                http.values_get(book, "Sheet1!A1")
                failed.append(False)
            except gspread.exceptions.APIError:
                failed.append(True)
        outcomes.append(failed)
    assert outcomes[0] == outcomes[1] and 25 <= sum(outcomes[0]) <= 55


def test_get_by_data_filter_answers_as_get_with_the_same_ranges(fake, book, http):
    fake.sheet(book, "Sheet1").set_values([["a", 1], ["b", 2]])
    fields = "sheets(properties(sheetId,title),data(startRow,startColumn,rowData(values(effectiveValue))))"
    by_range = http.fetch_sheet_metadata(book, params={"ranges": "Sheet1!B1:B2", "fields": fields})
    url = f"https://sheets.googleapis.com/v4/spreadsheets/{book}:getByDataFilter"
    body = {"dataFilters": [{"gridRange": {"sheetId": 0, "startColumnIndex": 1, "endColumnIndex": 2, "endRowIndex": 2}}],
            "includeGridData": True}
    assert http.request("post", url, params={"fields": fields}, json=body).json() == by_range
    body["dataFilters"] = [{"a1Range": "Sheet1!B1:B2"}]
    assert http.request("post", url, params={"fields": fields}, json=body).json() == by_range


def test_bodies_over_10_mb_are_refused(book, http):
    body = {"valueInputOption": "RAW", "data": [{"range": "Sheet1!A1", "values": [["x" * 40_000]] * 270}]}
    with pytest.raises(gspread.exceptions.APIError, match="payload size exceeds the limit: 10485760"):
        http.values_batch_update(book, body=body)
