"""The job queue on each storage (memory, SQLite, Redis) and /healthz."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import redis

from b24app.clock import FrozenClock
from b24app.lanes import LaneContext
from bootstrap.container import build_container
from bootstrap.web import create_app
from tests.factories import make_portal

REDIS_URL = "redis://127.0.0.1:6379/15"


def _settings(database_url: str, tmp_path: Path, **extra: object) -> dict[str, object]:
    return {
        "app_env": "test",
        "database_url": database_url,
        "queue_path": str(tmp_path / "q.sqlite3"),
        **extra,
    }


@pytest.mark.parametrize("storage", ["sqlite", "redis", "memory"])
def test_a_lane_job_travels_through_the_queue(database_url: str, tmp_path: Path, storage: str) -> None:
    extra: dict[str, object] = {}
    if storage == "redis":
        extra["redis_url"] = REDIS_URL
    if storage == "memory":
        extra["queue_memory"] = True
    container = build_container(_settings(database_url, tmp_path, **extra))
    huey = container.jobs.huey
    huey.flush()
    seen: list[int] = []

    def probe(ctx: LaneContext) -> bool:
        seen.append(ctx.portal_id)
        return False

    container.lanes.steps[:] = [("probe", probe)]  # only the probe: no portal behind this test
    with container.db.transaction() as session:
        portal_id = make_portal(session, member_id=f"m-{uuid.uuid4().hex[:6]}").id
    assert container.jobs.enqueue_lane(portal_id)
    assert not container.jobs.enqueue_lane(portal_id)  # coalesced: one job waits already
    assert container.jobs.pending_count() == 1
    task = huey.dequeue()
    assert task is not None
    huey.execute(task)
    assert seen == [portal_id]
    huey.flush()
    container.close()


def test_redis_is_really_used_when_configured(database_url: str, tmp_path: Path) -> None:
    container = build_container(_settings(database_url, tmp_path, redis_url=REDIS_URL))
    assert "Redis" in type(container.jobs.huey.storage).__name__  # PriorityRedisStorage: a sorted set
    client = redis.Redis.from_url(REDIS_URL)
    assert client.ping()
    client.close()
    container.close()


def test_healthz_ok_and_unhealthy(database_url: str, tmp_path: Path) -> None:
    app = create_app(_settings(database_url, tmp_path))
    assert app.test_client().get("/healthz").status_code == 200
    broken = create_app(_settings("sqlite:////nonexistent-dir/x.sqlite3", tmp_path))
    answer = broken.test_client().get("/healthz")
    assert answer.status_code == 503
    assert answer.get_json()["checks"]["database"] != "ok"
    for each in (app, broken):
        each.extensions["bonus_registry"].close()


def test_work_arriving_during_a_run_is_run_right_after_it(database_url: str, tmp_path: Path) -> None:
    """An event during a run queues no job (it would find the lane held and retry seconds later,
    and jump ahead of other portals' turns): the flag goes up, and the run that holds the lane
    queues the next one the moment it gives the lane back."""
    container = build_container(_settings(database_url, tmp_path, queue_memory=True))
    huey, jobs = container.jobs.huey, container.jobs
    huey.flush()
    runs: list[int] = []

    def probe(ctx: LaneContext) -> bool:
        runs.append(ctx.portal_id)
        if len(runs) == 1:  # an event arrives while the first run holds the lane
            assert not jobs.enqueue_lane(ctx.portal_id)
            assert jobs.pending_count() == 0
        return False

    container.lanes.steps[:] = [("probe", probe)]
    with container.db.transaction() as session:
        portal_id = make_portal(session, member_id=f"m-{uuid.uuid4().hex[:6]}").id
    assert jobs.enqueue_lane(portal_id)
    task = huey.dequeue()
    assert task is not None
    huey.execute(task)
    assert runs == [portal_id] and jobs.pending_count() == 1  # queued when the lane was given back
    again = huey.dequeue()
    assert again is not None
    huey.execute(again)
    assert runs == [portal_id, portal_id] and jobs.pending_count() == 0
    assert jobs.enqueue_lane(portal_id)  # no run holds it now: queued as usual
    huey.flush()
    container.close()


def test_a_run_lost_with_a_dead_worker_is_queued_again_by_the_heartbeat(
    database_url: str, tmp_path: Path
) -> None:
    """A worker took the lane's job off the queue and died before running it: the raised flag
    keeps events from queueing another, so the heartbeat of a live worker queues it once the run
    is a lease's lifetime late (once, whichever worker looks), and that run clears the mark."""
    clock = FrozenClock()
    settings = _settings(database_url, tmp_path, queue_memory=True, lane_lease_seconds=30)
    container, other = build_container(settings, clock=clock), build_container(settings, clock=clock)
    huey, jobs = container.jobs.huey, container.jobs
    huey.flush()
    runs: list[int] = []

    def probe(ctx: LaneContext) -> bool:
        runs.append(ctx.portal_id)
        return False

    container.lanes.steps[:] = [("probe", probe)]
    with container.db.transaction() as session:
        portal_id = make_portal(session, member_id=f"m-{uuid.uuid4().hex[:6]}").id
    assert jobs.enqueue_lane(portal_id)
    assert huey.dequeue() is not None  # ... and the worker that took it is SIGKILLed
    assert not jobs.enqueue_lane(portal_id)  # the flag is up: a new event queues nothing
    clock.advance(seconds=20)
    assert jobs.tend() == [] and jobs.pending_count() == 0  # not late enough to call it lost
    clock.advance(seconds=15)
    assert jobs.tend() == [portal_id] and other.jobs.tend() == []  # requeued once
    task = huey.dequeue()
    assert task is not None
    huey.execute(task)
    assert runs == [portal_id]
    clock.advance(seconds=60)
    assert jobs.tend() == []  # the run used the mark up: nothing is late any more
    huey.flush()
    container.close()
    other.close()
