"""Approval and monthly budgets, through real cycles."""

from __future__ import annotations

from .harness import Agency, column, rows, xlsx_set, xlsx_values


def test_a_costly_row_waits_for_approval_then_is_sent_once(agency: Agency):
    path = agency.xlsx("a.xlsx", rows(1, targets="372, 373, 374") + rows(1, start=2, targets="372")[1:])
    agency.configure([{"sheet": path, "account": "acme", "approve_above": 2}])
    agency.cycle()
    notes = column(xlsx_values(path), "notes")
    assert notes[0] == "Needs approval: 3 credits - tick approved to send"
    assert column(xlsx_values(path), "task_id")[1]  # the cheap row went out
    assert len(agency.tasks("acme")) == 1
    agency.minutes(1)
    xlsx_set(path, 2, "approved", True)
    agency.cycle()
    assert column(xlsx_values(path), "task_id")[0]
    assert column(xlsx_values(path), "notes")[0] == ""
    assert len(agency.tasks("acme")) == 2
    for _ in range(3):
        agency.minutes(1)
        agency.cycle()
    assert len(agency.tasks("acme")) == 2


def test_an_article_changed_after_approval_needs_approval_again(agency: Agency):
    path = agency.xlsx("a.xlsx", rows(2, targets="372, 373, 374"))
    # The budget lets only the first row through, so the second waits after its approval.
    agency.configure([{"sheet": path, "account": "acme", "approve_above": 2}], acme={"monthly_budget": 3})
    xlsx_set(path, 2, "approved", True)
    xlsx_set(path, 3, "approved", True)
    agency.cycle()
    assert len(agency.tasks("acme")) == 1
    assert column(xlsx_values(path), "notes")[1].startswith("Waiting for credits: needs 3, 0 left under the monthly budget")
    agency.minutes(1)
    xlsx_set(path, 3, "article_title", "A rewritten article about gardening in winter")
    agency.cycle()
    assert column(xlsx_values(path), "notes")[1] == (
        "Needs approval again: the article changed after it was approved (3 credits) - untick approved, "
        "then tick it again to send"
    )
    agency.minutes(1)
    xlsx_set(path, 3, "approved", False)
    agency.cycle()
    assert column(xlsx_values(path), "notes")[1] == "Needs approval: 3 credits - tick approved to send"
    agency.minutes(1)
    xlsx_set(path, 3, "approved", True)
    agency.cycle()
    # Approved again, but the budget is still spent: it waits for credits, not for approval.
    assert column(xlsx_values(path), "notes")[1].startswith("Waiting for credits")
    assert len(agency.tasks("acme")) == 1


def test_monthly_budget_is_a_ledger_per_client_and_month(agency: Agency):
    one = agency.xlsx("one.xlsx", rows(2, targets="372, 373"))
    two = agency.xlsx("two.xlsx", rows(2, start=5, targets="372, 373"))
    agency.configure([
        {"sheet": one, "account": "acme", "client": "Acme Ltd"},
        {"sheet": two, "account": "acme", "client": "Acme Shop"},
    ], acme={"monthly_budget": 6})  # fmt: skip
    agency.cycle()
    assert len(agency.tasks("acme")) == 3  # 2 + 2 + 2 credits; the fourth row waits
    month = "2026-11"
    assert agency.state.spent("acme", month) == 6
    assert agency.state.spent_by_client("acme", month) == {"Acme Ltd": 4, "Acme Shop": 2}
    waiting = column(xlsx_values(two), "notes")[1]
    assert "needs 2, 0 left under the monthly budget of account acme (6 credits for 2026-11)" in waiting
    assert "raise monthly_budget" in waiting
    assert any("monthly budget reached" in t for t, _ in agency.sent)
    # A restart (a new state connection on the same file) remembers what was spent.
    agency.configure(
        [{"sheet": one, "account": "acme", "client": "Acme Ltd"}, {"sheet": two, "account": "acme", "client": "Acme Shop"}],
        acme={"monthly_budget": 6},
    )
    agency.minutes(61)
    agency.cycle()
    assert len(agency.tasks("acme")) == 3
    # December: a new month, a new budget; the waiting row goes out.
    agency.minutes(60 * 24 * 3)
    agency.cycle()
    assert len(agency.tasks("acme")) == 4
    assert agency.state.spent("acme", "2026-12") == 2
