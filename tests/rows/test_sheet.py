"""Header mapping by name and alias, and grids turned into typed rows with their problems."""

import datetime as dt

import pytest

from sheetsync import columns as C
from sheetsync.errors import TableError
from sheetsync.sheet import ArticleRow, Problem, column_letter, map_header, read_rows
from sheetsync.tables.base import Grid, Unreadable, cell_text

HEADER = ("name", "article_title", "article_body", "article_urls", "target_website_ids")
TITLE = "Fintech startup Acme raises series A funding"


def grid(header, *rows):
    return Grid(header=tuple(header), rows=tuple(tuple(r) for r in rows))


# --- header mapping -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, canonical",
    [
        ("article_title", C.ARTICLE_TITLE),
        ("Article Title", C.ARTICLE_TITLE),
        ("ARTICLE-TITLE", C.ARTICLE_TITLE),
        ("Title", C.ARTICLE_TITLE),
        ("Title*", C.ARTICLE_TITLE),
        ("Body", C.ARTICLE_BODY),
        ("Content", C.ARTICLE_BODY),
        ("Article", C.ARTICLE_BODY),
        ("URLs", C.ARTICLE_URLS),
        ("Links", C.ARTICLE_URLS),
        ("Article URLs", C.ARTICLE_URLS),
        ("Sites", C.TARGET_WEBSITE_IDS),
        ("Site IDs", C.TARGET_WEBSITE_IDS),
        ("Targets", C.TARGET_WEBSITE_IDS),
        ("Target IDs", C.TARGET_WEBSITE_IDS),
        ("Sites (IDs)", C.TARGET_WEBSITE_IDS),
        ("Title (4-50 words)", C.ARTICLE_TITLE),
        ("Site IDs [comma-separated]", C.TARGET_WEBSITE_IDS),
        ("From", C.SCHEDULE_FROM),
        ("Start", C.SCHEDULE_FROM),
        ("Till", C.SCHEDULE_TILL),
        ("Until", C.SCHEDULE_TILL),
        ("End", C.SCHEDULE_TILL),
        ("Deadline", C.SCHEDULE_TILL),
        ("Ready?", C.READY),
        ("Send", C.READY),
        ("Approved", C.APPROVED),
        ("Task", C.TASK_ID),
        ("Task ID", C.TASK_ID),
        ("Error", C.NOTES),
        ("Errors", C.NOTES),
        ("Problems", C.NOTES),
        ("Key", C.ROW_KEY),
        ("Row Key", C.ROW_KEY),
        ("Status", C.STATUS),
        ("Last synced", C.LAST_SYNCED),
    ],
)
def test_headers_found_by_name_and_alias(text, canonical):
    header = [text, *(h for h in HEADER if h != canonical)]
    hm = map_header(header)
    assert hm.index[canonical] == 0
    assert hm.text(canonical) == text
    assert hm.has(canonical)


def test_columns_are_found_wherever_they_moved():
    hm = map_header(["Notes to self", "Sites", "", "URLs", "Body", "Title", "Status"])
    assert hm.index == {
        C.TARGET_WEBSITE_IDS: 1,
        C.ARTICLE_URLS: 3,
        C.ARTICLE_BODY: 4,
        C.ARTICLE_TITLE: 5,
        C.STATUS: 6,
    }


def test_absent_output_columns_are_written_under_their_canonical_name():
    hm = map_header(HEADER)
    assert not hm.has(C.TASK_ID)
    assert hm.text(C.TASK_ID) == "task_id"
    assert not hm.has(C.READY)


def test_missing_required_column_names_it_and_lists_what_was_found():
    with pytest.raises(TableError) as caught:
        map_header(["Title", "Body", "Comments"])
    message = str(caught.value)
    assert "article_urls" in message and "target_website_ids" in message
    assert "'Title', 'Body', 'Comments'" in message
    assert "\n" not in message


