"""task/store field rules (pure): word counts, URLs, target ids, schedule window, sandbox."""

from __future__ import annotations

import datetime as dt

import pytest

from sheetsync.emulator.catalogue import CATALOGUE, DISABLED_IDS
from sheetsync.emulator.validation import StoreRequest, add_month, count_words, validate_store

TODAY = dt.date(2026, 11, 28)
GOOD = {
    "name": "Press release batch",
    "article_title": "Fintech startup Acme raises series A funding",
    "article_body": "<p>Acme, a Pune based <b>fintech</b> company.</p>",
    "article_urls": "https://acme.com, https://acme.com/product",
    "target_website_ids": "388, 372, 401",
}


def check(**overrides: object) -> StoreRequest | dict[str, list[str]]:
    fields = {**GOOD, **overrides}
    return validate_store({k: v for k, v in fields.items() if v is not ...}, today=TODAY, catalogue=CATALOGUE)


def errors(**overrides: object) -> dict[str, list[str]]:
    result = check(**overrides)
    assert isinstance(result, dict), result
    return result


def test_the_documented_example_passes_with_defaults() -> None:
    result = check()
    assert isinstance(result, StoreRequest)
    assert result.target_website_ids == (388, 372, 401)
    assert result.article_urls == ("https://acme.com", "https://acme.com/product")
    assert (result.schedule_from, result.schedule_till) == (TODAY, TODAY + dt.timedelta(days=1))
    assert result.sandbox is False


@pytest.mark.parametrize(("text", "words"), [
    ("<p>One <b>two</b></p><br/>three", 3), ("a&nbsp;b", 2), ("", 0), ("  x  y  ", 2),
    ("<a href='https://x.y/a b'>link text</a>", 2),
])
def test_words_are_counted_without_html(text: str, words: int) -> None:
    assert count_words(text) == words


@pytest.mark.parametrize(("name", "ok"), [("Solo", False), ("Two words", True),
                                          (" ".join(["w"] * 10), True), (" ".join(["w"] * 11), False)])
def test_name_must_have_2_to_10_words(name: str, ok: bool) -> None:
    result = check(name=name)
    assert isinstance(result, StoreRequest) == ok
    if not ok:
        n = len(name.split())
        assert result == {"name": [f"The name must be between 2 and 10 words. You have {n} words."]}


@pytest.mark.parametrize(("words", "ok"), [(3, False), (4, True), (50, True), (51, False)])
def test_title_must_have_4_to_50_words(words: int, ok: bool) -> None:
    result = check(article_title=" ".join(["word"] * words))
    assert isinstance(result, StoreRequest) == ok


def test_body_at_most_400_words_counted_without_tags() -> None:
    body = "<p>" + " ".join(["<b>word</b>"] * 400) + "</p>"
    assert isinstance(check(article_body=body), StoreRequest)
    assert errors(article_body=body + " more") == {
        "article_body": ["The article_body may not be greater than 400 words. You have 401 words."]
    }


@pytest.mark.parametrize("field", ["name", "article_title", "article_body", "article_urls", "target_website_ids"])
def test_required_fields(field: str) -> None:
    assert errors(**{field: ...}) == {field: [f"The {field} field is required."]}


@pytest.mark.parametrize(("urls", "message"), [
    ("https://a.com, /relative", "The article_urls must be absolute http(s) URLs; '/relative' is not one."),
    ("ftp://a.com", "The article_urls must be absolute http(s) URLs; 'ftp://a.com' is not one."),
    (",".join(f"https://a.com/{i}" for i in range(6)), "The article_urls must contain between 1 and 5 URLs. You have 6 URLs."),
])
def test_article_urls_rules(urls: str, message: str) -> None:
    assert errors(article_urls=urls) == {"article_urls": [message]}


def test_article_urls_as_json_array() -> None:
    result = check(article_urls=["https://a.com", "http://b.org/x"])
    assert isinstance(result, StoreRequest) and result.article_urls == ("https://a.com", "http://b.org/x")


