"""A full disk in the state folder stops the run as a settings error, before anything is sent."""

from __future__ import annotations

import sqlite3

import pytest

from sheetsync.errors import ExitCode, StateError

from .helpers import sheet


class FullDisk:
    """The journal's SQLite connection on a full disk: reads work, every write fails as SQLite says."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def execute(self, sql: str, *args):
        if sql.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE", "BEGIN"):
            raise sqlite3.OperationalError("database or disk is full")
        return self.db.execute(sql, *args)

    executemany = execute

    def close(self) -> None:
        self.db.close()


def test_a_full_disk_in_the_state_folder_is_a_settings_error_and_nothing_is_sent(world, backend):
    backend.seed(sheet(3))
    journal = world.journal()
    journal._db = FullDisk(journal._db)
    with pytest.raises(StateError, match="disk is full.*free some space there.*SHEETSYNC_STATE_DIR") as caught:
        world.run(backend.open(), journal=journal)
    assert caught.value.exit_code is ExitCode.USAGE
    assert world.tasks() == []
