import datetime as dt

import pytest

from sheetsync.models import Catalogue, Site, Status, parse_status, parse_timestamp


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("queued", Status.QUEUED),
        ("Queued Publishing", Status.QUEUED),
        ("running", Status.PUBLISHING),
        ("Publishing", Status.PUBLISHING),
        ("completed", Status.PUBLISHED),
        ("Published", Status.PUBLISHED),
        ("failed", Status.FAILED),
        ("Failed", Status.FAILED),
        ("cancelled", Status.CANCELLED),
        ("Cancelled", Status.CANCELLED),
        ("queued_publishing", Status.QUEUED),
    ],
)
def test_both_status_vocabularies_normalise(raw, expected):
    assert parse_status(raw) is expected


def test_unknown_status_is_refused():
    with pytest.raises(ValueError):
        parse_status("exploded")


def test_final_statuses():
    assert {s for s in Status if s.is_final} == {Status.PUBLISHED, Status.FAILED, Status.CANCELLED}


@pytest.mark.parametrize("raw", ["2025-05-15T10:56:40.000000Z", "2025-05-15T10:56:40Z"])
def test_timestamps_with_and_without_microseconds(raw):
    assert parse_timestamp(raw) == dt.datetime(2025, 5, 15, 10, 56, 40, tzinfo=dt.timezone.utc)


def test_missing_timestamp_is_none():
    assert parse_timestamp(None) is None


def test_catalogue_lookup():
    site = Site(388, "example.com", 24, 31, 1, True, False)
    assert Catalogue((site,)).get(388) is site
    assert Catalogue((site,)).get(1) is None
