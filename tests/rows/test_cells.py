"""Single cells read the way people mean them; what is ambiguous is refused with a hint."""

import datetime as dt

import pytest

from sheetsync.cells import (
    CellError,
    parse_date,
    parse_ready,
    parse_target_ids,
    parse_text,
    parse_urls,
    show,
)
from sheetsync.tables.base import Unreadable

# --- site IDs ---------------------------------------------------------------------------

# The advice names a date a week ahead: an example in the past would itself be refused.
HINT = "type it like " + (dt.date.today() + dt.timedelta(days=7)).isoformat()


@pytest.mark.parametrize(
    "raw, expected",
    [
        (388, (388,)),
        ("388", (388,)),
        (388.0, (388,)),
        ("388.0", (388,)),
        ("388, 372", (388, 372)),
        ("388;372", (388, 372)),
        ("388\n372\n401", (388, 372, 401)),
        ("  388 ,, 372 ; ", (388, 372)),
        ("388 372", (388, 372)),
        ("#388, #372", (388, 372)),
        ("388\u00a0,\u00a0372", (388, 372)),
        ("388, 388", (388, 388)),  # kept: the rules report the repeat with a clearer message
        (None, ()),
        ("", ()),
        (" , ; ", ()),
    ],
)
def test_target_ids_accepted(raw, expected):
    assert parse_target_ids(raw) == expected


@pytest.mark.parametrize(
    "raw, says",
    [
        (388.5, "not a whole number"),
        ("388.5", "not a whole number"),
        ("abc", '"abc" is not a site ID'),
        ("388, abc", '"abc" is not a site ID'),
        ("-5", "negative"),
        (-5, "positive whole numbers"),
        (0, "positive whole numbers"),
        (True, "checkbox"),
        (float("nan"), "not a whole number"),
        (float("inf"), "not a whole number"),
        (dt.date(2025, 5, 18), "date"),
        ("²", "not a site ID"),
        (10**30, "too large"),
        pytest.param("9" * 100_000, "too large", id="100k-digit-text"),
        pytest.param(10**5000, "over 100 digits long is too large", id="5000-digit-int"),
        (Unreadable("#REF!"), "#REF!"),
    ],
)
def test_target_ids_rejected(raw, says):
    with pytest.raises(CellError) as caught:
        parse_target_ids(raw)
    assert says in caught.value.message
    assert caught.value.message.endswith(".")


# --- URLs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("https://acme.com", ("https://acme.com",)),
        (
            "https://acme.com, https://acme.com/product",
            ("https://acme.com", "https://acme.com/product"),
        ),
        ("https://a.com\nhttp://b.org/x?y=1", ("https://a.com", "http://b.org/x?y=1")),
        ("https://a.com; https://b.com", ("https://a.com", "https://b.com")),
        ("https://a.com https://b.com", ("https://a.com", "https://b.com")),
        ("<https://a.com/x>", ("https://a.com/x",)),
        ('"https://a.com"', ("https://a.com",)),
        ("“https://a.com”", ("https://a.com",)),
        ("HTTPS://A.COM/Path", ("HTTPS://A.COM/Path",)),
        ("https://bücher.de/", ("https://bücher.de/",)),
        ("http://127.0.0.1:8080/p", ("http://127.0.0.1:8080/p",)),
        ("\u200bhttps://a.com\ufeff", ("https://a.com",)),
        (None, ()),
        ("   ", ()),
    ],
)
def test_urls_accepted(raw, expected):
    assert parse_urls(raw) == expected


@pytest.mark.parametrize(
    "raw, says",
    [
        ("www.example.com", "type it as https://www.example.com"),
        ("example.com/page", "has no https:// in front"),
        ("ftp://files.example.com", "only http:// and https://"),
        ("mailto:someone@example.com", "only http:// and https://"),
        ("https:/example.com", "missing the //"),
        ("https://", "no valid site name"),
        ("http://[::1", "not a valid web address"),
        ("https://a.com:port", "not a valid web address"),
        ("https://exa_mple..com", "no valid site name"),
        ("hello", "not a web address"),
        ("https://a.com, nonsense", '"nonsense" is not a web address'),
        (42, "not a web address"),
        (Unreadable("formula without a saved value"), "formula without a saved value"),
    ],
)
def test_urls_rejected(raw, says):
    with pytest.raises(CellError) as caught:
        parse_urls(raw)
    assert says in caught.value.message


