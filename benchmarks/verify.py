"""Wall time and peak memory of the link checker, next to a plain sequential loop.

Run: .venv/bin/python benchmarks/verify.py [--placements 1000] [--hosts 40] [--latency 0.05]
     [--concurrency 8,16] [--pause 0.2] [--repeat 2] [--no-memory]

The BacklinkBase emulator serves every result page over a real socket, one host name per
site (`<domain>.localhost`, all on one port) and waits `--latency` seconds before each
answer (pages and robots.txt alike). Published placements are spread evenly over `--hosts`
sites (the catalogue's three disabled sites get theirs written straight into the emulator's
store, as if they had been disabled after publishing). Both sides then check every placement:

- checker: `Verifier(check_all=True)` as `sheetsync verify --all` runs it: one request at a
  time per host with `--pause` between two, at most `--concurrency` at once, robots.txt once
  per host, each check recorded in a SQLite history file.
- loop: `requests.get` for each page one after the other (and robots.txt once per host),
  then the same `classify`, so both sides do the same work and differ only in how they fetch.

Both sides run in turn, `--repeat` times, and the best time of each is kept, so that a busy
machine slows them alike. The server counts, per host, the most requests it answered at once (its dev server closes
every connection after one answer, so that is also the most connections at once). Peak
memory is measured in separate runs under tracemalloc (which slows Python down), for a
quarter of the placements and for all of them, to show whether it grows with their number.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import multiprocessing
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from sheetsync import models  # noqa: E402
from sheetsync.client import Client  # noqa: E402
from sheetsync.emulator import Emulator, FakeClock  # noqa: E402
from sheetsync.emulator.catalogue import DISABLED_IDS, ENABLED_IDS, SITES  # noqa: E402
from sheetsync.emulator.progress import PUBLISHED  # noqa: E402
from sheetsync.hooks import PulledTask  # noqa: E402
from sheetsync.sheet import ArticleRow  # noqa: E402
from sheetsync.verify import History, Policy, Verifier  # noqa: E402
from sheetsync.verify.classify import RobotsTxt, classify  # noqa: E402
from sheetsync.verify.fetch import USER_AGENT, Fetched  # noqa: E402

TOKEN = "bench-token-not-secret"
START = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone.utc)
MB = 1024 * 1024


def build(emu: Emulator, client: Client, placements: int, hosts: int) -> list[PulledTask]:
    """Published placements spread evenly over `hosts` sites, as the pull would hand them over."""
    site_ids = [s.id for s in SITES][:hosts]
    per_host = -(-placements // hosts)
    enabled = [i for i in site_ids if i in ENABLED_IDS]
    tasks = int(per_host * 1.3) + 2  # about a tenth of placements fail
    for n in range(tasks):
        client.create_task(
            models.NewTask(
                name=f"Bench article {n} bench{n:05d}", article_title=f"Benchmark article number {n} about gardens",
                article_body="<p>Compost, mulch and patience.</p>", article_urls=(f"https://example.com/garden/{n}",),
                target_website_ids=tuple(enabled), schedule_from=START.date(),
                schedule_till=START.date() + dt.timedelta(days=1), sandbox=False,
            )  # fmt: skip
        )
    disabled = [i for i in site_ids if i in DISABLED_IDS]
    if disabled:
        with emu.store.transaction() as db:
            for row in db.execute("SELECT * FROM placements WHERE position = 0").fetchall():
                for k, site_id in enumerate(disabled, start=1):
                    db.execute(
                        "INSERT INTO placements(task_id, site_id, position, schedule_at, finish_at, outcome, slug)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (row["task_id"], site_id, 100 + k, row["schedule_at"], row["finish_at"], PUBLISHED, row["slug"]),
                    )  # fmt: skip
    emu.base_clock.advance(5 * 24 * 3600)
    taken: Counter[int] = Counter()
    out: list[PulledTask] = []
    for t in emu.task_rows(TOKEN):
        chosen = []
        for p in t["placements"]:
            if p["status"] == "Published" and p["result_url"] and taken[p["site_id"]] < per_host:
                if sum(taken.values()) >= placements:
                    break
                taken[p["site_id"]] += 1
                chosen.append(models.Placement(p["site_id"], models.Status.PUBLISHED, p["result_url"], None))
        if chosen:
            out.append(PulledTask(_row(t), t["id"], "live", tuple(chosen)))
    return out


def _row(task: dict) -> ArticleRow:
    return ArticleRow(
        row=2, key=task["name"].split()[-1], task_id=task["id"], mode="live", ready=True, name="",
        title=task["article_title"], body="", urls=tuple(task["article_urls"]), target_ids=(),
        schedule_from=None, schedule_till=None, anchor="", owned={}, problems=(),
    )  # fmt: skip


def checker(tasks: list[PulledTask], folder: Path, policy: Policy, now: dt.datetime) -> Counter[str]:
    path = folder / f"history-{time.monotonic_ns()}.sqlite3"
    with History(path) as history:
        verifier = Verifier(history, policy, budget=None, check_all=True)
        verifier(tasks, now)
    return Counter(o.status for o in verifier.checked)


def loop(tasks: list[PulledTask], port: int) -> Counter[str]:
    """The plain way: one requests.get after the other, robots.txt once per host."""
    robots: dict[str, RobotsTxt | None] = {}
    statuses: Counter[str] = Counter()
    for task in tasks:
        for p in task.placements:
            url = p.result_url or ""
            host = urlsplit(url).netloc
            # *.localhost does not resolve through the system resolver: ask 127.0.0.1 by Host.
            local = url.replace(f"//{host}/", f"//127.0.0.1:{port}/", 1)
            headers = {"Host": host, "User-Agent": USER_AGENT}
            if host not in robots:
                answer = requests.get(f"http://127.0.0.1:{port}/robots.txt", headers=headers, timeout=30)
                robots[host] = RobotsTxt.parse(answer.text) if answer.status_code == 200 else None
            response = requests.get(local, headers=headers, timeout=30, allow_redirects=False)
            fetched = Fetched(
                url, url, response.status_code, tuple((k.lower(), v) for k, v in response.headers.items()),
                response.content, away=response.headers.get("Location", "") if response.is_redirect else "",
            )  # fmt: skip
            statuses[classify(fetched, task.row.urls, robots[host]).status] += 1
    return statuses


def peak_memory(fn, *args) -> float:
    gc.collect()
    tracemalloc.start()
    fn(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / MB


def serve(conn, placements: int, hosts: int) -> None:
    """The emulator in a process of its own, as real sites are: builds, then serves and counts."""
    clock = FakeClock(start=START)
    emu = Emulator(db=":memory:", clock=clock, rate_limit=0, seed=1)
    emu.add_account(TOKEN, 10**6)
    emu.pages.hosts = True
    with emu.serve(port=0) as server:
        client = Client(TOKEN, server.base_url, rate_limit=0)
        tasks = build(emu, client, placements, hosts)
        conn.send((server.port, clock.now(), tasks))
        while True:
            command, value = conn.recv()
            if command == "latency":
                emu.pages.latency = value
                emu.pages.reset_counts()
                conn.send(None)
            elif command == "counts":
                conn.send((max(emu.pages.peak.values(), default=0), emu.pages.served))
                emu.pages.reset_counts()
            else:
                conn.send(None)
                return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--placements", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=40)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=str, default="8", help="comma-separated, e.g. 8,16")
    parser.add_argument("--pause", type=float, default=Policy().pause)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each side, best kept")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    args = parser.parse_args()

    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(theirs, args.placements, args.hosts), daemon=True)
    server.start()
    port, now, tasks = ours.recv()

    def ask(command: str, value: object = None) -> object:
        ours.send((command, value))
        return ours.recv()

    count = sum(len(t.placements) for t in tasks)
    hosts = len({urlsplit(p.result_url or "").netloc for t in tasks for p in t.placements})
    quarter = _first(tasks, count // 4)
    ask("latency", args.latency)
    rows = []
    limits = [int(c) for c in args.concurrency.split(",")]
    best: dict[str, tuple[float, int, int]] = {}

    def keep(name: str, took: float, counts: object) -> None:
        peak, served = counts  # type: ignore[misc]
        if name not in best or took < best[name][0]:
            best[name] = (took, max(peak, best.get(name, (0, 0, 0))[1]), served)
        else:
            best[name] = (best[name][0], max(peak, best[name][1]), served)

    with tempfile.TemporaryDirectory() as tmp:
        policies = {
            limit: dataclasses.replace(Policy(), concurrency=limit, pause=args.pause, private="loopback")
            for limit in limits
        }
        # Both sides in turn, best of --repeat: a busy machine then slows them alike.
        for _ in range(args.repeat):
            ask("counts")
            started = time.perf_counter()
            base_statuses = loop(tasks, port)
            keep("loop", time.perf_counter() - started, ask("counts"))
            for limit, policy in policies.items():
                started = time.perf_counter()
                statuses = checker(tasks, Path(tmp), policy, now)
                keep(f"checker {limit}", time.perf_counter() - started, ask("counts"))
                assert statuses == base_statuses, (statuses, base_statuses)
        base_time, base_peak, base_served = best["loop"]
        base_mem = (None, None) if args.no_memory else (
            peak_memory(loop, quarter, port), peak_memory(loop, tasks, port))
        rows.append(("loop (requests.get)", "1", "-", base_time, base_peak, base_served, *base_mem, 1.0))
        for limit, policy in policies.items():
            took, peak, served = best[f"checker {limit}"]
            mem = (None, None) if args.no_memory else (
                peak_memory(checker, quarter, Path(tmp), policy, now),
                peak_memory(checker, tasks, Path(tmp), policy, now))
            rows.append(("checker", str(limit), f"{args.pause:g} s", took, peak, served, *mem, base_time / took))
    ask("stop")
    server.join(timeout=10)

    print(
        f"{count:,} published placements over {hosts} hosts, {args.latency * 1000:g} ms latency per page "
        f"and robots.txt; statuses found (both sides alike): "
        + ", ".join(f"{n} {s.lower()}" for s, n in sorted(base_statuses.items()))
    )
    print(f"{'side':<20} {'at once':>7} {'pause':>6} {'wall s':>8} {'speed-up':>8} {'max/host':>8} "
          f"{'requests':>8} {'MB (' + str(len(_flat(quarter))) + ')':>10} {'MB (' + str(count) + ')':>10}")
    for side, limit, pause, took, peak, served, mem_q, mem_all, ratio in rows:
        mq = "-" if mem_q is None else f"{mem_q:.1f}"
        ma = "-" if mem_all is None else f"{mem_all:.1f}"
        print(f"{side:<20} {limit:>7} {pause:>6} {took:>8.2f} {ratio:>7.1f}x {peak:>8} {served:>8} {mq:>10} {ma:>10}")


def _first(tasks: list[PulledTask], n: int) -> list[PulledTask]:
    out, left = [], n
    for t in tasks:
        if left <= 0:
            break
        take = t.placements[:left]
        out.append(dataclasses.replace(t, placements=take))
        left -= len(take)
    return out


def _flat(tasks: list[PulledTask]) -> list[models.Placement]:
    return [p for t in tasks for p in t.placements]


if __name__ == "__main__":
    main()
