"""A faithful local BacklinkBase: the documented API served from SQLite over a real socket.

    clock = FakeClock(start=datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc))
    emu = Emulator(db=":memory:", clock=clock, rate_limit=60, seed=1)
    emu.add_account("token", credits=100)
    with emu.serve(port=0) as server:
        requests.get(server.base_url + "credits", params={"api_token": "token"})
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
