"""Result URLs as text links and times as date-time cells on Google, within the request budget.

Everything runs through the real gspread client against the fake Sheets API; the sync tests
also run the emulator over a real socket.
"""

from __future__ import annotations

import datetime as dt

import pytest

from sheetsync import columns as C
from sheetsync.tables.base import RowWrite, Tab, WriteBack, cell_text
from sheetsync.tables.gsheets import RetryPolicy, open_google_sheet
from sheetsync.tables.gsheets_cells import DATE_TIME_FORMAT, link_runs, serial_of, zone_of
from sheetsync.testing.fake_sheets import FakeSheets
from tests.sync.helpers import World, column, sheet as article_rows

GET = "spreadsheets.getByDataFilter"
A = "https://news.example.com/garden-1"
B = "https://blog.example.org/pages/garden-1"


@pytest.fixture
def fake():
    return FakeSheets()


def open_book(fake, sid, worksheet="Articles"):
    return open_google_sheet(sid, worksheet, client=fake.client(), retry=RetryPolicy(sleep=lambda s: None))


def book(fake, rows, zone="Etc/GMT"):
    sid = fake.create_spreadsheet("Queue", ["Articles"])
    fake.book(sid).time_zone = zone
    fake.sheet(sid, "Articles").set_values(rows)
    return sid


def runs_of(fake, sid, row, col, tab="Articles"):
    return fake.sheet(sid, tab).extra(row, col).get("textFormatRuns")


# --- links ---------------------------------------------------------------------------------


def test_result_urls_are_one_link_run_per_line_in_one_write_request(fake):
    sid = book(fake, [["title", "row_key", "status", "result_urls"], ["Alpha beta gamma delta", "ka"]])
    table = open_book(fake, sid)
    table.read()
    fake.reset_counts()
    table.write(WriteBack("row_key", "title", (RowWrite("ka", {"status": "Published", "result_urls": f"{A}\n{B}"}, 2),)))
    # Re-read, one write (updateCells instead of values.batchUpdate), check: as many as before.
    assert fake.counts == {GET: 2, "spreadsheets.batchUpdate": 1}
    sheet = fake.sheet(sid, "Articles")
    cell = sheet.cell(2, 4)
    assert cell.value == f"{A}\n{B}" and cell.formula is None
    runs = runs_of(fake, sid, 2, 4)
    assert [r.get("startIndex", 0) for r in runs] == [0, len(A) + 1]  # Google leaves out a 0
    assert [r["format"]["link"]["uri"] for r in runs] == [A, B]
    assert "hyperlink" not in sheet.extra(2, 4)  # two links: Google names none
    assert sheet.cell(2, 3).value == "Published" and runs_of(fake, sid, 2, 3) is None


def test_a_server_string_never_becomes_a_formula_or_a_non_http_link(fake):
    sid = book(fake, [["title", "row_key", "result_urls"], ["Alpha beta gamma delta", "ka"], ["Second title here ok", "kb"]])
    table = open_book(fake, sid)
    table.read()
    evil = '=HYPERLINK("https://evil.example","click")'
    table.write(WriteBack("row_key", "title", (
        RowWrite("ka", {"result_urls": f"{A}\n{evil}"}, 2), RowWrite("kb", {"result_urls": "javascript:alert(1)"}, 3),
    )))  # fmt: skip
    sheet = fake.sheet(sid, "Articles")
    assert sheet.cell(2, 3).value == f"{A}\n{evil}" and sheet.cell(2, 3).formula is None
    assert sheet.cell(3, 3).value == "javascript:alert(1)"
    assert runs_of(fake, sid, 2, 3) is None and runs_of(fake, sid, 3, 3) is None


def test_new_urls_replace_the_runs_and_an_emptied_cell_loses_them(fake):
    sid = book(fake, [["title", "row_key", "result_urls"], ["Alpha beta gamma delta", "ka"]])
    table = open_book(fake, sid)
    table.read()
    table.write(WriteBack("row_key", "title", (RowWrite("ka", {"result_urls": f"{A}\n{B}"}, 2),)))
    table.write(WriteBack("row_key", "title", (RowWrite("ka", {"result_urls": B}, 2),)))
    assert [r["format"]["link"]["uri"] for r in runs_of(fake, sid, 2, 3)] == [B]
    assert fake.sheet(sid, "Articles").extra(2, 3)["hyperlink"] == B  # one link: the cell's own
    table.write(WriteBack("row_key", "title", (RowWrite("ka", {"result_urls": ""}, 2),)))
    assert fake.sheet(sid, "Articles").cell(2, 3).value is None and runs_of(fake, sid, 2, 3) is None