@pytest.mark.parametrize(("ids", "message"), [
    ("388, 3.5", "The target_website_ids must be a comma-separated list of integers."),
    ([388, True], "The target_website_ids must be a comma-separated list of integers."),
    (388.0, "The target_website_ids must be a comma-separated list of integers."),
    ({"id": 388}, "The target_website_ids must be a comma-separated list of integers."),
    ("388, 999", "The selected target_website_ids 999 is invalid."),
    ("388, 388", "The target_website_ids field has a duplicate value: 388."),
    (f"388, {min(DISABLED_IDS)}", f"The selected target_website_ids {min(DISABLED_IDS)} is disabled."),
    (",", "The target_website_ids field is required."),
])
def test_target_ids_rules(ids: object, message: str) -> None:
    assert errors(target_website_ids=ids) == {"target_website_ids": [message]}


def test_target_ids_as_json_array_of_ints_and_digit_strings() -> None:
    result = check(target_website_ids=[388, "372"])
    assert isinstance(result, StoreRequest) and result.target_website_ids == (388, 372)


def test_comma_string_refused_when_arrays_are_required() -> None:
    result = validate_store(GOOD, today=TODAY, catalogue=CATALOGUE, ids_as_array_only=True)
    assert result == {"target_website_ids": ["The target_website_ids must be a JSON array."]}


@pytest.mark.parametrize(("start", "till", "message"), [
    ("2026-12-02", "2026-12-01", "The schedule_till must be a date after or equal to schedule_from."),
    (None, "2026-12-29", "The schedule_till must be a date before or equal to 2026-12-28."),
    ("2026-11-01", "2026-11-27", "The schedule_till must be a date after or equal to today."),
])
def test_schedule_rules(start: str | None, till: str, message: str) -> None:
    fields = {"schedule_till": till} if start is None else {"schedule_from": start, "schedule_till": till}
    assert errors(**fields) == {"schedule_till": [message]}


def test_schedule_edges_are_accepted() -> None:
    result = check(schedule_from="2026-11-28", schedule_till="2026-12-28")
    assert isinstance(result, StoreRequest) and result.schedule_till == dt.date(2026, 12, 28)
    same_day = check(schedule_from="2026-11-30", schedule_till="2026-11-30")
    assert isinstance(same_day, StoreRequest)


def test_default_till_is_from_plus_one_day_and_must_fit_the_month() -> None:
    result = check(schedule_from="2026-12-05")
    assert isinstance(result, StoreRequest) and result.schedule_till == dt.date(2026, 12, 6)
    assert "schedule_till" in errors(schedule_from="2026-12-28")


def test_bad_dates() -> None:
    assert errors(schedule_from="18/05/2025") == {
        "schedule_from": ["The schedule_from is not a valid date (use YYYY-MM-DD)."]
    }


@pytest.mark.parametrize(("raw", "expected"), [(True, True), ("true", True), ("1", True), (1, True),
                                               (False, False), ("false", False), ("0", False), (None, False)])
def test_sandbox_values(raw: object, expected: bool) -> None:
    result = check(sandbox=raw)
    assert isinstance(result, StoreRequest) and result.sandbox is expected


def test_sandbox_nonsense_is_refused() -> None:
    assert errors(sandbox="maybe") == {"sandbox": ["The sandbox field must be true or false."]}


@pytest.mark.parametrize(("day", "later"), [
    (dt.date(2026, 11, 28), dt.date(2026, 12, 28)), (dt.date(2026, 12, 15), dt.date(2027, 1, 15)),
    (dt.date(2027, 1, 31), dt.date(2027, 2, 28)), (dt.date(2028, 1, 31), dt.date(2028, 2, 29)),
])
def test_add_month(day: dt.date, later: dt.date) -> None:
    assert add_month(day) == later


def test_every_problem_is_reported_at_once() -> None:
    result = errors(name="x", article_title="too short", article_urls="nope", target_website_ids="a")
    assert set(result) == {"name", "article_title", "article_urls", "target_website_ids"}
