"""Two machines syncing one sheet at once, over many trials: how often would a row be paid twice?

Run: .venv/bin/python benchmarks/two_machines.py [--trials 100] [--backends xlsx,gsheets]

Each trial is the race of tests/sync/test_two_machines.py: two machines (each its own state
folder, journal and machine name; the sheet and the BacklinkBase account shared) sync a fresh
sheet of 4 ready rows, started together (even trials) or up to 0.3 s apart (odd trials); then a
later sync settles what both left. The table counts trials that ended with more tasks than
rows, a marker on two tasks, or a task no row holds; and how often one machine found the
other's claim on the sheet and yielded. `--no-lease` runs the same races with the sheet lease
switched off, to show what it prevents.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.sync import machines  # noqa: E402
from tests.sync.helpers import World  # noqa: E402


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--backends", default="xlsx,gsheets")
    parser.add_argument("--no-lease", action="store_true", help="switch the sheet lease off")
    args = parser.parse_args(argv)
    if args.no_lease:
        from sheetsync import workflow

        class NoLease(workflow.SheetLease):
            def acquire(self):  # type: ignore[override]
                raise NotImplementedError  # as for a backend that cannot hold the lease

        workflow.SheetLease = NoLease  # type: ignore[misc]
    print(f"{'backend':8} {'trials':>6} {'paid twice':>10} {'orphaned':>8} {'yielded':>7} {'refused':>7} {'s/trial':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        world = World(Path(tmp))
        try:
            for name in args.backends.split(","):
                started = time.monotonic()
                twice = orphaned = yielded = refused = 0
                for i in range(args.trials):
                    trial = machines.race(world, name, Path(tmp) / f"{name}-{i}",
                                          stagger=0.0 if i % 2 == 0 else 0.3, seed=i)
                    twice += bool(trial.duplicates or trial.tasks > trial.rows)
                    orphaned += bool(trial.orphans)
                    yielded += trial.yielded
                    refused += bool(trial.refused)
                per = (time.monotonic() - started) / max(1, args.trials)
                print(f"{name:8} {args.trials:>6} {twice:>10} {orphaned:>8} {yielded:>7} {refused:>7} {per:>7.2f}")
        finally:
            world.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