def test_link_runs_count_utf16_units():
    idn = "https://bücher.example/😀"
    runs = link_runs(f"{idn}\n{A}")
    assert runs is not None and runs[1]["startIndex"] == len(idn.encode("utf-16-le")) // 2 + 1
    assert link_runs(f"{A}\nnot a url") is None and link_runs("") is None


@pytest.mark.parametrize(
    "runs, value, why",
    [
        ([{"startIndex": 40, "format": {"link": {"uri": A}}}], "short text", "beyond the end"),
        ([{"startIndex": 3, "format": {}}, {"startIndex": 1, "format": {}}], "some text", "increasing"),
        ([{"startIndex": -1, "format": {}}], "some text", "invalid startIndex"),
        ([{"format": {"link": {"uri": A}}}], 42, "not a string"),
    ],
)
def test_the_fake_refuses_runs_google_refuses(fake, runs, value, why):
    sid = book(fake, [["title"]])
    key = "numberValue" if isinstance(value, int) else "stringValue"
    request = {"updateCells": {
        "range": {"sheetId": fake.book(sid).sheets[0].sheet_id, "startRowIndex": 1, "endRowIndex": 2, "startColumnIndex": 0, "endColumnIndex": 1},
        "rows": [{"values": [{"userEnteredValue": {key: value}, "textFormatRuns": runs}]}],
        "fields": "userEnteredValue,textFormatRuns",
    }}  # fmt: skip
    import gspread

    with pytest.raises(gspread.exceptions.APIError) as raised:
        fake.client().open_by_key(sid).batch_update({"requests": [request]})
    assert raised.value.response.status_code == 400 and why in str(raised.value)
    assert fake.sheet(sid, "Articles").cell(2, 1).value is None  # all or nothing


def test_a_value_written_over_a_linked_cell_erases_its_runs(fake):
    sid = book(fake, [["title", "row_key", "result_urls"], ["Alpha beta gamma delta", "ka"]])
    table = open_book(fake, sid)
    table.read()
    table.write(WriteBack("row_key", "title", (RowWrite("ka", {"result_urls": A}, 2),)))
    fake.client().open_by_key(sid).worksheet("Articles").update([["typed over"]], "C2")
    assert runs_of(fake, sid, 2, 3) is None and "hyperlink" not in fake.sheet(sid, "Articles").extra(2, 3)


def test_sorting_moves_the_runs_with_their_cells(fake):
    sid = book(fake, [["title", "row_key", "result_urls"], ["Zeta title words here", "kz"], ["Alpha title words here", "ka"]])
    table = open_book(fake, sid)
    table.read()
    table.write(WriteBack("row_key", "title", (RowWrite("kz", {"result_urls": A}, 2), RowWrite("ka", {"result_urls": B}, 3))))
    fake.sheet(sid, "Articles").sort_rows(1)
    assert [r["format"]["link"]["uri"] for r in runs_of(fake, sid, 2, 3)] == [B]
    assert [r["format"]["link"]["uri"] for r in runs_of(fake, sid, 3, 3)] == [A]


# --- times ---------------------------------------------------------------------------------


def local_serial(wall: dt.datetime) -> float:
    return (wall - dt.datetime(1899, 12, 30)) / dt.timedelta(days=1)


@pytest.mark.parametrize(
    "zone, utc, wall",
    [
        ("America/New_York", "2026-12-01T09:05Z", dt.datetime(2026, 12, 1, 4, 5)),  # EST, -5
        ("America/New_York", "2026-07-01T09:05Z", dt.datetime(2026, 7, 1, 5, 5)),  # EDT, -4
        ("Asia/Kolkata", "2026-12-01T09:05Z", dt.datetime(2026, 12, 1, 14, 35)),  # +5:30
        ("Asia/Kolkata", "2026-12-31T20:00Z", dt.datetime(2027, 1, 1, 1, 30)),  # the next year there
        ("America/New_York", "2026-03-08T07:30Z", dt.datetime(2026, 3, 8, 3, 30)),  # just after the spring gap
        ("America/New_York", "2026-11-01T06:30Z", None),  # 01:30 comes twice that night: kept as text
        ("America/New_York", "2026-11-01T07:30Z", dt.datetime(2026, 11, 1, 2, 30)),  # after the repeat
        ("Etc/GMT", "2026-12-01T09:05Z", dt.datetime(2026, 12, 1, 9, 5)),
    ],
)
def test_last_synced_is_a_date_time_in_the_sheets_zone_and_reads_back_as_written(fake, zone, utc, wall):
    sid = book(fake, [["title", "row_key", "last_synced"], ["Alpha beta gamma delta", "ka"]], zone=zone)
    table = open_book(fake, sid)
    table.read()
    result = table.write(WriteBack("row_key", "title", (RowWrite("ka", {"last_synced": utc}, 2),)))
    assert result.written == ("ka",)  # the check read found what was meant: no correction loop
    cell = fake.sheet(sid, "Articles").cell(2, 3)
    if wall is None:
        assert cell.value == utc
    else:
        assert cell.value == pytest.approx(local_serial(wall), abs=1e-9)
        fmt = fake.sheet(sid, "Articles").extra(2, 3)["userEnteredFormat"]["numberFormat"]
        assert fmt == DATE_TIME_FORMAT
    (row,) = open_book(fake, sid).read().rows
    assert cell_text(row[2]) == utc


