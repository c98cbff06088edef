"""One BacklinkBase client per account, shared by all its sheets within a cycle.

The task list and the catalogue are fetched at most once per account per cycle, whatever the
number of sheets; a submission drops the cached list so that a lost answer is looked up fresh.
Pacing is shared too: clients of one token share one sliding window (`pacing.shared_limiter`).
"""

from __future__ import annotations

from typing import Any

from .. import models
from ..apply import TaskClient


class SharedClient:
    """A `TaskClient` that remembers the task list, catalogue and credits for one cycle."""

    def __init__(self, client: TaskClient):
        self.client = client
        self._tasks: list[models.TaskSummary] | None = None
        self._sites: models.Catalogue | None = None
        self._credits: int | None = None

    @property
    def requests_made(self) -> int:
        return int(getattr(self.client, "requests_made", 0) or 0)

    def tasks(self) -> list[models.TaskSummary]:
        if self._tasks is None:
            self._tasks = list(self.client.tasks())
        return list(self._tasks)

    def fetched(self) -> bool:
        """Whether this cycle has the task list already (it costs nothing to look again)."""
        return self._tasks is not None

    def summary(self, task_id: str) -> models.TaskSummary | None:
        for t in self._tasks or ():
            if t.id == task_id:
                return t
        return None

    def sites(self) -> models.Catalogue:
        if self._sites is None:
            self._sites = self.client.sites()
        return self._sites

    def credits(self) -> int:
        if self._credits is None:
            self._credits = self.client.credits()
        return self._credits

    def known_credits(self) -> int | None:
        return self._credits

    def create_task(self, new: models.NewTask) -> str:
        try:
            task_id = self.client.create_task(new)
        except BaseException:
            # The answer may be lost after the task was made: the run's look-up must see it.
            self._tasks = None
            self._credits = None
            raise
        if self._credits is not None:
            self._credits -= new.cost
        return task_id

    def task(self, task_id: str) -> models.Task:
        return self.client.task(task_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)
