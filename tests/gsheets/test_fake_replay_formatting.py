"""Google's recorded answers to formatting requests (notes, validation, formats, frozen rows,
protected ranges, locale), replayed against the fake.

The recordings live beside the repository (../shared/reference), not in it: a fresh clone
has none, and then this module is skipped with that reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import test_fake_replay as base

RECORDINGS = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "gspread-cassettes-formatting"
FILES = sorted(RECORDINGS.glob("*.json")) if RECORDINGS.is_dir() else []

# What these recordings exercise that sheetsync never sends: the fake does not model it.
NOT_MODELLED = {
    "ClientTest.test_access_private_spreadsheet": "Drive sharing is not modelled",
    "WorksheetTest.test_add_validation": "the error's details list for a malformed values body",
    "WorksheetTest.test_append_row_with_empty_value_and_table_range": "values.append's table detection",
    "WorksheetTest.test_auto_resize_columns": "autoResizeDimensions measuring text",
    "WorksheetTest.test_basic_filters": "basic filters",
    "WorksheetTest.test_delete_cols": "deleting columns",
    "WorksheetTest.test_insert_row": "values.append's table detection",
    "WorksheetTest.test_set_tab_color": "an empty properties message kept under a field mask",
    "WorksheetTest.test_sort": "sortRange",
}

pytestmark = pytest.mark.skipif(
    not FILES, reason=f"no reference recordings at {RECORDINGS} (they live beside the repository, not in it)"
)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_the_fake_answers_formatting_requests_as_google_did(path, monkeypatch):
    if path.stem in NOT_MODELLED:
        pytest.skip(f"not modelled by the fake: {NOT_MODELLED[path.stem]}")
    monkeypatch.setattr(base, "VOLATILE", base.VOLATILE | {"protectedRangeId", "users"})
    assert base.replay(path) > 0


def test_the_requests_init_sends_are_among_the_replayed_ones():
    replayed = " ".join(p.read_text() for p in FILES if p.stem not in NOT_MODELLED)
    for request in ("repeatCell", "updateCells", "addProtectedRange",
                    "frozenRowCount", "updateDimensionProperties", "note"):
        assert request in replayed, request
