"""The journal on a real SQLite file: every record survives closing and reopening."""

from __future__ import annotations

import datetime as dt

from sheetsync.journal import Entry, Journal, Seen
from sheetsync.models import Placement, Status

T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.timezone.utc)


def test_submission_states_persist_across_reopening(tmp_path):
    path = tmp_path / "journal.sqlite3"
    with Journal(path) as j:
        j.record_intent("sheet-a", Entry("ss-aaaaaaaa", "live", "", name="N ss-aaaaaaaa", fingerprint="f1"))
        j.record_intent("sheet-a", Entry("ss-bbbbbbbb", "live", ""))
        j.record_intent("sheet-a", Entry("ss-cccccccc", "live", ""))
        j.record_intent("sheet-b", Entry("ss-aaaaaaaa", "sandbox", ""))
        j.record_submitted("sheet-a", "ss-aaaaaaaa", "live", "t1")
        j.record_unknown("sheet-a", "ss-bbbbbbbb", "live")
        j.record_unknown("sheet-a", "ss-aaaaaaaa", "live")  # never downgrades a known task id
        j.forget_intent("sheet-a", "ss-cccccccc", "live")
    with Journal(path) as j:
        a = j.snapshot("sheet-a")
        assert a.entries[("ss-aaaaaaaa", "live")] == Entry("ss-aaaaaaaa", "live", "submitted", "t1", "N ss-aaaaaaaa", "f1")
        assert a.entries[("ss-bbbbbbbb", "live")].state == "unknown"
        assert ("ss-cccccccc", "live") not in a.entries
        assert [e.row_key for e in a.by_fingerprint("f1", "live")] == ["ss-aaaaaaaa"]
        assert list(j.snapshot("sheet-b").entries) == [("ss-aaaaaaaa", "sandbox")]


def test_seen_tasks_keep_placements_and_state_values(tmp_path):
    placements = (
        Placement(372, Status.PUBLISHED, "https://x.example/a", T0, T0, T0 + dt.timedelta(hours=1)),
        Placement(373, Status.QUEUED, None, None),
    )
    with Journal(tmp_path / "j.sqlite3") as j:
        j.remember_seen("s", [Seen("t1", T0, "Publishing", placements), Seen("t2", None, "Queued", None)])
        j.remember_seen("s", [Seen("t1", T0 + dt.timedelta(minutes=1), "Published", None)])
        j.set_state("s", "placements_tab", "abc")
        snap = j.snapshot("s")
    assert snap.seen["t1"] == Seen("t1", T0 + dt.timedelta(minutes=1), "Published", placements)
    assert snap.seen["t2"] == Seen("t2", None, "Queued", None)
    assert snap.state == {"placements_tab": "abc"}


def test_default_journal_lives_in_the_user_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    with Journal.default() as j:
        assert j.path.startswith(str(tmp_path / "sheetsync"))
        assert "Journal(" in repr(j)
