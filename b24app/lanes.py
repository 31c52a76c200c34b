"""Portal lanes: at most one job talks to a portal at a time, so pacing and batching live in one place."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from b24app.clock import Clock
from b24app.config import Settings
from b24app.db import Database
from b24app.gateway import PortalClient, PortalError, PortalGone, PortalUnavailable
from b24app.lane_agenda import Agenda, read_agenda
from b24app.lane_health import StepHealth
from b24app.lane_leases import LeaseBook, raise_queued
from b24app.lane_signals import LaneHandOff, LaneInterrupted, LaneLost, LaneYield
from b24app.models import LaneLease, Portal

log = logging.getLogger(__name__)
RETRY_CAP_SECONDS = 30  # a failing portal is tried again at least this often, so recovery is quick
SHORTEST_WAKE_SECONDS = 1.0
# A lane that must wait for its bucket comes back when this many requests fit: each run then
# sends a few batches instead of waking for every single request.
WAKE_ROOM = 4
# The longest a busy lane keeps a worker thread before it goes to the back of the queue, so a
# portal with a backlog never delays another portal's work by more than about this.
HOLD_SECONDS = 0.5


@dataclass
class LaneContext:
    """What a lane step gets: the portal, its client, the database and the clock."""

    db: Database
    settings: Settings
    portal_id: int
    client: PortalClient
    clock: Clock
    stopped: bool = False  # a step found the portal gone: the run ends after it
    stopping: threading.Event = field(default_factory=threading.Event)
    lease_lost: Callable[[], bool] = lambda: False  # the heartbeat found the lease taken over
    agenda: Agenda = field(default_factory=Agenda)  # what may be waiting, read at each round's start

    def check_stop(self) -> None:
        """Between units of work: give the lane back if the process is stopping, and stop at
        once if another worker has taken the lane over (it must never run twice at a time)."""
        if self.stopping.is_set():
            raise LaneInterrupted()
        if self.lease_lost():
            raise LaneLost()


# A step does one unit of work for the portal and says whether it found any (then it runs again).
LaneStep = Callable[[LaneContext], bool]
# How a lane gets its portal client: (portal id, the lane's pacing wait) -> client. The composition
# root passes one; tests may pass their own (a client whose sleep or clock they control).
ClientFactory = Callable[[int, Callable[[float], None]], PortalClient]
# The earliest time after ``now`` when a portal has something coming due (a retry): the lane is
# woken then, not at the next sweep.
WakeProbe = Callable[[Session, int, datetime], datetime | None]


@dataclass
class LaneRun:
    portal_id: int
    acquired: bool
    rounds: int = 0
    error: str | None = None
    retry_in: float | None = None  # the run failed: try again after this many seconds
    due_in: float | None = None  # the run yielded with work left: run again after this many seconds
    wake_in: float | None = None  # the run succeeded and something comes due after this many seconds
    interrupted: bool = False  # the process is stopping; the lane was handed back
    gone: bool = False  # the portal answered PORTAL_DELETED: no retry
    lost: bool = False  # another worker took the lease over: this run stopped and left it alone
    queued: bool = False  # work arrived during the run (flag up, no job queued for it): run again now
    resume_step: int = 0  # its turn ran out: the step the next run starts at
    requests: int = 0
    steps: dict[str, int] = field(default_factory=dict)


class Lanes:
    """Leases, coalesced enqueueing and the run loop of portal lanes."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        steps: Sequence[tuple[str, LaneStep]],
        wake_probes: Sequence[WakeProbe] = (),
        client_factory: ClientFactory | None = None,
    ) -> None:
        self.db = db
        self.client_factory = client_factory or self._default_client
        self.settings = settings
        self.clock = clock
        self.steps = list(steps)
        self.wake_probes = list(wake_probes)
        self.stopping = threading.Event()  # set by the worker on SIGTERM
        self.leases = LeaseBook(db, clock, settings.lane_lease_seconds)
        self.hold_seconds = HOLD_SECONDS

    def _default_client(self, portal_id: int, sleep: Callable[[float], None]) -> PortalClient:
        client = PortalClient(self.db, self.settings, portal_id, sleep=sleep, now=self.clock.now)
        client.wake_room = WAKE_ROOM
        return client

    def mark_queued(self, portal_id: int) -> bool:
        """Flag the lane as queued; False when a job is already waiting (the caller skips enqueueing)."""
        with self.db.transaction() as session:
            return self.flag_queued(session, portal_id)

    def flag_queued(self, session: Session, portal_id: int) -> bool:
        """``mark_queued`` inside the caller's transaction (intake records and flags in one commit).

        A crash between that commit and the enqueue leaves the flag up with no job; the periodic
        sweep forces a run, which clears it. While a run holds the lane no job is queued: the flag
        goes up and that run queues the next one when it gives the lane back (lane_leases).
        """
        return raise_queued(session, portal_id, self.clock.now())

    def _acquire(self, portal_id: int, holder: str) -> bool:
        return self.leases.acquire(portal_id, holder)

    def run(self, portal_id: int, max_rounds: int = 1000) -> LaneRun:
        """Run every step until none finds work; portal failures end the run with a retry delay."""
        if self.stopping.is_set():
            return LaneRun(portal_id, acquired=False, interrupted=True)
        holder = uuid.uuid4().hex
        if not self._acquire(portal_id, holder):
            return LaneRun(portal_id, acquired=False)
        report = LaneRun(portal_id, acquired=True)
        # Entry and exit with wall-clock times: across processes they show no two runs of a portal overlap.
        log.debug("lane.entered", extra={"portal_id": portal_id, "holder": holder, "at": time.time()})
        client = self.client_factory(portal_id, self._pause)
        ctx = LaneContext(self.db, self.settings, portal_id, client, self.clock, stopping=self.stopping)
        ctx.lease_lost = lambda: self.leases.lost(holder)
        try:
            self._loop(ctx, report, max_rounds, holder, self.leases.resume_step(holder))
        except LaneLost:
            report.lost = True
            log.warning("lane.stopped_lease_lost", extra={"portal_id": portal_id, "holder": holder})
        except LaneInterrupted:
            report.interrupted = True
            log.info("lane.handed_back", extra={"portal_id": portal_id})
        except LaneYield as exc:
            report.due_in = exc.wait
        except PortalGone as exc:
            report.error, report.gone = f"{type(exc).__name__}: {exc}", True
            self._mark_gone(portal_id, str(exc))
        except PortalError as exc:
            report.error = f"{type(exc).__name__}: {exc}"
            log.warning("lane.failed", extra={"portal_id": portal_id, "error": type(exc).__name__})
            report.retry_in = self._not_before(exc)
        finally:
            report.requests = client.requests_sent
            left = time.time()
            failures = self._finish(portal_id, holder, client, report)
            extra = {"portal_id": portal_id, "holder": holder, "at": left, "requests": report.requests}
            log.debug("lane.left", extra={**extra, "due_in": report.due_in, "steps": report.steps})
        if not report.lost:  # a lost lane: the new holder runs it and schedules what it needs
            self._schedule(report, failures)
        return report

    def _schedule(self, report: LaneRun, failures: int) -> None:
        """When the lane runs next: after a failure's backoff, or when its next work comes due."""
        if report.error and not report.gone:
            backoff = float(min(2 ** min(failures, 9), RETRY_CAP_SECONDS))
            report.retry_in = max(backoff, report.retry_in or 0.0)
        elif not report.interrupted and report.due_in is None:
            report.wake_in = self._wake_in(report.portal_id)

    def _finish(self, portal_id: int, holder: str, client: PortalClient, report: LaneRun) -> int:
        """Save the bucket and give the lease back; a lost lease is the new holder's: left alone."""
        if report.lost:
            self.leases.forget(portal_id, holder)
            return 0
        client.save_bucket()
        due = None if report.due_in is None else self.clock.now() + timedelta(seconds=report.due_in)
        failures, report.queued = self.leases.release(
            portal_id, holder, report.error, due=due, resume_step=report.resume_step
        )
        return failures

    def _not_before(self, exc: PortalError) -> float | None:
        """Seconds until the portal's own reset time (``OPERATION_TIME_LIMIT``), if it named one."""
        if isinstance(exc, PortalUnavailable) and exc.retry_at is not None:
            return max(exc.retry_at - self.clock.now().timestamp(), 0.0)
        return None

    def _mark_gone(self, portal_id: int, error: str) -> None:
        """The portal is deleted: mark it (the status shows it, the sweep skips it); no retry is
        scheduled. Installing the application again clears the mark."""
        with self.db.transaction() as session:
            portal = session.get_one(Portal, portal_id)
            if portal.gone_at is None:
                portal.gone_at = self.clock.now()
            portal.gone_reason = error[:1000]
        log.error("lane.portal_deleted", extra={"portal_id": portal_id, "error": error[:200]})

    def _pause(self, seconds: float) -> None:
        """The client's pacing wait: no thread sits it out, the lane yields and is due again then."""
        if self.stopping.is_set():
            raise LaneInterrupted()
        raise LaneYield(seconds)

    def _loop(self, ctx: LaneContext, report: LaneRun, max_rounds: int, holder: str, first: int) -> None:
        health = StepHealth.load(self.db, ctx.portal_id, self.clock)
        started = time.monotonic()
        # A run that used up its turn goes on where it stopped (``first``, kept in the lease), so a
        # long step (a deal backlog) does not keep the steps after it (the deliveries) waiting
        # until it is drained, whichever worker process runs the lane next.
        first = first if first < len(self.steps) else 0
        while report.rounds < max_rounds:
            report.rounds += 1
            busy = False
            ctx.agenda = read_agenda(self.db, ctx.portal_id, self.clock.now())
            for index, (name, step) in enumerate(self.steps[first:], start=first):
                ctx.check_stop()
                if health.ready(name) and self._step(ctx, name, step, health):
                    busy = True
                    report.steps[name] = report.steps.get(name, 0) + 1
                if ctx.stopped:
                    return
                if busy and time.monotonic() - started >= self.hold_seconds:
                    report.resume_step = (index + 1) % len(self.steps)
                    raise LaneYield(0.0)  # its turn is over: to the back of the queue, work and all
            if not busy and first == 0:
                return
            first = 0
            if not self.leases.renew(ctx.portal_id, holder):
                raise LaneLost()

    @staticmethod
    def _step(ctx: LaneContext, name: str, step: LaneStep, health: StepHealth) -> bool:
        """One step; a failure that is not the portal being unavailable degrades this step only."""
        try:
            found = step(ctx)
        except LaneHandOff:
            raise
        except PortalError as exc:
            if exc.retryable or isinstance(exc, PortalGone):  # the whole run waits, or ends for good
                raise
            health.failed(name, exc)
            return False
        except Exception as exc:  # noqa: BLE001 - a bug in one step must not stop the others
            health.failed(name, exc)
            return False
        health.recovered(name)
        return found

    def _wake_in(self, portal_id: int) -> float | None:
        """Seconds until the earliest retry that comes due, if no wake-up is scheduled by then.

        Only future times count: what is due now and still waiting belongs to a step that is
        backing off, and that step's own retry time is one of the probes.
        """
        now = self.clock.now()
        with self.db.transaction() as session:
            times = [at for probe in self.wake_probes if (at := probe(session, portal_id, now))]
            if not times:
                return None
            earliest = min(times)
            lease = session.get_one(LaneLease, portal_id)
            if lease.wake_at is not None and now < lease.wake_at <= earliest:
                return None  # an earlier (or the same) wake-up is already scheduled
            lease.wake_at = earliest
        return max((earliest - now).total_seconds(), SHORTEST_WAKE_SECONDS)