def test_without_a_known_zone_times_stay_text(fake):
    sid = book(fake, [["title", "row_key", "last_synced"], ["Alpha beta gamma delta", "ka"]], zone="Mars/Olympus")
    table = open_book(fake, sid)
    table.read()
    table.write(WriteBack("row_key", "title", (RowWrite("ka", {"last_synced": "2026-12-01T09:05Z"}, 2),)))
    assert fake.sheet(sid, "Articles").cell(2, 3).value == "2026-12-01T09:05Z"
    assert serial_of("2026-12-01T09:05Z", zone_of("Mars/Olympus")) is None


def test_an_old_sheet_holding_times_as_text_still_reads_them(fake):
    sid = book(fake, [["title", "row_key", "last_synced"], ["Alpha beta gamma delta", "ka", "2026-11-30T09:00Z"]],
               zone="Asia/Kolkata")
    (row,) = open_book(fake, sid).read().rows
    assert row[2] == "2026-11-30T09:00Z"


def test_placements_times_are_date_times_and_result_urls_links_made_with_the_tab(fake):
    sid = book(fake, [["title", "row_key"], ["Alpha beta gamma delta", "ka"]], zone="Asia/Kolkata")
    table = open_book(fake, sid)
    table.read()
    header = ("row_key", "status", "result_url", "scheduled", "completed")
    rows = (("ka", "Published", A, "2026-12-01T09:00Z", "2026-12-01T18:45Z"), ("ka", "Queued", "", "2026-12-02T00:00Z", ""))
    fake.reset_counts()
    table.write(WriteBack("row_key", "title", tab=Tab(C.PLACEMENTS_TAB, header, rows, widths=(14, 12, 52, 21, 21))))
    tab = fake.sheet(sid, C.PLACEMENTS_TAB)
    assert tab.cell(2, 4).value == pytest.approx(local_serial(dt.datetime(2026, 12, 1, 14, 30)))
    assert tab.cell(2, 5).value == pytest.approx(local_serial(dt.datetime(2026, 12, 2, 0, 15)))
    assert tab.cell(3, 5).value is None and tab.cell(1, 4).value == "scheduled"
    assert tab.extra(2, 3)["hyperlink"] == A and runs_of(fake, sid, 2, 3, C.PLACEMENTS_TAB)[0]["format"]["link"]["uri"] == A
    # The column is a date-time column from its creation, rows not yet written included.
    assert tab.extra(500, 4)["userEnteredFormat"]["numberFormat"]["type"] == "DATE_TIME"
    # Tabs listed, re-read, the tab made (with its layout) in one batchUpdate, the cells in one more.
    assert fake.counts["spreadsheets.batchUpdate"] == 2 and fake.writes == 2
    assert table.read_tab(C.PLACEMENTS_TAB)[1][3:] == ("2026-12-01T09:00Z", "2026-12-01T18:45Z")


# --- through a whole sync ------------------------------------------------------------------


@pytest.fixture
def world(tmp_path):
    w = World(tmp_path)
    yield w
    w.close()


