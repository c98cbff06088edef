"""The planning seams a caller outside the core uses: a gate that holds rows, a spending cap."""

from __future__ import annotations

from sheetsync import plan as P
from sheetsync.sheet import map_header, read_rows
from sheetsync.tables.base import Grid

from .test_plan import HEADER, build, row, rows


def test_a_gate_holds_a_row_with_its_reason_before_the_budget_counts_it():
    seen = []

    def gate(r, key, cost):
        seen.append((r.row, key, cost))
        return "Needs approval: 2 credits - tick approved to send" if r.row == 2 else ""

    plan = build(rows(row(1), row(2)), balance=2, gate=gate)
    first, second = plan.actions
    assert isinstance(first, P.Hold) and first.note == "Needs approval: 2 credits - tick approved to send"
    # The held row took nothing from the 2 credits: the next row is sent.
    assert isinstance(second, P.Submit)
    assert [(r, c) for r, _, c in seen] == [(2, 2), (3, 2)]


def test_a_spend_limit_caps_like_max_credits_and_its_advice_is_the_note():
    limit = P.SpendLimit(3, "Acme Ltd's budget for 2026-11 (10 credits)", "ask the owner to raise it")
    plan = build(rows(row(1), row(2)), balance=100, spend_limit=limit)
    submit, wait = plan.actions
    assert isinstance(submit, P.Submit)
    assert isinstance(wait, P.Wait)
    assert wait.note == (
        "Waiting for credits: needs 2, 1 left under Acme Ltd's budget for 2026-11 (10 credits); "
        "ask the owner to raise it"
    )


def test_the_tighter_of_balance_and_spend_limit_wins():
    limit = P.SpendLimit(50, "the budget", "raise it")
    plan = build(rows(row(1), row(2)), balance=3, spend_limit=limit)
    assert isinstance(plan.actions[1], P.Wait) and plan.actions[1].limit == "balance"


def test_the_approved_column_is_read_and_is_not_ready():
    header = (*HEADER, "Approved")
    grid = Grid(header=header, rows=(row(1) + (True,), row(2) + ("",)))
    first, second = read_rows(grid, map_header(grid.header))
    assert (first.approved, second.approved) == (True, False)
    assert first.ready and second.ready
    assert read_rows(Grid(header=HEADER, rows=(row(1),)), map_header(HEADER))[0].approved is False
