"""Suite-wide fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _own_user_data_folder(tmp_path_factory, monkeypatch):
    """Each test gets its own user data folder (journal, locks, remembered bad tokens).

    The default one is shared by every run of the suite on the machine: two suites running at
    once would see each other's locks and report "another sync is running".
    """
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("user-data")))
