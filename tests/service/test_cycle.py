"""The cycle end to end: xlsx and Google sheets, two emulator accounts, one injected clock."""

from __future__ import annotations

from .harness import Agency, column, rows, xlsx_set, xlsx_values


def _agency_of_four(agency: Agency):
    a1 = agency.xlsx("acme-1.xlsx", rows(2))
    a2 = agency.xlsx("globex-1.xlsx", rows(2, start=10, ready=False))
    g1 = agency.google(rows(2, start=20), "Acme queue")
    g2 = agency.google(rows(2, start=30, ready=False), "Globex queue")
    agency.configure([
        {"sheet": a1, "account": "acme", "client": "Acme Ltd"},
        {"sheet": a2, "account": "globex", "client": "Globex"},
        {"sheet": g1, "account": "acme", "client": "Acme Ltd"},
        {"sheet": g2, "account": "globex", "client": "Globex"},
    ])  # fmt: skip
    return a1, a2, g1, g2


def test_first_cycle_sends_ready_rows_then_idle_cycles_read_nothing(agency):
    a1, a2, g1, g2 = _agency_of_four(agency)
    first = agency.cycle()
    assert sorted(r.reason for r in first.results) == ["first read"] * 4
    assert len(agency.tasks("acme")) == 4 and agency.tasks("globex") == []
    assert all(column(xlsx_values(a1), "task_id"))
    assert all(column(agency.gvalues(g1), "task_id"))

    for _ in range(5):  # five idle minutes: the feed says only "our own writes", xlsx files unchanged
        agency.minutes(1)
        g_before, b_before = agency.google_requests(), agency.blb_requests()
        report = agency.cycle()
        assert report.ran == []
        assert agency.google_requests() - g_before == 1  # one changes.list for the one Google user
        assert agency.blb_requests() - b_before == 0


def test_a_person_ticks_ready_and_the_row_is_sent_in_the_next_cycle(agency):
    a1, a2, g1, g2 = _agency_of_four(agency)
    agency.cycle()
    agency.minutes(1)
    xlsx_set(a2, 2, "ready", True)
    agency.gset(g2, 3, "ready", True)
    report = agency.cycle()
    assert sorted(report.ran) == sorted([agency.config.sheets[1].id, agency.config.sheets[3].id])
    assert {r.reason for r in report.results} == {"changed"}
    names = sorted(t["name"] for t in agency.tasks("globex"))
    assert len(names) == 2
    keys = column(xlsx_values(a2), "row_key")[:1] + column(agency.gvalues(g2), "row_key")[1:]
    assert sorted(n.split()[-1] for n in names) == sorted(keys)
    # Nothing is sent twice in later cycles, whatever else happens.
    for _ in range(3):
        agency.minutes(1)
        agency.cycle()
    assert len(agency.tasks("globex")) == 2 and len(agency.tasks("acme")) == 4


def test_unfinished_tasks_are_refreshed_from_one_task_list_per_account(agency):
    a1, a2, g1, g2 = _agency_of_four(agency)
    agency.cycle()
    log_before = len(agency.emu.request_log)
    for _ in range(9):
        agency.minutes(1)
        agency.cycle()
    assert len(agency.emu.request_log) == log_before  # nothing due before ten minutes
    agency.minutes(1)
    report = agency.cycle()
    new = agency.emu.request_log[log_before:]
    # One task list for acme (two sheets with unfinished tasks); globex has none unfinished.
    assert [e for _, e in new].count("tasks") == 1
    assert {r.reason for r in report.results} <= {"tasks moved"}
    # A day later everything is published; the refresh writes it back; then refreshes stop.
    agency.minutes(60 * 26)
    agency.cycle()
    agency.minutes(10)
    agency.cycle()
    assert set(column(xlsx_values(a1), "status")) == {"Published"}
    assert set(column(agency.gvalues(g1), "status")) == {"Published"}
    before = len(agency.emu.request_log)
    for _ in range(3):
        agency.minutes(10)
        agency.cycle()
    # Only the balance, once per account per refresh interval (status page, low-credit digest).
    assert [e for _, e in agency.emu.request_log[before:]] == ["credits"] * 6


