"""The app under test served over real HTTP, with an in-memory queue that tests drain by hand."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from b24app.clock import Clock, FrozenClock
from b24app.container import Container
from b24app.jobs import CONTINUE_TASK
from bootstrap.container import build_container
from bootstrap.web import create_app

CLIENT_ID = "local.test.app"
CLIENT_SECRET = "test-secret"


class AppHarness:
    """Builds the container from test settings and serves the Flask app on a free port."""

    def __init__(
        self,
        database_url: str,
        *,
        oauth_url: str,
        clock: Clock | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, _Lazy(), threaded=True)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        settings = {
            "app_env": "test",
            "database_url": database_url,
            "queue_memory": True,
            "app_base_url": self.base_url,
            "b24_client_id": CLIENT_ID,
            "b24_client_secret": CLIENT_SECRET,
            "b24_oauth_url": oauth_url,
            "portal_timeout": 5.0,
            **(overrides or {}),
        }
        self.container: Container = build_container(settings, clock=clock)
        self.app = create_app(container=self.container)
        self._server.app = self.app  # type: ignore[attr-defined]
        self.skew = timedelta(0)  # move forward to run delayed retries now
        self.container.jobs.now = lambda: datetime.now(UTC) + self.skew  # delayed runs use skewed time
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def db(self) -> Any:
        return self.container.db

    def now(self) -> datetime:
        """The queue's idea of now (naive UTC, like Huey's): the real time moved on by ``skew``."""
        return datetime.now(UTC).replace(tzinfo=None) + self.skew

    def drain(self, max_tasks: int = 500) -> int:
        """Run queued jobs (and delayed ones once due) until the queue is empty; returns how many ran."""
        if _event_loop_running():
            # Playwright's sync API keeps a loop running in the test's thread, and the gateway's
            # asyncio.run refuses to nest: run the jobs in a thread of their own, as a worker would.
            with ThreadPoolExecutor(max_workers=1) as pool:
                return pool.submit(self._drain, max_tasks).result()
        return self._drain(max_tasks)

    def _drain(self, max_tasks: int) -> int:
        huey = self.container.jobs.huey
        ran = 0
        # Delayed tasks due by the queue's (skewed) time run once ...
        now = self.now()
        for task in huey.read_schedule(now):
            huey.execute(task, now)
            ran += 1
        while ran < max_tasks:
            task = huey.dequeue()
            if task is None:
                if not self._await_continued_lane():
                    return ran
                for due in huey.read_schedule(self.now()):  # a lane that waited for its bucket
                    huey.execute(due, self.now())
                    ran += 1
                continue
            huey.execute(task)  # ... and what they delay goes to the schedule for a later drain
            ran += 1
        raise AssertionError(f"the queue did not drain within {max_tasks} tasks")

    def _await_continued_lane(self) -> bool:
        """A lane yielded for its portal's bucket (real time): wait until it is due, as a worker would."""
        huey = self.container.jobs.huey
        etas = [t.eta for t in huey.scheduled() if t.name == CONTINUE_TASK and t.eta is not None]
        if not etas:
            return False
        time.sleep(min(max((min(etas) - self.now()).total_seconds(), 0.0), 60.0))
        return True

    def next_scheduled(self) -> timedelta | None:
        """How long until the earliest delayed job (a lane retry or wake-up) is due; None if none is."""
        etas = [task.eta for task in self.container.jobs.huey.scheduled() if task.eta is not None]
        return max(min(etas) - self.now(), timedelta(0)) if etas else None

    def wait_for_next_job(self, clock: FrozenClock) -> timedelta | None:
        """Move the queue's time and ``clock`` together to the earliest delayed job, then drain.

        Returns how far time moved (None: nothing was scheduled). Half a second is added so a job
        scheduled for a time computed on ``clock`` finds what it was woken for due.
        """
        wait = self.next_scheduled()
        if wait is None:
            return None
        step = wait + timedelta(milliseconds=500)
        self.skew += step
        clock.advance(seconds=step.total_seconds())
        self.drain()
        return step

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
        self.container.db.dispose()


def _event_loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class _Lazy:
    """Placeholder WSGI app until the real one is attached (the port is needed to build it)."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
        return iter([b"starting"])


def portal_id_of(harness: AppHarness) -> int:
    """The id of the only portal the harness's database knows."""
    from sqlalchemy import select

    from b24app.models import Portal

    with harness.db.transaction() as session:
        return int(session.execute(select(Portal.id)).scalar_one())
