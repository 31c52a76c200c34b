"""Fairness for failed lanes: a portal that is down costs the others nothing, and a lane whose run
failed does not wait behind the busy portals' turns once its retry comes due (not timed: the
order in which the queue hands out the runs)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from b24app.container import Container
from b24app.gateway import PortalUnavailable
from b24app.lanes import LaneContext
from b24app.models import LaneLease
from bootstrap.container import build_container
from tests.factories import make_portal


@pytest.fixture
def container(database_url: str, tmp_path: Path) -> Iterator[Container]:
    settings = {"app_env": "test", "database_url": database_url, "queue_memory": True}
    built = build_container({**settings, "queue_path": str(tmp_path / "q.sqlite3")})
    built.jobs.huey.flush()
    yield built
    built.close()  # ``database_url`` leaves the shared PostgreSQL schema empty after the test


def _portals(container: Container, *names: str) -> dict[str, int]:
    with container.db.transaction() as session:
        return {n: make_portal(session, member_id=f"{n}-{uuid.uuid4().hex[:6]}").id for n in names}


def _next_run(container: Container, at: datetime | None = None) -> None:
    """The worker runs the next job that is due; ``at``: the time it does so (naive UTC, as Huey
    keeps it). A job not yet due goes to the schedule, as the consumer does with it."""
    huey = container.jobs.huey
    while (task := huey.dequeue()) is not None:
        if huey.ready_to_run(task, at):
            huey.execute(task, timestamp=at)
            return
        huey.add_schedule(task)
    raise AssertionError("no job is due")


def test_a_down_portal_gives_its_worker_back_and_its_retry_does_not_queue_behind_busy_lanes(
    container: Container,
) -> None:
    ids = _portals(container, "down", "busy", "quiet")
    names = {portal_id: name for name, portal_id in ids.items()}
    ran: list[str] = []

    def step(ctx: LaneContext) -> bool:
        ran.append(names[ctx.portal_id])
        if names[ctx.portal_id] == "down":
            raise PortalUnavailable("crm.deal.list: no answer within 30s")
        return names[ctx.portal_id] == "busy"  # a backlog that never ends

    container.lanes.steps[:] = [("probe", step)]
    container.lanes.hold_seconds = 0.0  # every busy round ends its turn
    for name in ("down", "busy", "quiet"):
        assert container.jobs.enqueue_lane(ids[name])
    for _ in range(3):
        _next_run(container)
    # The down portal's run ended at its first failure and holds nothing: its retry waits in
    # the schedule, not in a thread, and the quiet portal ran before the busy one's next turn.
    assert ran == ["down", "busy", "quiet"]
    with container.db.transaction() as session:
        lease = session.get_one(LaneLease, ids["down"])
        assert lease.holder is None and lease.failures == 1 and lease.queued
    for _ in range(12):  # the busy portal takes turn after turn, down to the lowest priority
        _next_run(container)
    assert set(ran[3:]) == {"busy"}
    huey = container.jobs.huey
    later = (datetime.now(UTC) + timedelta(minutes=5)).replace(tzinfo=None)  # its retry is due
    due = huey.read_schedule(later)
    assert len(due) == 1  # only the down portal's retry was scheduled
    huey.enqueue(due[0])
    _next_run(container, later)
    assert ran[-1] == "down"  # its retry went ahead of the busy lane's queued turn
    _next_run(container)
    assert ran[-1] == "busy"
