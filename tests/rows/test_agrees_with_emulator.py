"""Local validation and the emulator's task/store rules agree on which fields are wrong.

Both mirror the same API reference; if they drift apart, a row passes locally only to be
refused by the server (a wasted request) or is held back for no reason. Two differences are
deliberate: limited sites are left out (the API lists them as unusable, but its documented
task/store rules do not say so), and a body of only HTML tags is refused locally although a
server that checks "required" would take it.
"""

import dataclasses
import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from sheetsync.emulator.validation import StoreRequest, validate_store
from sheetsync.models import Catalogue, Site
from sheetsync.rules import check_row, count_words, derive_name
from sheetsync.sheet import ArticleRow

TODAY = dt.date(2025, 1, 31)  # month end: "one month ahead" is clamped to Feb 28
CATALOGUE = Catalogue(
    (Site(388, "a.com", 1, 1, 1, True, False), Site(389, "b.com", 1, 1, 1, False, False))
)
SCHEDULE = {"schedule_from", "schedule_till"}

_words = st.integers(0, 60).map(lambda n: " ".join(f"w{i}" for i in range(n)))
_body = st.one_of(
    st.integers(0, 420).map(lambda n: " ".join(["word"] * n)),
    st.integers(395, 405).map(lambda n: "<p>" + "<br>".join(["w"] * n) + "</p>"),
    st.sampled_from(["<p></p>", "a&nbsp;b", "x < y"]),
)
_urls = st.lists(
    st.sampled_from(["https://a.com", "https://b.org/x", "http://c.net/?q=1"]), max_size=7
)
_ids = st.lists(st.sampled_from([388, 389, 999]), max_size=3)
_day = st.one_of(st.none(), st.integers(-40, 40).map(lambda d: TODAY + dt.timedelta(days=d)))


def _row(name, title, body, urls, ids, start, end) -> ArticleRow:
    return ArticleRow(
        row=2, key="", task_id="", mode="", ready=True, name=name, title=title, body=body,
        urls=tuple(urls), target_ids=tuple(ids), schedule_from=start, schedule_till=end,
        anchor=title, owned={}, problems=(),
    )  # fmt: skip


def _fields(row: ArticleRow) -> dict[str, object]:
    """The task/store body the client builds: the marker word appended, lists as comma strings."""
    return {
        "name": f"{derive_name(row)} k7f3a9".strip(),
        "article_title": row.title,
        "article_body": row.body,
        "article_urls": ", ".join(row.urls),
        "target_website_ids": ", ".join(map(str, row.target_ids)),
        "schedule_from": row.schedule_from.isoformat() if row.schedule_from else None,
        "schedule_till": row.schedule_till.isoformat() if row.schedule_till else None,
        "sandbox": True,
    }


def _grouped(fields: set[str]) -> set[str]:
    # Without a till the server blames schedule_till for a bad from; locally the cell the
    # person typed (schedule_from) is named. Either way it is the schedule.
    return {"schedule" if f in SCHEDULE else f for f in fields}


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(["", "Launch", "w " * 9, "w " * 10]), _words, _body, _urls, _ids, _day, _day)
def test_local_rules_and_the_emulator_blame_the_same_fields(
    name, title, body, urls, ids, start, end
):
    row = _row(name.strip(), title, body, urls, ids, start, end)
    local = {p.column for p in check_row(row, CATALOGUE, TODAY)}
    answer = validate_store(_fields(row), today=TODAY, catalogue=CATALOGUE)
    server = set() if isinstance(answer, StoreRequest) else set(answer)
    if not derive_name(row):
        server.discard("name")  # no title to derive a name from: reported as the title
    if body.strip() and count_words(body) == 0:
        server.add("article_body")  # tags and no words: refused locally on purpose
    assert _grouped(local) == _grouped(server), (local, answer)


def test_the_example_row_from_the_reference_passes_both():
    row = _row(
        "Press release batch", "Fintech startup Acme raises series A funding",
        "Acme, a Pune based fintech company.", ["https://acme.com", "https://acme.com/product"],
        [388], TODAY, TODAY + dt.timedelta(days=7),
    )  # fmt: skip
    assert check_row(row, CATALOGUE, TODAY) == []
    assert isinstance(validate_store(_fields(row), today=TODAY, catalogue=CATALOGUE), StoreRequest)
    short = dataclasses.replace(row, title="Two words")
    assert [p.message for p in check_row(short, CATALOGUE, TODAY)] == [
        "Title has 2 words; it needs 4 to 50."
    ]
    assert validate_store(_fields(short), today=TODAY, catalogue=CATALOGUE) == {
        "article_title": ["The article_title must be between 4 and 50 words. You have 2 words."]
    }
