"""The job queue: Huey on SQLite by default, Redis when configured, in-process for tests."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.exceptions import RetryTask

from b24app.config import Settings
from b24app.lanes import Lanes

log = logging.getLogger(__name__)
LOCKED_RETRY_SECONDS = 2


def make_huey(settings: Settings, name: str = "bonus") -> Huey:
    """Pick the queue storage from the settings (the SQLite queue's directory is created)."""
    if settings.queue_memory:
        return MemoryHuey(name)
    if settings.redis_url:
        return RedisHuey(name, url=settings.redis_url)
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
        for name, fn, minutes in periodic:
            huey.periodic_task(crontab(minute=f"*/{minutes}"), name=name)(fn)

    def enqueue_lane(self, portal_id: int, *, force: bool = False, delay: float | None = None) -> bool:
        """Ask for a lane run; coalesced so a burst of events queues one job, not a thousand."""
        if not self.lanes.mark_queued(portal_id) and not force:
            return False
        if delay:
            self._lane_task.schedule((portal_id,), eta=self._eta(delay))
        else:
            self._lane_task(portal_id)
        return True

    def wake_lane(self, portal_id: int, delay: float) -> None:
        """A run after ``delay`` seconds, when a retry comes due.

        It leaves the queued flag alone: an event arriving meanwhile still gets its own run at once.
        """
        self._lane_task.schedule((portal_id,), eta=self._eta(delay))

    def _eta(self, delay: float) -> datetime:
        return self.now() + timedelta(seconds=delay)

    def _run_lane(self, portal_id: int) -> dict[str, Any]:
        report = self.lanes.run(portal_id)
        if report.interrupted:  # this process is stopping: the job goes back for the next worker
            self.enqueue_lane(portal_id, force=True)
        elif not report.acquired:
            raise RetryTask(eta=self._eta(LOCKED_RETRY_SECONDS))  # another job holds the lane
        elif report.retry_in is not None:
            log.info("lane.retry_scheduled", extra={"portal_id": portal_id, "delay": report.retry_in})
            self.enqueue_lane(portal_id, force=True, delay=report.retry_in)
        elif report.wake_in is not None:
            self.wake_lane(portal_id, report.wake_in)
        return {"rounds": report.rounds, "requests": report.requests, "error": report.error}

    def pending_count(self) -> int:
        return int(self.huey.pending_count())
