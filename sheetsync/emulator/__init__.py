"""A faithful local BacklinkBase: the documented API served from SQLite over a real socket.

    clock = FakeClock(start=datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc))
    emu = Emulator(db=":memory:", clock=clock, rate_limit=60, seed=1)
    emu.add_account("token", credits=100)
    with emu.serve(port=0) as server:
        requests.get(server.base_url + "credits", params={"api_token": "token"})

Where the reference is silent or contradicts itself, the emulator chooses (and `Emulator`'s
keyword options switch the documented alternatives):
- 422 bodies say "Validation failed" (the task/store example); field errors are lists.
- 401 for a balance of 0 on a paid task/store says "Out of credits." (a bad token says "API
  Token Verification Error"); 409 when the targets cost more than the balance.
- Every endpoint, health-check included, needs a valid `api_token`.
- More than 3 bad-token requests a minute from one address: every request from it gets 429
  until the minute has passed. Rate limits count real (unaccelerated) time.
- Placements: `schedule_at` inside [creation or schedule_from, schedule_till 00:00 UTC] (at
  least to the end of the from day), published 5-45 minutes later, about 1 in 10 fails;
  sandbox placements start within 2 minutes and finish within 5.
- Result pages live at `{root_url}sites/<domain>/<slug>` once a placement is Published.
"""

from .catalogue import CATALOGUE, ENABLED_IDS, SITES
from .clock import FakeClock, RealClock
from .emulator import Emulator
from .faults import Fault, Faults
from .server import ServerHandle

__all__ = [
    "CATALOGUE",
    "ENABLED_IDS",
    "SITES",
    "Emulator",
    "FakeClock",
    "Fault",
    "Faults",
    "RealClock",
    "ServerHandle",
]
