"""The post-pull seam: a step sees the placements and its cells go out in the same write."""

from __future__ import annotations

from sheetsync import columns as C
from sheetsync.hooks import PullExtras

from .helpers import column, sheet


class Recorder:
    """A post-pull step that marks every published placement and the first row."""

    def __init__(self) -> None:
        self.seen: list = []

    def __call__(self, tasks, now):
        self.seen.append((list(tasks), now))
        extras = PullExtras()
        for t in tasks:
            for p in t.placements:
                extras.placement_cells[(t.task_id, p.site_id)] = {"link_status": f"seen {p.status}"}
            extras.row_cells[t.row.key] = {C.LINK_HEALTH: f"{len(t.placements)} seen"}
        first = tasks[0].row.key
        extras.attention[first] = "a link went missing"
        extras.report["verify"] = {"checked": len(tasks)}
        return extras


def test_a_post_pull_step_adds_cells_to_the_same_write_back(world, backend):
    backend.seed(sheet(2))
    world.run(backend.open(), "push")
    world.clock.advance(3 * 24 * 3600)
    step = Recorder()
    report = world.run(backend.open(), "pull", after_pull=step)
    [(tasks, now)] = step.seen
    assert now == world.now() and [t.mode for t in tasks] == ["live", "live"]
    assert [t.row.urls for t in tasks] == [("https://example.com/garden/1",), ("https://example.com/garden/2",)]
    assert all(len(t.placements) == 2 for t in tasks)

    values = backend.values()
    assert column(values, C.LINK_HEALTH) == ["2 seen", "2 seen"]
    tab = backend.values("Placements")
    header = tab[0]
    assert header[-6:] == list(C.PLACEMENT_CHECK_COLUMNS)
    status = header.index("status")
    assert all(r[header.index("link_status")] == f"seen {r[status]}" for r in tab[1:])
    assert report.exit_code == 1 and report.to_dict()["verify"] == {"checked": 2}
    assert [r.attention for r in report.rows] == [True, False]
    assert "a link went missing" in report.rows[0].message

    # Without the step the checker's columns are there, blank; a push never calls it.
    world.run(backend.open(), "push", after_pull=step)
    assert len(step.seen) == 1
