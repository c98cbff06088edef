"""Local validation mirrors the API's field rules and the catalogue, one sentence per problem."""

import dataclasses
import datetime as dt

import pytest

from sheetsync import columns as C
from sheetsync.models import Catalogue, Site
from sheetsync.rules import MAX_NAME_WORDS, add_one_month, check_row, count_words, derive_name
from sheetsync.sheet import ArticleRow, Problem, map_header, read_rows
from sheetsync.tables.base import Grid

TODAY = dt.date(2025, 5, 18)
TITLE = "Fintech startup Acme raises series A funding"
CATALOGUE = Catalogue(
    (
        Site(388, "example.com", 24, 31, 1, enabled=True, limited=False),
        Site(372, "example2.com", 30, 35, 2, enabled=True, limited=False),
        Site(401, "off.example", 10, 10, 0, enabled=False, limited=False),
        Site(402, "low.example", 10, 10, 0, enabled=True, limited=True),
    )
)


def make_row(**changes) -> ArticleRow:
    row = ArticleRow(
        row=7,
        key="",
        task_id="",
        mode="",
        ready=True,
        name="",
        title=TITLE,
        body="<p>Acme, a Pune based fintech company.</p>",
        urls=("https://acme.com",),
        target_ids=(388, 372),
        schedule_from=None,
        schedule_till=None,
        anchor=TITLE,
        owned={},
        problems=(),
    )
    return dataclasses.replace(row, **changes)


def messages(row, catalogue=CATALOGUE, today=TODAY):
    return [str(p) for p in check_row(row, catalogue, today)]


def test_a_good_row_has_no_problems():
    assert check_row(make_row(), CATALOGUE, TODAY) == []


# --- words ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, words",
    [
        ("", 0),
        ("one", 1),
        ("  two   words ", 2),
        ("<p>Two</p> <b>words</b>", 2),
        ("<p></p>", 0),
        ("line\nbreak\ttab", 3),
        ("one<br>two", 2),
        ("a < b and <i>c</i>", 5),
        ("one&nbsp;two &amp; three", 4),
        ('<a href="https://x.com/a b">link text</a>', 2),
    ],
)
def test_words_are_counted_after_stripping_tags(text, words):
    assert count_words(text) == words


# --- name -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["", "Launch", "Press release batch", " ".join(["w"] * MAX_NAME_WORDS)]
)
def test_names_that_fit_beside_the_marker(name):
    assert messages(make_row(name=name)) == []


def test_a_name_too_long_for_the_marker_says_why():
    assert messages(make_row(name=" ".join(["w"] * 11))) == [
        "Row 7, name: Name has 11 words; it can have at most 9, "
        "because sheetsync adds the row key as a 10th word; "
        "shorten it, or clear it to use the title."
    ]


@pytest.mark.parametrize(
    "name, title, expected",
    [
        ("My  campaign ", TITLE, "My campaign"),
        ("", TITLE, TITLE),
        (
            "",
            "one two three four five six seven eight nine ten eleven",
            "one two three four five six seven eight nine",
        ),
        ("", "", ""),
    ],
)
def test_derived_name(name, title, expected):
    assert derive_name(make_row(name=name, title=title)) == expected
    assert len(derive_name(make_row(name=name, title=title)).split()) <= MAX_NAME_WORDS


# --- title and body -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "title", ["one two three four", " ".join(["w"] * 50), "<b>Bold</b> news of the day"]
)
def test_titles_accepted(title):
    assert messages(make_row(title=title)) == []


@pytest.mark.parametrize(
    "title, message",
    [
        ("Two words", "Title has 2 words; it needs 4 to 50."),
        ("One", "Title has 1 word; it needs 4 to 50."),
        (" ".join(["w"] * 51), "Title has 51 words; it needs 4 to 50."),
        ("", "Title is empty; type the article's headline (4 to 50 words)."),
    ],
)
def test_titles_rejected(title, message):
    assert messages(make_row(title=title)) == [f"Row 7, article_title: {message}"]


@pytest.mark.parametrize(
    "body", ["x", " ".join(["w"] * 400), "<p>" + "<br>".join(["w"] * 400) + "</p>"]
)
def test_bodies_accepted(body):
    assert messages(make_row(body=body)) == []


@pytest.mark.parametrize(
    "body, says",
    [
        ("", "Body is empty; paste the article text"),
        ("<p></p>", "no words"),
        (
            " ".join(["w"] * 401),
            "Body has 401 words (HTML tags not counted); shorten it to 400 or fewer.",
        ),
    ],
)
def test_bodies_rejected(body, says):
    [problem] = check_row(make_row(body=body), CATALOGUE, TODAY)
    assert problem.column == "article_body" and says in problem.message


# --- URLs and targets ---------------------------------------------------------------------


def test_urls_count_one_to_five():
    five = tuple(f"https://a.com/{i}" for i in range(5))
    assert messages(make_row(urls=five)) == []
    assert messages(make_row(urls=(*five, "https://b.com"))) == [
        "Row 7, article_urls: URLs has 6 addresses; an article can link to at most 5, so remove 1."
    ]
    [empty] = check_row(make_row(urls=()), CATALOGUE, TODAY)
    assert empty.message.startswith("URLs is empty; type 1 to 5 addresses")


