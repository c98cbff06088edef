"""Every status against the emulator's own result pages, over a real socket, through a pull."""

from __future__ import annotations

import datetime as dt

import pytest

from sheetsync import columns as C
from sheetsync.emulator import pages
from sheetsync.verify import History, Policy, Verifier

from ..sync.helpers import World, backend_handle, column, sheet

# One enabled site per variant.
SITES = {
    372: pages.CLEAN, 373: pages.NOFOLLOW, 374: pages.SPONSORED, 377: pages.NOINDEX,
    378: pages.ROBOTS, 380: pages.CANONICAL, 382: pages.REMOVED_LATER, 384: pages.GONE_LATER,
    385: pages.REDIRECT,
}  # fmt: skip
FIRST = {
    pages.CLEAN: ("Live", ""),
    pages.NOFOLLOW: ("Nofollow", "rel=nofollow"),
    pages.SPONSORED: ("Nofollow", "rel=sponsored"),
    pages.NOINDEX: ("Noindex", "meta robots says noindex"),
    pages.ROBOTS: ("Blocked by robots.txt", "for Googlebot"),
    pages.CANONICAL: ("Canonical elsewhere", "canonical is http://127.0.0.1:"),
    pages.REMOVED_LATER: ("Live", ""),
    pages.GONE_LATER: ("Live", ""),
    pages.REDIRECT: ("Redirected away", "Redirects to https://"),
}


class Pulls:
    """A sheet pushed to the emulator, pulled with link checks on the emulator's fake clock."""

    def __init__(self, tmp_path, rows: int = 2):
        self.world = World(tmp_path)
        self.world.emu.pages.force = dict(SITES)
        self.backend = backend_handle("xlsx", tmp_path)
        targets = ", ".join(str(s) for s in SITES)
        self.backend.seed(sheet(rows, targets=targets))
        self.history = History(tmp_path / "journal.sqlite3")
        self.world.run(self.backend.open(), "push")

    def pull(self, **kw):
        policy = Policy(pause=0.0, private="loopback")
        self.verifier = Verifier(self.history, policy, check_all=kw.pop("check_all", False))
        return self.world.run(self.backend.open(), "pull", after_pull=self.verifier, **kw)

    def placements(self) -> list[dict[str, str]]:
        tab = self.backend.values("Placements")
        header = [str(h) for h in tab[0]]
        padded = [list(r) + [None] * (len(header) - len(r)) for r in tab[1:]]
        return [{h: _text(v) for h, v in zip(header, r)} for r in padded]

    def close(self):
        self.history.close()
        self.world.close()


