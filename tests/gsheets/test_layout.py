"""`init` and the columns a sync adds, on the fake Sheets API through the real gspread client."""

from __future__ import annotations

import pytest

from sheetsync import columns as C
from sheetsync.tables.base import RowWrite, WriteBack
from sheetsync.tables.gsheets import open_google_sheet
from sheetsync.tables.gsheets_layout import note, note_line, rgb
from sheetsync.tables.layout import BY_NAME, COLOUR_RULES, HOWTO_TAB, INPUT_FILL, OWNED_FILL, STATUS_RULES, howto_lines

RULE_COUNT = sum(len(rules) for rules in COLOUR_RULES.values())
from sheetsync.testing.fake_sheets import FakeSheets, _color


@pytest.fixture
def fake():
    return FakeSheets()


def colour(hex_colour: str) -> dict:
    return _color(rgb(hex_colour))  # as Google keeps it: single precision


def open_book(fake, sid):
    return open_google_sheet(sid, "Articles", client=fake.client())


def test_init_on_an_empty_sheet_is_three_requests_and_gives_the_whole_layout(fake):
    sid = fake.create_spreadsheet("Queue", ["Articles"])
    table = open_book(fake, sid)
    fake.reset_counts()
    result = table.set_up()
    assert result.requests == fake.total == 3 and fake.writes == 1
    sheet = fake.sheet(sid, "Articles")
    header = sheet.values()[0]
    assert header == list(C.INPUT_COLUMNS + C.OUTPUT_COLUMNS)
    assert sheet.grid_extra["frozenRowCount"] == 1
    for i, name in enumerate(header, start=1):
        extra = sheet.extra(1, i)
        assert extra["note"] == note(BY_NAME[name])
        fmt = extra["userEnteredFormat"]
        assert fmt["textFormat"]["bold"] and fmt["backgroundColor"] == colour(OWNED_FILL if name in C.OUTPUT_COLUMNS else INPUT_FILL)
        assert sheet.column_props[i - 1]["pixelSize"] == BY_NAME[name].pixels
        wrap = sheet.extra(2, i)["userEnteredFormat"]["wrapStrategy"]
        assert wrap == ("WRAP" if BY_NAME[name].wrap else "CLIP"), name
    ready = header.index(C.READY) + 1
    assert sheet.extra(2, ready)["dataValidation"]["condition"] == {"type": "BOOLEAN"}
    assert sheet.extra(500, ready)["dataValidation"]["showCustomUi"] is True  # a checkbox
    for name, expected in COLOUR_RULES.items():
        col = header.index(name)
        rules = [r for r in sheet.conditional_formats if r["ranges"][0]["startColumnIndex"] == col]
        assert [r["booleanRule"]["condition"]["values"][0]["userEnteredValue"] for r in rules] == [s.text for s in expected]
    assert len(sheet.conditional_formats) == RULE_COUNT
    progress = [r for r in sheet.conditional_formats if r["ranges"][0]["startColumnIndex"] == header.index(C.PROGRESS)]
    assert progress[0]["booleanRule"]["condition"]["type"] == "TEXT_CONTAINS"
    failed = next(r for r in STATUS_RULES if r.text == "Failed")
    assert progress[0]["booleanRule"]["format"]["backgroundColor"] == rgb(failed.fill)  # as red as Failed
    (protected,) = sheet.protected_ranges
    assert protected["warningOnly"] is True
    first_owned = header.index(C.OUTPUT_COLUMNS[0])
    assert (protected["range"]["startColumnIndex"], protected["range"]["endColumnIndex"]) == (first_owned, len(header))
    assert "endRowIndex" not in protected["range"]  # rows people add later are covered too
    howto = [row[0] if row else "" for row in fake.sheet(sid, HOWTO_TAB).values()]
    assert howto == [note_line(line) for line in howto_lines()][: len(howto)] and len(howto) == len(howto_lines())
    # On Google a time is in the spreadsheet's own zone, and the sheet says so; its cells are date-times.
    synced = header.index(C.LAST_SYNCED) + 1
    assert "time zone" in sheet.extra(1, synced)["note"]
    assert any(line.startswith("last_synced:") and "time zone" in line for line in howto)
    assert sheet.extra(900, synced)["userEnteredFormat"]["numberFormat"]["type"] == "DATE_TIME"