@pytest.mark.parametrize(
    "ids, says",
    [
        ((), "Site IDs is empty; type the IDs of the sites to publish on, like 388, 372."),
        ((388, 388), "Site 388 is listed twice; list each site once."),
        ((999,), "Site 999 is not in your BacklinkBase catalogue"),
        ((401,), "Site 401 (off.example) is disabled at BacklinkBase; choose another site."),
        ((402,), "Site 402 (low.example) is limited because the account's credits are low"),
    ],
)
def test_targets_rejected(ids, says):
    [problem] = check_row(make_row(target_ids=ids), CATALOGUE, TODAY)
    assert problem.column == "target_website_ids" and says in problem.message


def test_without_a_catalogue_only_the_field_rules_apply():
    assert check_row(make_row(target_ids=(999, 401)), None, TODAY) == []
    assert len(check_row(make_row(target_ids=(999, 999)), None, TODAY)) == 1


def test_every_bad_target_is_reported():
    assert len(check_row(make_row(target_ids=(999, 401, 402, 388)), CATALOGUE, TODAY)) == 3


# --- schedule ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, end",
    [
        (None, None),
        (TODAY, TODAY),
        (TODAY, dt.date(2025, 6, 18)),  # exactly one month ahead
        (None, dt.date(2025, 6, 18)),
        (dt.date(2025, 6, 17), None),  # default till = from + 1 day = the last allowed day
        (dt.date(2025, 5, 1), dt.date(2025, 5, 20)),  # from in the past is fine: it starts now
        (dt.date(2025, 5, 17), None),  # default till = today
    ],
)
def test_schedules_accepted(start, end):
    assert messages(make_row(schedule_from=start, schedule_till=end)) == []


@pytest.mark.parametrize(
    "start, end, column, message",
    [
        (dt.date(2025, 5, 25), dt.date(2025, 5, 20), "schedule_till",
         "Schedule till (2025-05-20) is before schedule from (2025-05-25); "
         "make it 2025-05-25 or later."),
        (None, dt.date(2025, 5, 17), "schedule_till",
         "Schedule till (2025-05-17) is in the past; pick a date from 2025-05-18 to 2025-06-18."),
        (None, dt.date(2025, 6, 19), "schedule_till",
         "Schedule till (2025-06-19) is more than one month ahead; pick 2025-06-18 or earlier."),
        (dt.date(2025, 6, 18), None, "schedule_from",
         "Schedule from (2025-06-18) is too far ahead: publishing must end by 2025-06-18, "
         "one month from today; pick 2025-06-17 or earlier."),
        (dt.date(2025, 5, 1), None, "schedule_from",
         "Schedule from (2025-05-01) is in the past, so the default end (2025-05-02) is too; "
         "set it to 2025-05-18 or later, or fill in schedule till."),
        # The calendar's ends, as typed or pasted: still a plain refusal.
        (dt.date.max, None, "schedule_from",
         "Schedule from (9999-12-31) is too far ahead: publishing must end by 2025-06-18, "
         "one month from today; pick 2025-06-17 or earlier."),
        (dt.date.min, None, "schedule_from",
         "Schedule from (0001-01-01) is in the past, so the default end (0001-01-02) is too; "
         "set it to 2025-05-18 or later, or fill in schedule till."),
    ],
)  # fmt: skip
def test_schedules_rejected(start, end, column, message):
    assert check_row(make_row(schedule_from=start, schedule_till=end), CATALOGUE, TODAY) == [
        Problem(7, column, message)
    ]


@pytest.mark.parametrize(
    "day, expected",
    [
        (dt.date(2025, 5, 18), dt.date(2025, 6, 18)),
        (dt.date(2025, 1, 31), dt.date(2025, 2, 28)),
        (dt.date(2024, 1, 31), dt.date(2024, 2, 29)),
        (dt.date(2025, 12, 15), dt.date(2026, 1, 15)),
    ],
)
def test_one_month_ahead(day, expected):
    assert add_one_month(day) == expected


# --- with the sheet -----------------------------------------------------------------------


def test_problems_name_the_column_as_the_sheet_calls_it():
    g = Grid(
        header=("Headline", "Content", "Links", "Sites"),
        rows=(("Two words", "b", "https://a.com", 388),),
    )
    [row] = read_rows(g, map_header(g.header))
    assert messages(row) == ["Row 2, Headline: Title has 2 words; it needs 4 to 50."]


def test_unreadable_cells_are_not_reported_again_by_the_rules():
    g = Grid(
        header=("Title", "Body", "URLs", "Sites", "Till"),
        rows=(("Two words", "b", "www.acme.com", "388, abc", "03/04/2025"),),
    )
    [row] = read_rows(g, map_header(g.header))
    assert [p.column for p in row.problems] == ["URLs", "Sites", "Till"]
    assert [p.column for p in check_row(row, CATALOGUE, TODAY)] == ["Title"]


def test_a_copied_row_carries_a_problem():
    g = Grid(
        header=("Title", "Body", "URLs", "Sites", C.ROW_KEY),
        rows=((TITLE, "b", "https://a.com", 388, "k1"), (TITLE, "b", "https://a.com", 388, "k1")),
    )
    first, copy = read_rows(g, map_header(g.header))
    assert first.problems == () and check_row(first, CATALOGUE, TODAY) == []
    assert [p.column for p in copy.problems] == [C.ROW_KEY]
