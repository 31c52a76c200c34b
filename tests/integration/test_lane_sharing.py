"""Two worker processes on PostgreSQL + Redis share the portals: never the same portal's lane at
once, and a SIGKILLed worker's lane is taken over; every deal accrued exactly once.

Real ``python -m b24app.worker`` processes logging every lane entry and exit (DEBUG, wall-clock
times); not timed.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from b24app.db import Database
from b24app.models import LaneLease
from bench.audit import exactly_once
from bench.fleet import Fleet, FleetOptions
from bench.waves import Wave
from tests.dbsupport import BACKENDS, truncate_all

REDIS_URL = "redis://127.0.0.1:6379/13"  # not the other tests' databases 14 and 15
LEASE_SECONDS = 15  # longer than the freeze that catches worker 0 in a lane, even on a loaded machine


@dataclass(frozen=True)
class Visit:
    """One lane run as a worker logged it; ``left`` None: the worker died inside it."""

    worker: int
    portal_id: int
    holder: str
    entered: float
    left: float | None


def visits(path: Path, worker: int) -> list[Visit]:
    entered: dict[str, tuple[int, float]] = {}
    found: list[Visit] = []
    for line in path.read_text().splitlines():
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        if record.get("event") == "lane.entered":
            entered[record["holder"]] = (int(record["portal_id"]), float(record["at"]))
        elif record.get("event") == "lane.left":
            portal_id, at = entered.pop(record["holder"])
            found.append(Visit(worker, portal_id, record["holder"], at, float(record["at"])))
    found += [Visit(worker, pid, holder, at, None) for holder, (pid, at) in entered.items()]
    return found


def overlaps(runs: list[Visit], killed_at: float) -> list[tuple[Visit, Visit]]:
    """Pairs of runs of one portal whose time spans intersect (an unfinished one ends at the kill)."""
    by_portal: dict[int, list[Visit]] = defaultdict(list)
    for run in runs:
        by_portal[run.portal_id].append(run)
    found = []
    for portal_runs in by_portal.values():
        portal_runs.sort(key=lambda run: run.entered)
        for before, after in zip(portal_runs, portal_runs[1:], strict=False):
            end = before.left if before.left is not None else killed_at
            if after.entered < end:
                found.append((before, after))
    return found


@pytest.fixture
def shared_database(request: pytest.FixtureRequest) -> Iterator[Database]:
    """PostgreSQL only: the test is about PostgreSQL + Redis, so it is not parametrised over the
    backends (the SQLite half used to show up as SKIPPED in every run)."""
    if "postgres" not in BACKENDS:
        pytest.skip("TEST_DATABASES leaves PostgreSQL out")
    database = Database(str(request.getfixturevalue("postgres_schema")))
    try:
        yield database
    finally:
        truncate_all(database.engine)
        database.dispose()


@pytest.fixture
def fleet(shared_database: Database) -> Iterator[Fleet]:
    database = shared_database
    logs = tempfile.mkdtemp(prefix="lane-sharing-")
    options = FleetOptions(
        3, burst=10, workers=2, database_url=database.url, redis_url=REDIS_URL,
        lease_seconds=LEASE_SECONDS, log_dir=logs,
    )  # fmt: skip
    opened = Fleet(options).open()
    yield opened
    opened.close()


def _held_by(fleet: Fleet, worker: int) -> Visit | None:
    """A lane the (frozen) worker is inside of right now, as its log and the lease table agree."""
    log = Path(str(fleet.worker_log(worker)))
    inside = [run for run in visits(log, worker) if run.left is None]
    if not inside:
        return None
    engine = create_engine(fleet.url)
    try:
        with engine.connect() as conn:
            holders = set(conn.execute(select(LaneLease.holder)).scalars())
    finally:
        engine.dispose()
    return next((run for run in inside if run.holder in holders), None)


def _kill_inside_a_lane(fleet: Fleet, wave: Wave, timeout: float = 300) -> tuple[Visit, float]:
    """Freeze worker 0 until it is caught inside a lane run, then SIGKILL it there."""
    victim = fleet.workers[0]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and wave.done() < len(wave.shares):
        victim.hold()
        caught = _held_by(fleet, 0)
        if caught is not None:
            killed_at = time.time()
            victim.kill()
            return caught, killed_at
        victim.release()
        time.sleep(0.03)
    raise AssertionError("worker 0 was never caught inside a lane run")


def test_two_workers_never_run_one_portal_at_once_and_a_killed_workers_lane_is_taken_over(
    fleet: Fleet,
) -> None:
    wave = Wave.prepare(fleet.emu, fleet.portals, 150)
    fleet.hold()
    wave.deliver()
    fleet.release()
    started = time.monotonic()
    caught, killed_at = _kill_inside_a_lane(fleet, wave)
    wave.track(started, timeout=900)  # generous: a loaded machine is slow, the test is not timed
    assert all(share.finished_s is not None for share in wave.shares)
    once = exactly_once(fleet.url, wave.shares)
    assert once.exact and once.deals == 450

    runs = [*visits(Path(str(fleet.worker_log(0))), 0), *visits(Path(str(fleet.worker_log(1))), 1)]
    assert {run.worker for run in runs} == {0, 1}  # both workers ran lanes
    assert overlaps(runs, killed_at) == []
    taken_over = [
        run
        for run in runs
        if run.worker == 1 and run.portal_id == caught.portal_id and run.entered > killed_at
    ]
    assert taken_over, "the killed worker's portal never ran again"
    records = [
        json.loads(line)
        for line in Path(str(fleet.worker_log(1))).read_text().splitlines()
        if line[:1] == "{"
    ]
    revived = {r["portal_id"] for r in records if r.get("event") == "lane.taken_over"}
    # Its lease ran out and the live worker claimed it: through the heartbeat's sweep of expired
    # leases (`lane.taken_over`), or, when one of the portal's runs was already queued, by that run
    # acquiring the expired lease (the lease table admits no holder before then; no overlap above).
    queued_run_took_it = all(run.holder != caught.holder for run in taken_over)
    assert caught.portal_id in revived or queued_run_took_it


def test_overlapping_runs_are_found() -> None:
    runs = [Visit(0, 1, "a", 1.0, 2.0), Visit(1, 1, "b", 1.5, 3.0), Visit(1, 2, "c", 1.6, 1.7)]
    assert overlaps(runs, killed_at=10.0) == [(runs[0], runs[1])]
    dead = [Visit(0, 1, "a", 1.0, None), Visit(1, 1, "b", 5.0, 6.0)]
    assert overlaps(dead, killed_at=4.0) == [] and len(overlaps(dead, killed_at=5.5)) == 1
