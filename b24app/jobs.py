"""The job queue: Huey on SQLite by default, Redis when configured, in-process for tests."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from huey import Huey, MemoryHuey, PriorityRedisHuey, SqliteHuey, crontab
from huey.exceptions import RetryTask

from b24app.config import Settings
from b24app.lanes import Lanes

log = logging.getLogger(__name__)
LOCKED_RETRY_SECONDS = 2
# Queue priorities: a lane asked for by new work (an event, an install) goes first; a lane that
# comes back with a backlog (its turn ended, or its bucket has room again) loses a step of
# priority with each turn in a row, down to CONTINUED. A quiet portal's deal (a turn or two)
# never queues behind a busy portal's thousands, and busy portals take turns round-robin.
FRESH, CONTINUED = 10, 0
CONTINUE_TASK = "lane_continue"


def make_huey(settings: Settings, name: str = "bonus") -> Huey:
    """Pick the queue storage from the settings (the SQLite queue's directory is created)."""
    if settings.queue_memory:
        return MemoryHuey(name)
    if settings.redis_url:
        # Priorities need a sorted set, not Huey's plain Redis list; a new key name, because a
        # list left under the old one by an earlier release cannot be read as a sorted set.
        return PriorityRedisHuey(f"{name}-lanes", url=settings.redis_url)
    Path(settings.queue_path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=settings.queue_path)


def queue_kind(settings: Settings) -> str:
    """``memory``, ``redis`` or ``sqlite`` (what the worker's start line says; no URL, no password)."""
    if settings.queue_memory:
        return "memory"
    return "redis" if settings.redis_url else "sqlite"


class JobQueue:
    """The enqueue side used by the web process, plus the task bodies the worker runs."""

    def __init__(
        self,
        huey: Huey,
        lanes: Lanes,
        periodic: list[tuple[str, Callable[[], Any], int]],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.huey = huey
        self.lanes = lanes
        self.now = now  # the queue's time, which delayed runs are scheduled on (tests move it)
        self._lane_task = huey.task(name="lane")(self._run_lane)
        # A run that yielded with work left: its delay is the portal's bucket, in real seconds.
        self._continue_task = huey.task(name=CONTINUE_TASK)(self._run_lane)
        for name, fn, minutes in periodic:
            huey.periodic_task(crontab(minute=f"*/{minutes}"), name=name)(fn)

    def enqueue_lane(self, portal_id: int, *, force: bool = False, delay: float | None = None) -> bool:
        """Ask for a lane run; coalesced so a burst of events queues one job, not a thousand.

        ``delay``: a failed run's retry. No thread waits it out, and when it comes due it goes
        first (work that has waited already, not a backlog): a portal whose lane failed once,
        e.g. a timeout under load, does not queue behind the busy portals' turns as well.
        """
        if not self.lanes.mark_queued(portal_id) and not force:
            return False
        if delay:
            self._lane_task.schedule((portal_id,), eta=self._eta(delay), priority=FRESH)
        else:
            self._now(portal_id, FRESH)
        return True

    def wake_lane(self, portal_id: int, delay: float) -> None:
        """A run after ``delay`` seconds, when a retry comes due.

        It leaves the queued flag alone: an event arriving meanwhile still gets its own run at once.
        """
        self._lane_task.schedule((portal_id,), eta=self._eta(delay), priority=CONTINUED)

    def continue_lane(self, portal_id: int, delay: float, turns: int) -> None:
        """The lane yielded with work left (its queued flag is up): it runs again after ``delay``
        seconds, or at once behind the lanes that had fewer turns; no thread waits in between."""
        priority = max(CONTINUED, FRESH - turns)
        if delay > 0:
            self._continue_task.schedule((portal_id, turns), eta=self._eta(delay), priority=priority)
        else:
            self.huey.enqueue(self._continue_task.s(portal_id, turns, priority=priority))

    def tend(self) -> list[int]:
        """The worker's heartbeat: renew the leases this process holds, and give the portals of a
        dead worker a run here: those whose lease ran out, and those whose queued run it took
        with it (due a lease's lifetime ago and never started)."""
        leases = self.lanes.leases
        leases.renew_held()
        revived = leases.revive_expired()
        for portal_id in revived:
            log.warning("lane.taken_over", extra={"portal_id": portal_id})
            self._now(portal_id, FRESH)
        # A queue this far behind would run the lane soon anyway: the extra job then finds nothing.
        lost = leases.revive_overdue(grace=leases.seconds)
        for portal_id in lost:
            log.warning("lane.lost_run_requeued", extra={"portal_id": portal_id})
            self._now(portal_id, CONTINUED)
        return revived + lost

    def _now(self, portal_id: int, priority: int) -> None:
        self.huey.enqueue(self._lane_task.s(portal_id, priority=priority))

    def _eta(self, delay: float) -> datetime:
        return self.now() + timedelta(seconds=delay)

    def _run_lane(self, portal_id: int, turns: int = 0) -> dict[str, Any]:
        """One lane run; ``turns``: how many runs in a row the lane had before this one."""
        report = self.lanes.run(portal_id)
        if report.interrupted:  # this process is stopping: the job goes back for the next worker
            self.enqueue_lane(portal_id, force=True)
        elif not report.acquired:
            raise RetryTask(eta=self._eta(LOCKED_RETRY_SECONDS))  # another job holds the lane
        elif report.due_in is not None:
            self.continue_lane(portal_id, report.due_in, turns + 1)
        elif report.retry_in is not None:
            log.info("lane.retry_scheduled", extra={"portal_id": portal_id, "delay": report.retry_in})
            self.enqueue_lane(portal_id, force=True, delay=report.retry_in)
        else:
            if report.wake_in is not None:  # kept even with a run queued now: the lease holds the
                self.wake_lane(portal_id, report.wake_in)  # wake-up time, no later run asks again
            if report.queued:  # work came during a run that left nothing behind: no backlog, so
                self.continue_lane(portal_id, 0.0, 1)  # one turn's priority, whatever the lane had
        return {"rounds": report.rounds, "requests": report.requests, "error": report.error}

    def pending_count(self) -> int:
        return int(self.huey.pending_count())