def test_init_again_reads_twice_and_writes_nothing(fake):
    sid = fake.create_spreadsheet("Queue", ["Articles"])
    open_book(fake, sid).set_up()
    fake.reset_counts()
    result = open_book(fake, sid).set_up()
    assert not result.changed and fake.writes == 0 and fake.total == result.requests == 2


def test_init_keeps_a_persons_notes_formats_widths_and_colours(fake):
    sid = fake.create_spreadsheet("Queue", ["Articles"])
    sheet = fake.sheet(sid, "Articles")
    sheet.set_values([["Title", "Body", "Owner", "Links", "Sites"], ["Four words make titles", "b", "Ana", "https://a.example", "388"]])
    mine = {"userEnteredFormat": {"backgroundColor": {"red": 1}}, "note": "my own note"}
    sheet.extras[(0, 0)] = dict(mine)
    sheet.column_props[0] = {"pixelSize": 250}
    person_rule = {"ranges": [{"startColumnIndex": 1, "endColumnIndex": 2, "startRowIndex": 1, "endRowIndex": 50}],
                   "booleanRule": {"condition": {"type": "NOT_BLANK"}, "format": {"backgroundColor": {"green": 1}}}}
    sheet.conditional_formats.append(person_rule)
    result = open_book(fake, sid).set_up()
    assert list(result.added) == [C.NAME, C.SCHEDULE_FROM, C.SCHEDULE_TILL, C.READY, *C.OUTPUT_COLUMNS]
    values = sheet.values()
    assert values[0][:5] == ["Title", "Body", "Owner", "Links", "Sites"] and values[1][:5] == ["Four words make titles", "b", "Ana", "https://a.example", "388"]
    assert sheet.extras[(0, 0)] == mine and sheet.column_props[0] == {"pixelSize": 250}
    assert sheet.extra(1, 3) == {}  # "Owner" is the person's column: no note, no colour
    assert sheet.extra(1, 2)["note"] == BY_NAME[C.ARTICLE_BODY].note
    assert person_rule in sheet.conditional_formats and len(sheet.conditional_formats) == 1 + RULE_COUNT


def test_a_sync_that_adds_columns_lays_them_out_in_one_more_request(fake):
    sid = fake.create_spreadsheet("Queue", ["Articles"])
    fake.sheet(sid, "Articles").set_values([["title", "row_key"], ["Alpha beta gamma delta", "ka"]])
    table = open_book(fake, sid)
    table.read()
    fake.reset_counts()
    urls = "https://one.example/a\nhttps://two.example/b"
    table.write(WriteBack("row_key", "title", (RowWrite("ka", {"status": "Published", "result_urls": urls}, 2),)))
    # The layout, then the cells (links: updateCells); re-read before and check after.
    assert fake.counts == {"spreadsheets.getByDataFilter": 2, "spreadsheets.batchUpdate": 2}
    sheet = fake.sheet(sid, "Articles")
    assert sheet.values()[0] == ["title", "row_key", "status", "result_urls"]
    assert sheet.extra(1, 3)["userEnteredFormat"]["backgroundColor"] == colour(OWNED_FILL)
    assert sheet.extra(2, 4)["userEnteredFormat"]["wrapStrategy"] == "WRAP"
    assert len(sheet.conditional_formats) == len(STATUS_RULES)  # no progress column added
    # A later write that adds no column sends no formatting request.
    fake.reset_counts()
    table.write(WriteBack("row_key", "title", (RowWrite("ka", {"status": "Failed"}, 2),)))
    assert fake.counts["spreadsheets.batchUpdate"] == 0


# --- sheetsync's protected range grows with its columns ------------------------------------


def _initialised(fake, extra_header=()):
    sid = fake.create_spreadsheet("Queue", ["Articles"])
    open_book(fake, sid).set_up()
    sheet = fake.sheet(sid, "Articles")
    header = sheet.values()[0]
    for i, text in enumerate(extra_header, start=len(header) + 1):
        sheet.set_cell(1, i, text)  # a person's own column, right of sheetsync's
    sheet.set_cell(2, header.index(C.ARTICLE_TITLE) + 1, "Alpha beta gamma delta")
    sheet.set_cell(2, header.index(C.ROW_KEY) + 1, "ka")
    return sid, sheet, len(header) + len(extra_header)