@pytest.mark.parametrize("zone", ["Etc/GMT", "America/New_York", "Asia/Kolkata"])
def test_a_sync_that_publishes_writes_links_and_local_times_in_the_same_requests_and_a_quiet_resync_is_one_read(
    world, tmp_path, zone
):
    from tests.tables.gsheets_backend import Backend

    backend = Backend(tmp_path)
    backend.seed(article_rows(3))
    backend.fake.book(backend.spreadsheet_id).time_zone = zone
    world.run(backend.open(), "push")
    world.clock.advance(3 * 24 * 3600)
    backend.fake.reset_counts()
    world.run(backend.open(), "pull")
    pull = dict(backend.fake.counts)
    values = backend.values()
    urls = column(values, "result_urls")
    col = header_index(values, "result_urls") + 1
    assert any(len(u.split("\n")) == 2 for u in urls), urls  # a row published on both of its sites
    for i, text in enumerate(urls, start=2):
        runs = runs_of(backend.fake, backend.spreadsheet_id, i, col)
        assert [r["format"]["link"]["uri"] for r in runs or []] == (text.split("\n") if text else [])
    placements = backend.values(C.PLACEMENTS_TAB)
    at = header_index(placements, "result_url") + 1
    tab = backend.fake.sheet(backend.spreadsheet_id, C.PLACEMENTS_TAB)
    linked = [r for r in range(2, len(placements) + 1) if tab.cell(r, at).value]
    assert linked and all(tab.extra(r, at)["hyperlink"] == tab.cell(r, at).value for r in linked)
    synced = header_index(values, "last_synced") + 1
    stored = backend.fake.sheet(backend.spreadsheet_id, "Articles").cell(2, synced)
    assert isinstance(stored.value, float)  # a date-time cell, shown in the sheet's own time
    assert set(column(values, "last_synced")) == {"2026-12-01T09:00Z"}  # read back as this UTC text
    completed = header_index(placements, "completed") + 1
    assert any(isinstance(tab.cell(r, completed).value, float) for r in range(2, len(placements) + 1))
    # The same 10 requests as this pull made when it wrote plain text (measured before links):
    # the articles' write is an updateCells batchUpdate instead of values.batchUpdate (the Sites
    # and Summary tabs, plain text, still go as values).
    assert sum(pull.values()) == 10 and pull["values.batchUpdate"] == 1, pull

    backend.fake.reset_counts()
    before = backend.values()
    report = world.run(backend.open("Articles"), "sync")
    assert report.api_requests == 1 and backend.fake.counts == {GET: 1} and backend.values() == before


def header_index(values, name):
    return [str(h) for h in values[0]].index(name)


def test_linked_text_gets_googles_link_colour_and_underline_without_sending_them(fake):
    sid = book(fake, [["title", "row_key", "result_urls"], ["Alpha beta gamma delta", "ka"]])
    table = open_book(fake, sid)
    table.read()
    fake.log.clear()
    table.write(WriteBack("row_key", "title", (RowWrite("ka", {"result_urls": A}, 2),)))
    (sent,) = [r for r in fake.log if r.kind == "spreadsheets.batchUpdate"]
    assert sent.body["requests"][0]["updateCells"]["rows"][0]["values"][0]["textFormatRuns"] == [
        {"startIndex": 0, "format": {"link": {"uri": A}}}
    ]
    (run,) = runs_of(fake, sid, 2, 3)
    assert run["format"]["underline"] is True and run["format"]["foregroundColor"] == {"red": 0.06666667, "green": 0.33333334, "blue": 0.8}


def test_a_time_in_a_column_already_formatted_sends_its_value_alone(fake):
    sid = fake.create_spreadsheet("Queue", ["Articles"])
    fake.book(sid).time_zone = "Asia/Kolkata"
    open_book(fake, sid).set_up()  # the column's cells are DATE_TIME cells from init on
    sheet = fake.sheet(sid, "Articles")
    header = sheet.values()[0]
    sheet.set_cell(2, header.index(C.ARTICLE_TITLE) + 1, "Alpha beta gamma delta")
    sheet.set_cell(2, header.index(C.ROW_KEY) + 1, "ka")
    table = open_book(fake, sid)
    table.read()
    fake.log.clear()
    table.write(WriteBack(C.ROW_KEY, C.ARTICLE_TITLE, (RowWrite("ka", {C.STATUS: "Queued", C.LAST_SYNCED: "2026-12-01T09:05Z"}, 2),)))
    synced = header.index(C.LAST_SYNCED) + 1
    (sent,) = [r for r in fake.log if r.kind == "spreadsheets.batchUpdate"]
    (request,) = [r["updateCells"] for r in sent.body["requests"] if r["updateCells"]["range"]["startColumnIndex"] == synced - 1]
    assert "numberFormat" not in request["fields"]
    assert request["rows"] == [{"values": [{"userEnteredValue": {"numberValue": pytest.approx(local_serial(dt.datetime(2026, 12, 1, 14, 35)))}}]}]
    assert sheet.cell(2, synced).value == pytest.approx(local_serial(dt.datetime(2026, 12, 1, 14, 35)))
    assert sheet.extra(2, synced)["userEnteredFormat"]["numberFormat"]["type"] == "DATE_TIME"  # the column's own
    (row,) = open_book(fake, sid).read().rows
    assert cell_text(row[synced - 1]) == "2026-12-01T09:05Z"
