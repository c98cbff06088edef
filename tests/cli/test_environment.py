"""Problems of the machine, not of sheetsync: settings errors (exit 2) that say what to do."""

from __future__ import annotations

import pytest

from .conftest import assert_no_canary


@pytest.mark.parametrize("value", ["inf", "nan", "1e309", "-inf", "0"])
def test_a_timeout_that_is_not_a_finite_positive_number_is_a_settings_error(harness, value):
    result = harness.invoke("credits", env={"SHEETSYNC_TIMEOUT": value})
    assert result.exit_code == 2, result.stderr
    assert "SHEETSYNC_TIMEOUT" in result.stderr and "set it to" in result.stderr
    assert "bug" not in result.stderr


def test_a_state_folder_that_cannot_be_created_is_a_settings_error(harness, demo_sheet, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the state folder should go")
    before = len(harness.emulator.task_rows(harness.token))
    result = harness.invoke("sync", str(demo_sheet), "--yes", env={"SHEETSYNC_STATE_DIR": str(blocker / "state")})
    assert result.exit_code == 2, result.stderr
    assert "SHEETSYNC_STATE_DIR" in result.stderr and "bug" not in result.stderr
    assert len(harness.emulator.task_rows(harness.token)) == before
    assert_no_canary(result)