def test_a_sheet_is_written_only_when_something_in_it_changed(agency):
    a1, a2, g1, g2 = _agency_of_four(agency)
    agency.cycle()
    writes = agency.sheets.writes
    agency.minutes(61)  # the hourly backstop reads every sheet...
    report = agency.cycle()
    assert "full pass" in {r.reason for r in report.results} or "tasks moved" in {r.reason for r in report.results}
    agency.minutes(1)
    writes = agency.sheets.writes
    agency.gset(g2, 2, "comment", "call the client first")  # a person's own column
    assert agency.config.sheets[3].id in agency.cycle().ran
    assert agency.sheets.writes == writes  # ...and a read that finds nothing new writes nothing


def test_one_unshared_sheet_backs_off_and_the_others_carry_on(agency):
    a1, a2, g1, g2 = _agency_of_four(agency)
    agency.cycle()
    agency.drive.unshare(g1)
    agency.minutes(1)
    xlsx_set(a2, 2, "ready", True)
    report = agency.cycle()
    by_sheet = {r.sheet: r for r in report.results}
    g1_id = agency.config.sheets[2].id
    assert not by_sheet[g1_id].ok and "share" in by_sheet[g1_id].problem.lower()
    assert by_sheet[agency.config.sheets[1].id].ok
    assert len(agency.tasks("globex")) == 1
    state = agency.state.sheet(g1_id)
    assert state.failures == 1 and state.retry_at is not None
    agency.minutes(0.5)
    assert g1_id in agency.cycle().skipped  # backing off
    agency.minutes(10)
    assert agency.state.sheet(g1_id).failures in (1, 2)
    # The digest says the sheet cannot be read, once.
    titles = [t for t, _ in agency.sent]
    assert sum("cannot be read" in t for t in titles) == 1
    agency.sheets.book(g1).shared = True
    agency.minutes(30)
    agency.cycle()
    assert agency.state.sheet(g1_id).problem == ""


def test_history_tab_one_line_per_run_that_did_something_newest_first(agency):
    a1 = agency.xlsx("h.xlsx", rows(1))
    agency.configure([{"sheet": a1, "account": "acme"}], history_lines=2)
    agency.cycle()
    for i in range(3):
        agency.minutes(1)
        wb_rows = xlsx_values(a1)
        xlsx_set(a1, len(wb_rows) + 1, "article_title", f"Another article number {i} about gardening")
        n = len(wb_rows) + 1
        for h, v in zip(("article_body", "article_urls", "target_website_ids", "ready"),
                        ("<p>Body.</p>", "https://example.com/x", "372", True)):  # fmt: skip
            xlsx_set(a1, n, h, v)
        agency.cycle()
    history = xlsx_values(a1, "History")
    assert history[0] == ["time", "submitted", "spent", "refreshed", "failed", "lost links", "waiting", "problems"]
    assert len(history) == 3  # capped at 2 lines
    assert history[1][0] >= history[2][0]
    assert all(int(r[1]) == 1 for r in history[1:])


def test_a_finished_sandbox_sheet_is_no_longer_refreshed(agency):
    path = agency.xlsx("rehearsal.xlsx", rows(1))
    agency.configure([{"sheet": path, "account": "acme", "sandbox": True}])
    agency.cycle()
    agency.minutes(60 * 26)  # the hourly full pass reads it once everything is done
    agency.cycle()
    assert column(xlsx_values(path), "status") == ["Published (sandbox)"]
    assert not agency.state.sheet(agency.config.sheets[0].id).unfinished
    before = [e for _, e in agency.emu.request_log].count("tasks")
    for _ in range(3):
        agency.minutes(10)
        agency.cycle()
    assert [e for _, e in agency.emu.request_log].count("tasks") == before


def test_lost_links_from_the_post_pull_step_reach_history_and_the_digest(agency):
    from dataclasses import replace

    from sheetsync.hooks import PullExtras

    path = agency.xlsx("links.xlsx", rows(1))
    agency.configure([{"sheet": path, "account": "acme", "client": "Acme Ltd"}])
    agency.cycle()
    calls = []

    def checker(tasks, now):
        # What the link checker reports when a published page dropped its link.
        calls.append(len(tasks))
        return PullExtras(report={"verify": {"checked": len(tasks), "newly_lost": len(tasks)}})

    world = replace(agency.world(), after_pull=lambda spec: checker)
    agency.minutes(61)
    agency.cycle(world)
    assert calls == [1]
    history = xlsx_values(path, "History")
    assert history[1][history[0].index("lost links")] in (1, "1")
    assert any(t == "sheetsync: Acme Ltd: links lost" for t, _ in agency.sent)
