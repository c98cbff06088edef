"""Totals over several runs of one command (the cycles of `sync --watch`, the demo)."""

from __future__ import annotations

from sheetsync.apply import RowOutcome
from sheetsync.totals import combine, totals
from sheetsync.workflow import Report


def _report(mode: str, spent: int, *rows: RowOutcome, requests: int = 1) -> Report:
    return Report(mode=mode, sheet="s", rows=list(rows), spent=spent, api_requests=requests)


def test_spending_and_requests_add_up_and_each_row_keeps_its_latest_word():
    first = _report(
        "sync", 5,
        RowOutcome(2, "ss-aaaaaaaa", "submitted", "t1", "Queued"),
        RowOutcome(3, "ss-bbbbbbbb", "wait", message="Waiting for credits", attention=True),
        RowOutcome(4, "ss-cccccccc", "submitted", "t2", "Queued"),
        requests=6,
    )
    second = _report(
        "pull", 0,
        RowOutcome(2, "ss-aaaaaaaa", "refresh", "t1", "Published"),
        # A pull does not price new rows: the earlier "waiting for credits" still holds.
        RowOutcome(3, "ss-bbbbbbbb", "new", message="new row; a push will submit it"),
        RowOutcome(4, "ss-cccccccc", "refresh", "t2", "Failed", "1 of 1 placements failed",
                   attention=True, failed=True),
        requests=3,
    )
    merged = combine([first, second])
    assert merged.mode == "sync" and merged.spent == 5 and merged.api_requests == 9
    assert [(o.row, o.action) for o in merged.rows] == [(2, "refresh"), (3, "wait"), (4, "refresh")]
    assert int(merged.exit_code) == 1
    assert totals([first, second]).to_dict() == {
        "runs": 2, "spent": 5, "submitted": 2, "failed": 1, "problems": 2, "api_requests": 9,
    }


def test_one_run_is_its_own_total():
    only = _report("push", 2, RowOutcome(2, "ss-aaaaaaaa", "submitted", "t1"))
    assert combine([only]) is only
    assert totals([only]).submitted == 1 and totals([only]).problems == 0