def _text(value) -> str:
    """A Placements cell as sheetsync wrote it (xlsx holds its UTC times as date-time cells)."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%MZ")
    return "" if value is None else str(value)


@pytest.fixture
def pulls(tmp_path):
    p = Pulls(tmp_path)
    yield p
    p.close()


def test_every_variant_gets_its_status_on_the_first_check(pulls):
    report = pulls.pull()
    assert all(r["link_status"] == "Not published yet" for r in pulls.placements())
    pulls.world.clock.advance(2 * 24 * 3600)
    report = pulls.pull()
    lines = [r for r in pulls.placements() if r["status"] == "Published"]
    assert len(lines) >= 12, "seed 1 publishes most placements"
    covered = set()
    for line in lines:
        kind = SITES[int(line["site_id"])]
        status, note = FIRST[kind]
        assert line["link_status"] == status, (kind, line)
        assert note in line["check_note"], (kind, line)
        assert line["checked_at"] == "2026-11-30T09:00Z"
        covered.add(kind)
        if status == "Live":
            assert line["live_since"] == "2026-11-30T09:00Z"
            assert line["anchor_text"].startswith("https://example.com/garden/")
    assert covered == set(SITES.values())
    for line in pulls.placements():
        if line["status"] == "Failed":
            assert line["link_status"] == ""
    # Problems need a person; the redirect is a first miss, not yet a loss.
    assert report.exit_code == 1
    health = column(pulls.backend.values(), C.LINK_HEALTH)
    assert all("live" in h and "nofollow" in h and "redirected away" in h for h in health), health
    verify = report.to_dict()["verify"]
    assert verify["newly_lost"] == 0 and verify["checked"] == len(lines)


def test_a_removed_link_and_a_page_gone_later_are_lost_after_two_misses_an_hour_apart(pulls):
    pulls.world.clock.advance(2 * 24 * 3600)
    pulls.pull()
    # Past every later change (3 to 20 days after publishing), at a scheduled check (+30 d).
    pulls.world.clock.advance(30 * 24 * 3600)
    first = pulls.pull()
    by_kind = {}
    for line in pulls.placements():
        if line["status"] == "Published":
            by_kind.setdefault(SITES[int(line["site_id"])], []).append(line)
    for line in by_kind[pages.REMOVED_LATER]:
        assert line["link_status"] == "Link missing", line
        assert "Link to https://example.com/garden/" in line["check_note"]
        assert "Not a loss until a second check" in line["check_note"]
        assert line["lost_since"] == ""
    for line in by_kind[pages.GONE_LATER]:
        assert line["link_status"] == "Page gone" and line["check_note"].startswith("The page answers 4")
    # The redirect's second miss came now, long after its first: a confirmed loss.
    redirects = len(by_kind[pages.REDIRECT])
    assert all(line["link_status"] == "Lost" for line in by_kind[pages.REDIRECT])
    assert first.to_dict()["verify"]["newly_lost"] == redirects

    # Half an hour later nothing is due; an hour after the miss the second check confirms it.
    pulls.world.clock.advance(1800)
    assert pulls.pull().to_dict()["verify"]["checked"] == 0
    pulls.world.clock.advance(1800)
    confirmed = pulls.pull()
    lost = [line for line in pulls.placements() if line["link_status"] == "Lost"]
    kinds = {SITES[int(line["site_id"])] for line in lost}
    assert kinds == {pages.REMOVED_LATER, pages.GONE_LATER, pages.REDIRECT}
    assert all(line["lost_since"] for line in lost)
    assert confirmed.exit_code == 1 and confirmed.to_dict()["verify"]["newly_lost"] == len(lost) - redirects
    health = column(pulls.backend.values(), C.LINK_HEALTH)
    assert all("lost since 2026-" in h for h in health), health

    # The site puts the link back: Live again, with a note.
    pulls.world.emu.pages.force[382] = pages.CLEAN
    pulls.world.clock.advance(24 * 3600)
    back = pulls.pull(check_all=True)
    line = next(line for line in pulls.placements() if line["site_id"] == "382" and line["status"] == "Published")
    assert line["link_status"] == "Live" and line["check_note"].startswith("Back on ")
    assert line["lost_since"] == "" and line["live_since"]
    assert back.to_dict()["verify"]["recovered"] >= 1


def test_nothing_is_checked_again_before_it_is_due(pulls):
    pulls.world.clock.advance(2 * 24 * 3600)
    pulls.pull()
    pulls.world.clock.advance(24 * 3600)  # +1 day: only the redirect's confirmation is due
    report = pulls.pull()
    checked = report.to_dict()["verify"]["placements"]
    assert {SITES[p["site_id"]] for p in checked} == {pages.REDIRECT}
    pulls.world.clock.advance(24 * 3600)  # +2 days: the regular second check
    assert pulls.pull().to_dict()["verify"]["checked"] > len(checked)


def test_pages_vary_by_seed_in_the_documented_shares():
    drawn = [pages.variant(1, f"task{i}", 372 + i % 40) for i in range(4000)]
    for kind, share in pages.SHARES:
        assert abs(drawn.count(kind) / 4000 - share) < 0.015, kind
    assert drawn == [pages.variant(1, f"task{i}", 372 + i % 40) for i in range(4000)]
    assert drawn != [pages.variant(2, f"task{i}", 372 + i % 40) for i in range(4000)]


def test_pages_can_be_served_on_one_host_name_per_site(tmp_path):
    import requests

    world = World(tmp_path)
    try:
        world.emu.pages.hosts = True
        world.emu.pages.variety = False
        backend = backend_handle("xlsx", tmp_path)
        backend.seed(sheet(1, targets="372, 373"))
        world.run(backend.open(), "push")
        world.clock.advance(2 * 24 * 3600)
        with History(tmp_path / "h.sqlite3") as history:
            verifier = Verifier(history, Policy(pause=0.0, private="loopback"))
            world.run(backend.open(), "pull", after_pull=verifier)
        urls = [o.url for o in verifier.checked]
        assert urls and all(".localhost:" in u for u in urls)
        assert {o.status for o in verifier.checked} == {"Live"}
        assert len(world.emu.pages.ports) == len(urls)  # one host each
        port = world.server.port
        page = requests.get(f"http://127.0.0.1:{port}/robots.txt", headers={"Host": f"greenleafjournal.com.localhost:{port}"})
        assert "User-agent: Googlebot" in page.text
    finally:
        world.close()


def test_the_standalone_emulator_takes_page_latency_and_site_hosts():
    import time

    import requests

    from sheetsync.emulator.standalone import StandaloneOptions, build

    emu = build(StandaloneOptions(port=0, page_latency=0.2, site_hosts=True))
    assert emu.pages.latency == 0.2 and emu.pages.hosts
    with emu.serve(port=0) as server:
        started = time.monotonic()
        assert requests.get(server.root_url + "robots.txt", timeout=5).status_code == 200
        assert time.monotonic() - started >= 0.2
        started = time.monotonic()
        requests.get(server.base_url + "health-check", timeout=5)
        assert time.monotonic() - started < 0.2  # the API itself answers at once
