from __future__ import annotations

import pytest

from .harness import Agency


@pytest.fixture
def agency(tmp_path):
    a = Agency(tmp_path)
    yield a
    a.close()
