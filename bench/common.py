"""Shared set-up for the benchmarks: a migrated database, the emulator, the app and a worker thread."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from b24app import i18n
from b24app.db import Database
from tests.emulator import driver
from tests.emulator.portal import Portal
from tests.emulator.server import Emulator
from tests.harness import AppHarness

CLIENT_ID, CLIENT_SECRET = "local.bench.app", "bench-secret"


def database_url() -> str:
    """``BENCH_DATABASE_URL`` (e.g. a PostgreSQL database) or a fresh SQLite file."""
    return os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"


def migrate(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config("migrations/alembic.ini")
    cfg.attributes["database_url"] = url
    command.upgrade(cfg, "head")


@dataclass
class Stand:
    emu: Emulator
    app: AppHarness
    portal: Portal
    url: str
    worker: Worker | None = None
    process: subprocess.Popen[bytes] | None = None

    def close(self) -> None:
        if self.worker:
            self.worker.stop()
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.app.close()
        Database(self.url).dispose()
        self.emu.stop()


def stand(*, worker_process: bool = False) -> Stand:
    """Emulator with its default limiter (burst 50, 2 requests/s), the app installed on one portal.

    With ``worker_process`` the jobs run where production runs them: ``python -m b24app.worker``
    in its own process, sharing a SQLite job queue with the web app served here.
    """
    emu = Emulator(limits_enabled=True).start()
    emu.register_app(CLIENT_ID, CLIENT_SECRET)
    url = database_url()
    if url.startswith("postgresql"):
        reset_postgres(url)
    migrate(url)
    queue = os.path.join(tempfile.mkdtemp(), "queue.sqlite3")
    # Warnings and errors only: the figures go to stdout, and a benchmark's own progress to stderr.
    overrides = {"b24_client_id": CLIENT_ID, "b24_client_secret": CLIENT_SECRET, "log_level": "WARNING"}
    if worker_process:
        overrides.update(queue_memory=False, queue_path=queue)
    app = AppHarness(url, oauth_url=emu.oauth_url(), overrides=overrides)
    portal = emu.add_portal(domain="bench.bitrix24.test", lang="ru")
    s = Stand(emu, app, portal, url)
    if worker_process:
        env = {
            **os.environ,
            "APP_ENV": "production",
            "DATABASE_URL": url,
            "QUEUE_PATH": queue,
            "SECRET_KEY": "bench",
            "B24_CLIENT_ID": CLIENT_ID,
            "B24_CLIENT_SECRET": CLIENT_SECRET,
            "B24_OAUTH_URL": emu.oauth_url(),
            "APP_BASE_URL": app.base_url,
            "LOG_LEVEL": "WARNING",
        }
        s.process = subprocess.Popen([sys.executable, "-m", "b24app.worker"], env=env)
    else:
        s.worker = Worker(app).start()
    driver.install_api(emu, portal, CLIENT_ID, app.base_url + "/install")
    wait_for(lambda: bool(portal.types) and registry_items(portal) == 0 and _installed(app), timeout=120)
    settle(emu, portal)
    return s


def _installed(app: AppHarness) -> bool:
    from sqlalchemy import select

    from b24app.models import Portal as PortalRow

    with app.db.transaction() as session:
        return session.execute(select(PortalRow.status)).scalar_one_or_none() == "installed"


def settle(emu: Emulator, portal: Portal) -> None:
    """Wait until the portal's leaky bucket is empty again, so a run starts with the full burst."""
    profile = emu.profile(portal)
    wait_for(lambda: emu.limiter.level(portal.member_id, profile) < 0.5, timeout=120, poll=0.1)
    time.sleep(0.5)


def reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@dataclass
class Worker:
    """The Huey consumer's job, run in a thread: drain the queue, run delayed jobs when due."""

    app: AppHarness
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Worker:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            if not self.app.drain(max_tasks=100_000):
                time.sleep(0.01)

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)


def wait_for(done: Callable[[], bool], timeout: float, poll: float = 0.01) -> float:
    """Seconds until ``done()``; raises TimeoutError after ``timeout``."""
    start = time.monotonic()
    while not done():
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"not done within {timeout} s")
        time.sleep(poll)
    return time.monotonic() - start


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# The app makes a second smart process for approvals; the registry is the other one.
REQUEST_TITLES = {i18n.t(language, "Bonus requests") for language in ("ru", "en")}


def registry_items(portal: Portal) -> int:
    types = [t for t in portal.types.values() if t.get("title") not in REQUEST_TITLES]
    return len(portal.items[types[0]["entityTypeId"]]) if types else 0
