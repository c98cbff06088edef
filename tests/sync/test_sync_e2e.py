"""End to end: real sheets (xlsx file, Google fake), the emulator over a socket, real journal."""

from __future__ import annotations

import pytest

from sheetsync.models import Status

from .helpers import assert_exactly_once, backend_handle, column, sheet


@pytest.fixture
def backend(backend_name, tmp_path):
    try:
        handle = backend_handle(backend_name, tmp_path)
    except ModuleNotFoundError as exc:
        if backend_name == "gsheets" and "gsheets" in str(exc.name):
            pytest.skip("the Google backend's test handle is not available")
        raise
    yield handle
    close = getattr(handle, "close", None)
    if close:
        close()


def test_sync_submits_each_row_once_and_writes_ids_back(world, backend):
    backend.seed(sheet(5))
    report = world.run(backend.open())
    assert report.exit_code == 0, report.to_dict()
    assert [r.action for r in report.rows] == ["submitted"] * 5
    assert report.spent == 10
    values = backend.values()
    assert_exactly_once(world, values)
    assert set(column(values, "status")) == {str(Status.QUEUED)}
    assert set(column(values, "mode")) == {"live"}
    assert column(values, "progress") == ["0/2 published"] * 5
    assert world.emu.credits("sync-test-token-7f3a9c") == 1000 - 10

    again = world.run(backend.open())
    assert world.store_posts() == 5
    assert {r.action for r in again.rows} <= {"refresh", "unchanged"}
    assert_exactly_once(world, backend.values())