def test_two_headers_meaning_one_column_name_both_letters():
    with pytest.raises(TableError) as caught:
        map_header([*HEADER, "Title"])
    message = str(caught.value)
    assert "Columns B ('article_title') and F ('Title')" in message
    assert message.endswith("rename or delete one of them.")


def test_duplicate_owned_column_is_refused_too():
    with pytest.raises(TableError, match="both mean status"):
        map_header([*HEADER, "Status", "status"])


def test_duplicate_unknown_and_blank_headers_are_the_persons_business():
    hm = map_header([*HEADER, "Comments", "Comments", "", "", None])
    assert set(hm.index) == set(HEADER)


@pytest.mark.parametrize(
    "index, letters", [(0, "A"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ"), (702, "AAA")]
)
def test_column_letters(index, letters):
    assert column_letter(index) == letters


# --- reading rows -----------------------------------------------------------------------


def test_a_clean_row_is_read_into_types():
    g = grid(
        [
            "Title",
            "Body",
            "URLs",
            "Sites",
            "From",
            "Till",
            "Ready?",
            "Key",
            "Task ID",
            "Mode",
            "Status",
        ],
        [
            TITLE,
            "<p>Acme</p>",
            "https://acme.com, https://acme.com/p",
            "388; 372.0",
            "2025-05-18",
            dt.date(2025, 5, 25),
            True,
            "k7",
            "6825f0ba291e7",
            "sandbox",
            "Queued",
        ],
    )
    [row] = read_rows(g, map_header(g.header))
    assert row == ArticleRow(
        row=2,
        key="k7",
        task_id="6825f0ba291e7",
        mode="sandbox",
        ready=True,
        name="",
        title=TITLE,
        body="<p>Acme</p>",
        urls=("https://acme.com", "https://acme.com/p"),
        target_ids=(388, 372),
        schedule_from=dt.date(2025, 5, 18),
        schedule_till=dt.date(2025, 5, 25),
        anchor=TITLE,
        owned={
            C.ROW_KEY: "k7",
            C.TASK_ID: "6825f0ba291e7",
            C.MODE: "sandbox",
            C.STATUS: "Queued",
            C.PROGRESS: "",
            C.RESULT_URLS: "",
            C.LAST_SYNCED: "",
            C.NOTES: "",
            C.LINK_HEALTH: "",
        },  # fmt: skip
        problems=(),
    )


def test_blank_rows_are_skipped_and_row_numbers_kept():
    g = grid(
        [*HEADER, "My notes"],
        ["", TITLE, "b", "https://a.com", 1, ""],
        [None, None, None, None, None, None],
        ["  ", "", "\t", None, None, "only the person's own note"],
        ["\u200b", "\u00a0", None, "\ufeff ", None, None],
        ["", TITLE, "b", "https://a.com", 2, ""],
        [],
    )
    rows = read_rows(g, map_header(g.header))
    assert [r.row for r in rows] == [2, 6]
    assert [r.target_ids for r in rows] == [(1,), (2,)]


def test_short_rows_read_as_blank_cells():
    g = grid(HEADER, ["", TITLE])
    [row] = read_rows(g, map_header(g.header))
    assert row.title == TITLE and row.urls == () and row.target_ids == ()


def test_without_a_ready_column_every_row_is_ready():
    g = grid(HEADER, ["", TITLE, "b", "https://a.com", 1])
    assert read_rows(g, map_header(g.header))[0].ready is True


def test_with_a_ready_column_blank_means_not_ready():
    g = grid([*HEADER, "Ready"], ["", TITLE, "b", "https://a.com", 1, None])
    assert read_rows(g, map_header(g.header))[0].ready is False


def test_cell_problems_name_row_and_the_sheets_own_header():
    g = grid(
        ["Title", "Body", "Links", "Site IDs", "Deadline", "Send"],
        [TITLE, "b", "https://a.com", 1, "", ""],
        [TITLE, "b", "www.acme.com", "388, abc", "03/04/2025", "maybe"],
    )
    rows = read_rows(g, map_header(g.header))
    assert rows[0].problems == ()
    problems = rows[1].problems
    assert [(p.row, p.column) for p in problems] == [
        (3, "Send"),
        (3, "Links"),
        (3, "Site IDs"),
        (3, "Deadline"),
    ]
    assert (
        str(problems[1])
        == 'Row 3, Links: "www.acme.com" has no https:// in front; type it as https://www.acme.com.'
    )


def test_unreadable_cells_become_problems_with_their_reason():
    g = grid(
        [*HEADER, "task_id"], ["", Unreadable("#REF!"), "b", "https://a.com", 1, Unreadable("#N/A")]
    )
    [row] = read_rows(g, map_header(g.header))
    assert {(p.column, "#REF!" in p.message or "#N/A" in p.message) for p in row.problems} == {
        ("article_title", True),
        ("task_id", True),
    }
    assert row.title == "" and row.anchor == ""


def test_anchor_is_the_title_cell_as_the_backends_reread_it():
    g = grid(
        HEADER,
        ["", "  Spaced\u00a0title  text here ", "b", "https://a.com", 1],
        ["", 2024.0, "b", "https://a.com", 1],
    )
    spaced, number = read_rows(g, map_header(g.header))
    assert spaced.title == "Spaced title text here"
    assert (
        spaced.anchor
        == cell_text("  Spaced\u00a0title  text here ")
        == "Spaced\u00a0title  text here"
    )
    assert number.anchor == cell_text(2024) == "2024"


def test_numbers_in_text_columns_read_without_a_trailing_zero():
    g = grid([*HEADER, "task_id"], [2024.0, TITLE, "b", "https://a.com", 1, 6825123456789])
    [row] = read_rows(g, map_header(g.header))
    assert row.name == "2024" and row.task_id == "6825123456789"


def test_a_copied_row_key_is_reported_on_the_copy():
    g = grid(
        [*HEADER, "Key", "Task"],
        ["", TITLE, "b", "https://a.com", 1, "k1", "t1"],
        ["", TITLE, "b", "https://a.com", 1, "k2", "t2"],
        ["", TITLE, "b", "https://a.com", 1, "k1", "t1"],
    )
    rows = read_rows(g, map_header(g.header))
    assert [len(r.problems) for r in rows] == [0, 0, 1]
    assert str(rows[2].problems[0]) == (
        'Row 4, Key: Row 2 has the same row key "k1", so this row looks copied; '
        "clear Key and Task in this row to send it as a new article."
    )


def test_an_edited_row_key_is_a_problem():
    g = grid([*HEADER, "row_key"], ["", TITLE, "b", "https://a.com", 1, "k1 edited"])
    [row] = read_rows(g, map_header(g.header))
    assert [p.column for p in row.problems] == ["row_key"]


def test_problem_reads_as_one_line():
    assert str(Problem(7, "article_title", "Title has 2 words; it needs 4 to 50.")) == (
        "Row 7, article_title: Title has 2 words; it needs 4 to 50."
    )


def test_a_filled_owned_column_before_the_first_sync_is_the_persons():
    from sheetsync.sheet import check_ownership

    header = ("article_title", "article_body", "article_urls", "target_website_ids", "Status")
    grid = Grid(header=header, rows=(("t", "b", "u", "1", None), ("t", "b", "u", "1", "Draft")))
    with pytest.raises(TableError, match=r"Column E \('Status'\).*row 3: 'Draft'"):
        check_ownership(grid, map_header(header))
    # Empty, or once sheetsync owns the sheet (row_key present), the column is sheetsync's.
    empty = Grid(header=header, rows=(("t", "b", "u", "1", None),))
    check_ownership(empty, map_header(header))
    owned = Grid(header=header + ("row_key",), rows=(("t", "b", "u", "1", "Queued", "ss-aaaaaaaa"),))
    check_ownership(owned, map_header(owned.header))
