from __future__ import annotations

import pytest

from .helpers import World


@pytest.fixture
def world(tmp_path):
    w = World(tmp_path)
    yield w
    w.close()


@pytest.fixture(params=["xlsx", "gsheets"])
def backend_name(request):
    return request.param
