"""The seam for steps that run after a pull, such as the link checker (`sheetsync.verify`).

The core never imports such a step: the caller passes one to `workflow.run(after_pull=...)`.
It sees each followed task's placements and answers with cells to add; the core writes them
in the same batched write as the statuses, so a step costs no extra sheet request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import models
from .sheet import ArticleRow


@dataclass(frozen=True)
class PulledTask:
    """One row's task as the pull left it: the row (its article URLs) and the placements."""

    row: ArticleRow
    task_id: str
    mode: str  # "live" or "sandbox"
    placements: tuple[models.Placement, ...]


@dataclass
class PullExtras:
    """What a post-pull step adds to the write-back and the report."""

    #: (task id, site id) -> Placements column (`columns.PLACEMENT_CHECK_COLUMNS`) -> text.
    placement_cells: dict[tuple[str, int], dict[str, str]] = field(default_factory=dict)
    #: row key -> owned column (`columns.EXTRA_COLUMNS`) -> text.
    row_cells: dict[str, dict[str, str]] = field(default_factory=dict)
    #: row key -> why the row needs a person (makes the run exit 1).
    attention: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: Merged into the run's JSON report.
    report: dict[str, Any] = field(default_factory=dict)


class PullStep(Protocol):
    """Called once per pull, after the statuses are refreshed and before they are written."""

    def __call__(self, tasks: Sequence[PulledTask], now: dt.datetime) -> PullExtras: ...
