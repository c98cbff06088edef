"""Record cassettes/ from the emulator: `.venv/bin/python -m tests.client.record_cassettes`.

CI never runs this; tests replay the cassettes with record_mode="none".
"""

from __future__ import annotations

import sys

from sheetsync.pacing import forget_limiters

from .emulated import emulated
from .scenarios import CASSETTES, RECORDING_TOKEN, SCENARIOS, cassette_vcr


def record(names: list[str]) -> None:
    CASSETTES.mkdir(exist_ok=True)
    for name in names or list(SCENARIOS):
        scenario = SCENARIOS[name]
        path = CASSETTES / f"{name}.yaml"
        path.unlink(missing_ok=True)
        with emulated(RECORDING_TOKEN, credits=scenario.credits, **scenario.emulator) as rig:
            token = "sheetsync-recording-wrong-token" if name == "bad_token" else RECORDING_TOKEN
            client = rig.client(token=token)
            with cassette_vcr("all", rig.emu.root_url).use_cassette(path.name):
                scenario.run(client, rig.clock.advance)
        forget_limiters()
        print(f"recorded {path.relative_to(CASSETTES.parent)}")


if __name__ == "__main__":
    record(sys.argv[1:])
