"""The app under test served over real HTTP, with an in-memory queue that tests drain by hand."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from b24app.clock import Clock
from b24app.container import Container
from b24app.factory import build_container, create_app

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
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def db(self) -> Any:
        return self.container.db

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
        # Delayed tasks due now run once; retries they schedule wait for the next drain.
        now = datetime.now(UTC).replace(tzinfo=None) + self.skew
        due = set()
        for task in huey.read_schedule(now):
            due.add(task.id)
            huey.enqueue(task)
        while ran < max_tasks:
            task = huey.dequeue()
            if task is None:
                return ran
            # A due task runs at the skewed time (else huey would put it back on the schedule).
            huey.execute(task, timestamp=now if task.id in due else None)
            ran += 1
        raise AssertionError(f"the queue did not drain within {max_tasks} tasks")

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