def _add_link_health(fake, sid):
    table = open_book(fake, sid)
    table.read()
    fake.reset_counts()
    table.write(WriteBack(C.ROW_KEY, C.ARTICLE_TITLE, (RowWrite("ka", {C.LINK_HEALTH: "1/1 live"}, 2),)))


def test_a_column_sync_adds_next_to_sheetsyncs_columns_widens_their_protection_in_the_layout_request(fake):
    sid, sheet, width = _initialised(fake)
    (before,) = sheet.protected_ranges
    assert before["range"]["endColumnIndex"] == width
    _add_link_health(fake, sid)
    assert sheet.values()[0][width] == C.LINK_HEALTH
    (after,) = sheet.protected_ranges
    assert after["protectedRangeId"] == before["protectedRangeId"] and after["warningOnly"] is True
    assert (after["range"]["startColumnIndex"], after["range"]["endColumnIndex"]) == (before["range"]["startColumnIndex"], width + 1)
    assert "endRowIndex" not in after["range"]
    # No request more: the layout batchUpdate a new column brings anyway, then the cells.
    assert fake.counts == {"spreadsheets.getByDataFilter": 2, "spreadsheets.batchUpdate": 1, "values.batchUpdate": 1}


def test_a_column_added_after_a_persons_column_gets_a_protection_of_its_own(fake):
    sid, sheet, width = _initialised(fake, ["my comments"])
    _add_link_health(fake, sid)
    ranges = sorted((p["range"]["startColumnIndex"], p["range"]["endColumnIndex"]) for p in sheet.protected_ranges)
    assert ranges[-1] == (width, width + 1) and ranges[0][1] == width - 1  # "my comments" stays unprotected
    assert all(p["warningOnly"] for p in sheet.protected_ranges)


def test_a_sheet_that_never_saw_init_gets_no_protection_from_a_sync(fake):
    sid = fake.create_spreadsheet("Queue", ["Articles"])
    sheet = fake.sheet(sid, "Articles")
    sheet.set_values([["article_title", "row_key"], ["Alpha beta gamma delta", "ka"]])
    _add_link_health(fake, sid)
    assert sheet.values()[0][2] == C.LINK_HEALTH and sheet.protected_ranges == []


def test_a_protection_removed_meanwhile_does_not_stop_the_write(fake):
    sid, sheet, width = _initialised(fake)
    table = open_book(fake, sid)
    table.read()
    fake.on_next_request(lambda: sheet.protected_ranges.clear(), kind="spreadsheets.batchUpdate")
    result = table.write(WriteBack(C.ROW_KEY, C.ARTICLE_TITLE, (RowWrite("ka", {C.LINK_HEALTH: "1/1 live"}, 2),)))
    assert result.written == ("ka",) and sheet.values()[0][width] == C.LINK_HEALTH
    assert sheet.protected_ranges == [] and sheet.extra(1, width + 1)["note"]  # laid out all the same


# --- every row, whatever the sheet's length ------------------------------------------------


def test_init_lays_out_every_row_of_a_long_sheet_in_a_request_no_larger_than_for_a_short_one(fake):
    sizes = {}
    for rows in (7_000, 100):
        sid = fake.create_spreadsheet(f"Queue {rows}", ["Articles"], rows=rows)
        fake.log.clear()
        result = open_book(fake, sid).set_up()
        assert result.requests == 3
        (layout,) = [r for r in fake.log if r.kind == "spreadsheets.batchUpdate"]
        sizes[rows] = layout.received_bytes
        sheet = fake.sheet(sid, "Articles")
        header = sheet.values()[0]
        body = header.index(C.ARTICLE_BODY) + 1
        assert sheet.extra(rows, body)["userEnteredFormat"]["wrapStrategy"] == "WRAP"  # the last row too
        assert sheet.extra(rows, header.index(C.READY) + 1)["dataValidation"]["condition"] == {"type": "BOOLEAN"}
        # Rules cover the column to its end, rows people add later included.
        assert all("endRowIndex" not in r["ranges"][0] for r in sheet.conditional_formats)
    assert sizes[7_000] == sizes[100]
