"""Portal lanes: one holder at a time, leases expire after a crash, enqueues coalesce."""

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest

from b24app.clock import FrozenClock
from b24app.config import load_settings
from b24app.db import Database
from b24app.gateway import PortalClient
from b24app.gateway.pacing import LeakyBucket
from b24app.lane_leases import LeaseBook
from b24app.lanes import LaneContext, Lanes, LaneStep
from b24app.models import LaneLease
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


def _portal(database: Database, member_id: str = "member-1") -> int:
    with database.transaction() as session:
        return make_portal(session, member_id).id


def _lease(database: Database, portal_id: int) -> LaneLease:
    with database.transaction() as session:
        lease = session.get_one(LaneLease, portal_id)
        session.expunge(lease)
        return lease


def test_a_lane_whose_bucket_is_full_yields_instead_of_waiting(database: Database) -> None:
    portal_id = _portal(database)
    clock = FrozenClock()

    def step(ctx: LaneContext) -> bool:
        ctx.client.budget()  # no room: the pacing wait hands the lane back
        raise AssertionError("a lane never runs on past a full bucket")

    lanes = _lanes(database, clock, [("paced", step)])
    lanes.client_factory = lambda pid, pause: _full_client(lanes, pid, pause)
    run = lanes.run(portal_id)
    assert run.acquired and run.due_in == 2.0 and run.error is None  # until WAKE_ROOM (4) fit
    lease = _lease(database, portal_id)
    assert lease.holder is None and lease.queued  # nothing held; events join the scheduled run
    assert lease.wake_at == clock.now() + timedelta(seconds=2)
    assert not lanes.mark_queued(portal_id)


def test_the_last_requests_of_a_backlog_come_back_one_at_a_time(database: Database) -> None:
    """With no more than WAKE_ROOM requests left, each goes when it first fits (0.5 s at 2/s), not
    in a clump: the last one leaves as early as the bucket allows and every portal's last turns
    do not fall due together; a longer backlog still waits for WAKE_ROOM of room."""
    portal_id, clock = _portal(database), FrozenClock()
    backlog = [3]

    def step(ctx: LaneContext) -> bool:
        ctx.client.budget(wanted=backlog[0])
        raise AssertionError("a lane never runs on past a full bucket")

    lanes = _lanes(database, clock, [("paced", step)])
    lanes.client_factory = lambda pid, pause: _full_client(lanes, pid, pause)
    assert lanes.run(portal_id).due_in == 0.5
    backlog[0] = 5
    assert lanes.run(portal_id).due_in == 2.0


def _full_client(lanes: Lanes, portal_id: int, pause: Callable[[float], None]) -> PortalClient:
    client = PortalClient(lanes.db, lanes.settings, portal_id, sleep=pause, clock=lambda: 100.0)
    client.bucket = LeakyBucket(rate=2.0, burst=10, level=8.0, at=100.0)
    client.wake_room = 4
    return client


def test_a_busy_lane_ends_its_turn_and_goes_on_where_it_stopped(database: Database) -> None:
    portal_id = _portal(database)
    seen: list[str] = []

    def busy(name: str) -> LaneStep:
        def step(ctx: LaneContext) -> bool:
            seen.append(name)
            return len(seen) < 6

        return step

    steps = [("a", busy("a")), ("b", busy("b")), ("c", busy("c"))]
    lanes, other_process = _lanes(database, FrozenClock(), steps), _lanes(database, FrozenClock(), steps)
    lanes.hold_seconds = other_process.hold_seconds = 0.0  # every step that finds work ends the turn
    first = lanes.run(portal_id)
    assert first.due_in == 0.0 and seen == ["a"] and _lease(database, portal_id).resume_step == 1
    other_process.run(portal_id)  # the next turn, in another worker process, goes on from there
    lanes.run(portal_id)
    assert seen == ["a", "b", "c"]  # each run starts at the step after the last one


def test_the_heartbeat_keeps_a_lease_and_a_dead_holders_lane_is_revived_once(database: Database) -> None:
    portal_id, other = _portal(database), _portal(database, "member-2")
    clock = FrozenClock()
    live, dead = _lanes(database, clock, []), _lanes(database, clock, [])
    assert live.leases.acquire(portal_id, "live") and dead.leases.acquire(other, "dead")
    clock.advance(seconds=50)
    assert live.leases.renew_held() == 1  # the live process renews; the dead one cannot
    clock.advance(seconds=20)
    assert live.leases.revive_expired() == [other]
    assert dead.leases.revive_expired() == []  # claimed once, whoever looks
    revived = _lease(database, other)
    assert revived.holder is None and revived.queued
    assert _lease(database, portal_id).holder == "live"


# A lost lease: a worker that stalled past its lease, whose lane another worker took over, stops
# working that lane at its next safe point and leaves the lease row to the new holder.
def test_the_heartbeat_finds_a_taken_lease_and_the_run_stops_before_its_next_step(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    portal_id, clock = _portal(database), FrozenClock()
    seen: list[str] = []
    other = _lanes(database, clock, [])

    def stall_and_be_taken_over(ctx: LaneContext) -> bool:
        seen.append("a")
        clock.advance(seconds=61)  # this worker stalled past its lease ...
        assert other.leases.acquire(portal_id, "other")  # ... and another worker took the lane
        assert stalled.leases.renew_held() == 0  # the heartbeat does not renew what is not ours
        assert stalled.leases.renew_held() == 0  # a run busy past it: told once, not each beat
        assert [r.getMessage() for r in caplog.records].count("lane.lease_lost") == 1
        return True

    def second(ctx: LaneContext) -> bool:
        seen.append("b")
        return False

    stalled = _lanes(database, clock, [("a", stall_and_be_taken_over), ("b", second)])
    report = stalled.run(portal_id)
    assert report.acquired and report.lost and seen == ["a"]  # step "b" never ran here
    assert report.retry_in is None and report.due_in is None and report.wake_in is None
    lease = _lease(database, portal_id)
    assert lease.holder == "other" and lease.failures == 0  # the new holder's lease, untouched
    assert stalled.leases.renew_held() == 0  # nothing of it is held or renewed any more


def test_a_round_that_cannot_renew_its_lease_ends_the_run(database: Database) -> None:
    portal_id, clock = _portal(database), FrozenClock()
    rounds: list[int] = []
    other = _lanes(database, clock, [])

    def busy_then_taken_over(ctx: LaneContext) -> bool:
        rounds.append(1)
        clock.advance(seconds=61)
        other.leases.acquire(portal_id, "other")
        return True  # work found: without the lost lease the run would go on round after round

    stalled = _lanes(database, clock, [("busy", busy_then_taken_over)])
    stalled.hold_seconds = 3600.0  # the turn cap is not what stops it
    report = stalled.run(portal_id)
    assert report.lost and rounds == [1]
    assert _lease(database, portal_id).holder == "other"
    assert other.leases.renew_held() == 1  # the new holder keeps renewing its lease


def test_a_lease_not_renewed_in_time_counts_as_lost_without_a_query(database: Database) -> None:
    portal_id = _portal(database)
    book = LeaseBook(database, FrozenClock(), seconds=0)
    assert book.acquire(portal_id, "h")
    assert book.lost("h")  # its time ran out locally: stop before anyone else may have taken it
    book.forget(portal_id, "h")
    assert not book.lost("h")