# --- dates ------------------------------------------------------------------------------

MAY_18 = dt.date(2025, 5, 18)


@pytest.mark.parametrize(
    "raw",
    [
        MAY_18,
        dt.datetime(2025, 5, 18, 23, 59),
        45795,  # serial number: days since 1899-12-30
        45795.75,
        "2025-05-18",
        "2025/05/18",
        "2025-5-18",
        "2025-05-18T10:56:40Z",
        "2025-05-18 10:56",
        "18 May 2025",
        "18 may 2025",
        "May 18, 2025",
        "May 18 2025",
        "18th of May 2025",
        "Sunday, 18 May 2025",
        "18-May-2025",
        "18 MAY 2025",
        "18/05/2025",  # day first: 18 cannot be a month
        "05/18/2025",  # month first: 18 cannot be a month
        "18.05.2025",
        " 2025-05-18\u00a0",
    ],
)
def test_dates_accepted(raw):
    assert parse_date(raw) == MAY_18


def test_same_day_and_month_is_not_ambiguous():
    assert parse_date("03/03/2025") == dt.date(2025, 3, 3)


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_blank_date_is_none(raw):
    assert parse_date(raw) is None


@pytest.mark.parametrize(
    "raw, says",
    [
        ("03/04/2025", "2025-04-03"),  # 3 April or March 4: asks for year-month-day
        ("31/02/2025", "not a real calendar date"),
        ("2025-02-30", "not a real calendar date"),
        ("18/05/25", "two-digit year"),
        ("tomorrow", HINT),
        ("May 2025", HINT),
        ("18 May", HINT),
        ("45795", HINT),  # text digits are not guessed to be a serial
        (12, "is a number, not a date"),
        (1e9, "is a number, not a date"),
        (float("nan"), "number error"),
        (float("-inf"), "number error"),
        (True, "checkbox"),
        (Unreadable("#VALUE!"), "#VALUE!"),
    ],
)
def test_dates_rejected(raw, says):
    with pytest.raises(CellError) as caught:
        parse_date(raw)
    assert says in caught.value.message


def test_ambiguous_date_offers_both_readings():
    with pytest.raises(CellError) as caught:
        parse_date("03/04/2025")
    assert "2025-04-03 or 2025-03-04" in caught.value.message


# --- the ready checkbox -------------------------------------------------------------------


@pytest.mark.parametrize("raw", [True, "TRUE", "true", "Yes", "y", "x", "X", "✓", "✔", "1", 1, 1.0])
def test_ready_yes(raw):
    assert parse_ready(raw) is True


@pytest.mark.parametrize("raw", [False, None, "", "  ", "FALSE", "no", "N", "0", 0, 0.0])
def test_ready_no(raw):
    assert parse_ready(raw) is False


@pytest.mark.parametrize("raw", ["maybe", "later", 2, 0.5, dt.date(2025, 1, 1), Unreadable("#N/A")])
def test_ready_rejected(raw):
    with pytest.raises(CellError) as caught:
        parse_ready(raw)
    assert caught.value.message


# --- text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  A  title\u00a0with\tspaces ", "A title with spaces"),
        ("bell\x07 and\x00 nul", "bell and nul"),
        ("line\nbreak", "line break"),
        ("zero\u200bwidth", "zerowidth"),
        (2025, "2025"),
        (3.0, "3"),
        (2.5, "2.5"),
        (True, "TRUE"),
        (MAY_18, "2025-05-18"),
        (None, ""),
    ],
)
def test_single_line_text(raw, expected):
    assert parse_text(raw) == expected


def test_multiline_text_keeps_paragraphs():
    raw = "<p>One</p>\r\n\r\n<p>Two\x07</p>  \n"
    assert parse_text(raw, multiline=True) == "<p>One</p>\n\n<p>Two</p>"


def test_unreadable_text_names_the_reason():
    with pytest.raises(CellError, match="#REF!"):
        parse_text(Unreadable("#REF!"))


def test_shown_values_are_one_short_line():
    shown = show("x" * 500 + "\n\x00y")
    assert "\n" not in shown and len(shown) <= 42


def test_the_date_advice_never_names_a_day_in_the_past():
    with pytest.raises(CellError) as caught:
        parse_date("next tuesday")
    example = dt.date.fromisoformat(str(caught.value).rsplit(" ", 1)[-1].rstrip("."))
    assert example > dt.date.today()
