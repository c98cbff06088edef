"""The `backend` fixture: every contract test runs once per spreadsheet backend.

Each backend has a test-side handle in `tests/tables/<name>_backend.py`: a class `Backend`
built as `Backend(tmp_path)` that seeds the backing store, opens a `Table` on it, edits it the
way a person would (insert, delete, sort rows) and reports what is stored. An optional
`close()` is called after the test.
"""

from __future__ import annotations

import importlib

import pytest

BACKENDS = ["xlsx", "gsheets"]


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path):
    name = request.param
    module_name = f"tests.tables.{name}_backend"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # Only a missing handle module is a reason to skip; a broken one must fail loudly.
        if exc.name != module_name:
            raise
        pytest.skip(f"{module_name} does not exist yet, so the {name} backend is not tested")
    handle = module.Backend(tmp_path)
    yield handle
    close = getattr(handle, "close", None)
    if close is not None:
        close()
