"""Portal lanes: one holder at a time, leases expire after a crash, enqueues coalesce."""

import threading

from b24app.clock import FrozenClock
from b24app.config import load_settings
from b24app.db import Database
from b24app.lanes import LaneContext, Lanes
from tests.factories import make_portal


def _lanes(database: Database, clock: FrozenClock, steps: list) -> Lanes:  # type: ignore[type-arg]
    settings = load_settings({"app_env": "test", "lane_lease_seconds": 60}, env={})
    return Lanes(database, settings, clock, steps)


def test_only_one_holder_and_expired_lease_is_taken_over(database: Database) -> None:
    with database.transaction() as session:
        portal_id = make_portal(session).id
    clock = FrozenClock()
    lanes = _lanes(database, clock, [])
    assert lanes._acquire(portal_id, "a")
    assert not lanes._acquire(portal_id, "b")
    clock.advance(seconds=61)  # holder "a" crashed and never released
    assert lanes._acquire(portal_id, "b")


def test_concurrent_acquire_has_exactly_one_winner(database: Database) -> None:
    with database.transaction() as session:
        portal_id = make_portal(session).id
    lanes = _lanes(database, FrozenClock(), [])
    barrier = threading.Barrier(8)
    wins: list[str] = []

    def contend(name: str) -> None:
        barrier.wait()
        if lanes._acquire(portal_id, name):
            wins.append(name)

    threads = [threading.Thread(target=contend, args=(f"h{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1


def test_mark_queued_coalesces_until_a_run_starts(database: Database) -> None:
    with database.transaction() as session:
        portal_id = make_portal(session).id
    seen: list[int] = []

    def step(ctx: LaneContext) -> bool:
        seen.append(ctx.portal_id)
        return False

    lanes = _lanes(database, FrozenClock(), [("probe", step)])
    assert lanes.mark_queued(portal_id)
    assert not lanes.mark_queued(portal_id)
    run = lanes.run(portal_id)
    assert run.acquired and seen == [portal_id]
    assert lanes.mark_queued(portal_id)  # the run cleared the flag


def test_lease_is_released_after_a_run(database: Database) -> None:
    with database.transaction() as session:
        portal_id = make_portal(session).id
    clock = FrozenClock()
    lanes = _lanes(database, clock, [])
    assert lanes.run(portal_id).acquired
    assert lanes._acquire(portal_id, "next")  # no waiting for the lease to expire
