"""Whatever a cell holds, reading and checking never crash; every refusal names row and column."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetsync.cells import (
    CellError,
    parse_date,
    parse_ready,
    parse_target_ids,
    parse_text,
    parse_urls,
)
from sheetsync.models import Catalogue, Site
from sheetsync.rules import MAX_NAME_WORDS, check_row, derive_name
from sheetsync.sheet import map_header, read_rows
from sheetsync.tables.base import Grid, Unreadable

HEADER = (
    "Name", "Title", "Body", "URLs", "Sites", "From", "Till", "Ready?", "My notes",
    "row_key", "task_id", "mode", "status", "progress", "result_urls", "last_synced", "notes",
)  # fmt: skip
CATALOGUE = Catalogue(
    (Site(388, "example.com", 24, 31, 1, True, False), Site(389, "x.org", 1, 1, 1, False, True))
)

# Text that looks like what people type into these cells, plus anything at all.
_LIKELY = st.sampled_from(
    [
        "388, 372", "388;abc", "#388", "-1", "388.5", "https://a.com, www.b.com", "<https://a.com>",
        "2025-05-18", "03/04/2025", "18/05/2025", "May 18, 2025", "TRUE", "x", "✓", "maybe",
        "one two three four", "<p>body</p>", "=SUM(A1:A3)", "k1", "k1 k2", "\u00a0", "\x00\x07",
    ]
)  # fmt: skip
CELLS = st.one_of(
    st.none(),
    st.text(max_size=40),
    _LIKELY,
    # Huge cells, built by repetition because generating them character by character is slow.
    st.builds(
        lambda part, times: part * times, st.text(min_size=1, max_size=12), st.integers(200, 2000)
    ),
    st.integers(),
    st.just(10**5000),  # past the length Python will turn into text
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.builds(Unreadable, st.text(max_size=30)),
)
PARSERS = (parse_target_ids, parse_urls, parse_date, parse_ready, parse_text)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _one_line(message: str) -> bool:
    return bool(message.strip()) and "\n" not in message and "\r" not in message


@FAST
@given(CELLS)
def test_parsers_return_a_value_or_a_plain_refusal(value):
    for parse in PARSERS:
        try:
            parse(value)
        except CellError as error:
            assert _one_line(error.message), (parse.__name__, value)
            assert len(error.message) < 400


@FAST
@given(
    st.lists(st.lists(CELLS, min_size=0, max_size=len(HEADER)), min_size=1, max_size=4),
    # Cells hold anything; today is a real day (one month after December 9999 is no date).
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
)
def test_rows_read_and_checked_without_crashing(cells, today):
    grid = Grid(header=HEADER, rows=tuple(tuple(r) for r in cells))
    hm = map_header(grid.header)
    rows = read_rows(grid, hm)
    assert [r.row for r in rows] == sorted({r.row for r in rows})
    for row in rows:
        assert 2 <= row.row <= len(cells) + 1
        assert len(derive_name(row).split()) <= max(MAX_NAME_WORDS, len(row.name.split()))
        for problem in check_row(row, CATALOGUE, today):
            text = str(problem)
            assert problem.row == row.row
            assert problem.column in HEADER
            assert text.startswith(f"Row {row.row}, {problem.column}: ")
            assert _one_line(text) and problem.message.strip()
            assert len(text) < 500


@FAST
@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_dates_round_trip_through_every_written_form(day):
    serial = (day - dt.date(1899, 12, 30)).days
    assert parse_date(day.isoformat()) == day
    assert parse_date(serial) == day
    assert parse_date(float(serial) + 0.5) == day
    assert parse_date(day.strftime("%d %B %Y")) == day
    assert parse_date(day.strftime("%B %d, %Y")) == day
    numeric = day.strftime("%d/%m/%Y")
    try:
        assert parse_date(numeric) == day
    except CellError as error:
        # Only a day and month that could swap places are refused, and both readings offered.
        assert day.day <= 12 and day.day != day.month
        assert day.isoformat() in error.message


@FAST
@given(
    st.lists(st.integers(min_value=1, max_value=10**12), min_size=1, max_size=8),
    st.sampled_from([", ", ";", "\n", " ", " ; "]),
)
def test_target_ids_round_trip(ids, separator):
    assert parse_target_ids(separator.join(map(str, ids))) == tuple(ids)
