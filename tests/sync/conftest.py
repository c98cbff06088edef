from __future__ import annotations

import pytest

from .helpers import World, backend_handle


@pytest.fixture
def world(tmp_path):
    w = World(tmp_path)
    yield w
    w.close()


@pytest.fixture(params=["xlsx", "gsheets"])
def backend(request, tmp_path):
    """The tables contract suite's handle on a real backend (an .xlsx file or the Sheets fake)."""
    handle = backend_handle(request.param, tmp_path)
    yield handle
    close = getattr(handle, "close", None)
    if close:
        close()
