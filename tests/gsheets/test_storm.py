"""A sync through a storm: Google throttling and failing while people edit the sheet.

A 300-row Google sheet gets 60 new rows. The fake Sheets API enforces 60 reads and 60 writes a
minute and fails a fifth of all requests (429, an HTML 502 page, or a connection reset after
the write was applied) while a person inserts, deletes and sorts rows and types into cells
every few requests, retries included. Everything waits on one injected clock shared with the
BacklinkBase emulator (over a real socket), so the whole storm takes a few seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
from click.testing import CliRunner

from sheetsync import columns as C
from sheetsync.cli import Runtime, cli
from sheetsync.emulator import Emulator, FakeClock
from sheetsync.models import parse_status
from sheetsync.tables.gsheets import RetryPolicy, open_google_sheet
from sheetsync.testing.fake_sheets import FakeSheets, Fault

HEADER = ["article_title", "article_body", "article_urls", "target_website_ids", "ready", "comments"]
TOKEN = "storm-token-5d1e0c3a9b"
BODY = "A short body about the subject of this article, written for the storm test."


def article(i: int) -> list[object]:
    return [f"Article number {i} about city gardens", BODY, f"https://example.com/a/{i}", "388", True, f"note {i}"]


class Person:
    """Someone editing the sheet between requests: insert, delete, sort, type into a cell."""

    def __init__(self, fake: FakeSheets, sheet, every: int = 3, seed: int = 11):
        self.fake, self.sheet, self.every = fake, sheet, every
        self.random = random.Random(seed)
        self.requests = 0
        self.inserted: list[str] = []  # titles of the rows this person added and still has
        self.typed: dict[str, str] = {}  # title -> what the person typed into its comments cell
        self.edits = 0

    def __call__(self) -> None:
        self.requests += 1
        if self.requests % self.every:
            return
        self.edits += 1
        # Another program on the same Google account (a dashboard polling the sheet) shares
        # the per-minute quota.
        self.fake.spend(reads=4, writes=2)
        sheet = self.sheet
        used = sheet.used()[0]
        titles = {r: sheet.cell(r, 1).value for r in range(2, used + 1)}
        action = self.random.choice(["insert", "delete", "sort", "type"])
        if action == "insert":
            title = f"Person row {self.edits}"
            sheet.insert_row(self.random.randint(2, used + 1), [title, "", "", "", "", "draft"])
            self.inserted.append(title)
        elif action == "delete" and self.inserted:
            # People delete their own drafts; the articles stay (so the test can check them all).
            title = self.inserted.pop(self.random.randrange(len(self.inserted)))
            sheet.delete_row(next(r for r, t in titles.items() if t == title))
        elif action == "sort":
            sheet.sort_rows(self.random.choice([1, 6]), reverse=self.random.random() < 0.5)
        else:
            row = self.random.choice([r for r, t in titles.items() if t and t.startswith("Article")])
            text = f"checked by a person ({self.edits})"
            sheet.set_cell(row, 6, text)
            self.typed[str(titles[row])] = text


@pytest.mark.slow
def test_sixty_new_rows_through_a_storm_land_once_each_on_their_own_rows(tmp_path):
    # Today (the sheet's dates default to it), at a fixed time: the quota's minutes fall alike on every run.
    today = dt.datetime.now(dt.timezone.utc).date()
    clock = FakeClock(start=dt.datetime(today.year, today.month, today.day, 9, 0, 10, tzinfo=dt.timezone.utc))
    emulator = Emulator(db=":memory:", clock=clock, rate_limit=0, seed=1)
    emulator.add_account(TOKEN, 1000)
    fake = FakeSheets(clock=clock, seed=5)
    sid = fake.create_spreadsheet("Link queue", ["Articles", "Notes"], rows=320, cols=20)
    sheet = fake.sheet(sid, "Articles")
    sheet.set_values([HEADER] + [article(i) for i in range(240)])
    fake.sheet(sid, "Notes").set_values([["kept by people"]])
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)

    def opener(spec, worksheet, credentials, env, force=False):
        return open_google_sheet(spec, worksheet, client=fake.client(), retry=RetryPolicy(sleep=sleep))

    with emulator.serve(host="127.0.0.1", port=0) as server:
        env = {"BACKLINKBASE_API_TOKEN": TOKEN, "BACKLINKBASE_API_URL": server.base_url,
               "SHEETSYNC_RATE_LIMIT": "0", "SHEETSYNC_STATE_DIR": str(tmp_path / "state"),
               # Task ids written back every 5 submissions: many writes, so the quota bites.
               "SHEETSYNC_BATCH_SIZE": "5"}
        runtime = Runtime(env=env, folder=tmp_path, interactive=lambda: False, sleep=sleep,
                          stderr_is_terminal=lambda: False, open_sheet=opener)

        def sync(*extra: str) -> dict:
            result = CliRunner().invoke(cli, ["sync", sid, "--worksheet", "Articles", "--yes", "--json", *extra],
                                        obj=runtime, catch_exceptions=False)
            assert result.exit_code in (0, 1), result.output
            return json.loads(result.stdout)

        sync()  # calm: the first 240 rows are synced before the storm
        assert len(emulator.task_rows(TOKEN)) == 240

        # 60 new rows arrive; then Google gets busy and a person starts editing.
        sheet.set_values([article(i) for i in range(240, 300)], start_row=242)
        original = {row[0]: (row + [None] * len(HEADER))[: len(HEADER)] for row in sheet.values()[1:]}
        person = Person(fake, sheet, every=2)
        fake.set_quota(reads=60, writes=60)
        fake.latency = 0.2
        fake.storm(0.2, [Fault(429), Fault(502, "html"), Fault(how="reset")], seed=3)
        fake.between_requests(person)
        fake.reset_counts()
        runs = 0
        while runs < 8:
            runs += 1
            sync()
            header = sheet.values()[0]
            ids = [row[header.index(C.TASK_ID)] if len(row) > header.index(C.TASK_ID) else None
                   for row in sheet.values()[1:] if row and str(row[0]).startswith("Article")]
            if all(ids):
                break
        answers = [r.status for r in fake.log]
        throttled = fake.throttled
        fake.calm()
        fake.latency = 0
        sync()  # a last calm pull: statuses as the emulator has them now

    values = sheet.values()
    header = values[0]
    at = {name: header.index(name) for name in header}
    rows = [row + [None] * (len(header) - len(row)) for row in values[1:]]
    titles = [row[0] for row in rows]
    tasks = {t["id"]: t for t in emulator.task_rows(TOKEN)}

    # No row was deleted (the person's own drafts aside) and none appears twice.
    assert sorted(t for t in titles if t.startswith("Article")) == sorted(original)
    assert sorted(t for t in titles if t.startswith("Person")) == sorted(person.inserted)
    # The emulator holds exactly one task per article: nothing was sent twice.
    assert len(tasks) == 300
    assert len({t["name"].split()[-1] for t in tasks.values()}) == 300
    for row in rows:
        if not row[0].startswith("Article"):
            continue
        task = tasks[row[at[C.TASK_ID]]]
        if task["name"].split()[-1] != row[at[C.ROW_KEY]]:
            print("ROW", row)
            print("TASK", task["name"], task["article_title"], task["id"])
            print("OTHER", [r for r in rows if r[at[C.ROW_KEY]] == task["name"].split()[-1] or r[at[C.TASK_ID]] == task["id"]])
        # Each row holds its own key, task id and status.
        assert task["name"].split()[-1] == row[at[C.ROW_KEY]], row[0]
        assert task["article_title"] == row[0]
        assert row[at[C.STATUS]] == str(parse_status(task["status"])), row[0]
        # Nothing outside sheetsync's columns changed, except what the person typed.
        mine = [row[at[h]] for h in HEADER]
        expected = list(original[row[0]])
        expected[5] = person.typed.get(row[0], expected[5])
        assert mine == expected, row[0]
    assert fake.sheet(sid, "Notes").values() == [["kept by people"]]
    # The storm was real: many requests failed, the quota was hit, people kept editing.
    failed = sum(1 for a in answers if a != 200)
    assert len(answers) >= 80 and failed >= len(answers) // 6 and person.edits >= 40, (len(answers), failed, person.edits)
    assert answers.count(0) >= 5 and answers.count(502) >= 5 and throttled >= 5
    assert runs <= 4
