"""Many portals on one deployment: the emulator, the app, worker processes and installs in parallel.

Every portal is installed through the app's real install path (``ONAPPINSTALL`` to ``/install``,
confirmed with the emulator's OAuth server and ``user.admin``, provisioned by a worker's lane);
several installs are delivered at once to keep the set-up short. The set-up is timed on its own
(``setup_s``) and is not part of any measured figure.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import create_engine, func, select, text

from b24app.models import Portal as PortalRow
from bench.common import CLIENT_ID, CLIENT_SECRET, database_url, migrate, reset_postgres, wait_for
from bench.workers import WorkerProcess, worker_env
from tests.emulator import driver
from tests.emulator.portal import Portal
from tests.emulator.server import Emulator
from tests.harness import AppHarness

INSTALLS_AT_ONCE = 8
UNTHROTTLED = "1000000 per minute"  # every install comes from 127.0.0.1 here, not from many portals


@dataclass(frozen=True)
class FleetOptions:
    """``burst`` is the emulator's leaky bucket (per portal) and what the workers are told it is."""

    portals: int
    burst: int = 50
    workers: int = 1
    database_url: str | None = None  # a migrated, empty database; None: a fresh one, as below
    # None here: BENCH_DATABASE_URL emptied (PostgreSQL) when ``postgres``, else a new SQLite file
    # (the embedded default: a run with BENCH_DATABASE_URL set keeps the other fleets on SQLite).
    postgres: bool = False
    redis_url: str | None = None  # the job queue on Redis; None: a SQLite queue file
    lease_seconds: int | None = None  # LANE_LEASE_SECONDS of the workers; None: the app's default
    log_dir: str | None = None  # the workers log at DEBUG to worker-{i}.log here (lane entry/exit)


@dataclass
class Fleet:
    """Start with ``open()``, stop with ``close()``; ``portals[i]`` is the emulator's portal model."""

    options: FleetOptions
    emu: Emulator = field(init=False)
    app: AppHarness = field(init=False)
    url: str = field(init=False)
    portals: list[Portal] = field(default_factory=list)
    workers: list[WorkerProcess] = field(default_factory=list)
    setup_s: float = 0.0

    def open(self) -> Fleet:
        started = time.monotonic()
        # Events out of the portal's queue after the call raising them, as on a real portal: the
        # app's balance-field writes are not held up by the echo events they cause.
        self.emu = Emulator(limits_enabled=True, queued_events=True).start()
        self.emu.register_app(CLIENT_ID, CLIENT_SECRET)
        # settings/performance/limits.md: every portal has its own bucket; the size is the plan's.
        self.emu.limiter.configure("basic", burst=self.options.burst)
        self.url = self.options.database_url or _fresh_database(self.options.postgres)
        self.app = AppHarness(self.url, oauth_url=self.emu.oauth_url(), overrides=self._app_settings())
        if self.options.redis_url:
            self.app.container.jobs.huey.flush()  # nothing left over from an earlier run
        self.workers = [
            WorkerProcess.start(self.worker_env(), self.worker_log(i)) for i in range(self.options.workers)
        ]
        self.install(self.options.portals)
        self.setup_s = round(time.monotonic() - started, 1)
        return self

    def _app_settings(self) -> dict[str, object]:
        settings: dict[str, object] = {
            "b24_client_id": CLIENT_ID,
            "b24_client_secret": CLIENT_SECRET,
            "log_level": "WARNING",
            "queue_memory": False,
            "install_rate_limit": UNTHROTTLED,
        }
        if self.options.redis_url:
            settings["redis_url"] = self.options.redis_url
        else:
            settings["queue_path"] = os.path.join(tempfile.mkdtemp(), "queue.sqlite3")
        return settings

    def worker_env(self) -> dict[str, str]:
        """A production worker's environment: same database and queue as the app served here."""
        queue = self.app.container.settings
        settings = {
            "DATABASE_URL": self.url,
            "SECRET_KEY": "bench",
            "B24_CLIENT_ID": CLIENT_ID,
            "B24_CLIENT_SECRET": CLIENT_SECRET,
            "B24_OAUTH_URL": self.emu.oauth_url(),
            "APP_BASE_URL": self.app.base_url,
            "PORTAL_BURST": str(self.options.burst),
        }
        if queue.redis_url:
            settings["REDIS_URL"] = queue.redis_url
        else:
            settings["QUEUE_PATH"] = queue.queue_path
        if self.options.lease_seconds is not None:
            settings["LANE_LEASE_SECONDS"] = str(self.options.lease_seconds)
        if self.options.log_dir is not None:
            settings["LOG_LEVEL"] = "DEBUG"
        return worker_env(settings)

    def worker_log(self, index: int) -> str | None:
        """Where worker ``index`` logs (None: to our stderr, at WARNING)."""
        if self.options.log_dir is None:
            return None
        return os.path.join(self.options.log_dir, f"worker-{index}.log")

    def install(self, count: int) -> list[Portal]:
        """Add ``count`` portals, install the app on each (several at once), wait until provisioned."""
        first = len(self.portals)
        added = [
            self.emu.add_portal(domain=f"p{first + i:04d}.bitrix24.test", lang="ru") for i in range(count)
        ]
        with ThreadPoolExecutor(max_workers=INSTALLS_AT_ONCE) as pool:
            statuses = list(pool.map(self._install_one, added))
        refused = [s for s in statuses if s != 200]
        if refused:
            raise RuntimeError(f"{len(refused)} installs were answered {sorted(set(refused))}")
        self.portals += added
        wait_for(lambda: self.installed() >= len(self.portals), timeout=120 + 2 * count, poll=0.2)
        self.settle()
        return added

    def _install_one(self, portal: Portal) -> int | None:
        return driver.install_api(self.emu, portal, CLIENT_ID, self.app.base_url + "/install").status

    def installed(self) -> int:
        with self.app.db.transaction() as session:
            query = select(func.count()).select_from(PortalRow).where(PortalRow.status == "installed")
            return int(session.execute(query).scalar_one())

    def settle(self, timeout: float = 600) -> None:
        """Wait until no portal is being called and every portal's bucket is empty again."""
        wait_for(self._quiet, timeout=timeout, poll=0.0)
        profile = self.emu.limiter.basic
        levels = self.emu.limiter.level
        wait_for(lambda: all(levels(p.member_id, profile) < 0.5 for p in self.portals), timeout, poll=0.1)
        time.sleep(0.5)

    def _quiet(self) -> bool:
        seen = self.emu.stats.http_requests
        time.sleep(1.0)
        return self.emu.stats.http_requests == seen

    def hold(self) -> None:
        """Freeze every worker at a moment when none of them holds a database or queue lock.

        A worker frozen inside a write would stall the app's intake: such a moment is let go and
        another one tried.
        """
        for _ in range(100):
            for worker in self.workers:
                worker.hold()
            if self._nothing_locked():
                return
            self.release()
            time.sleep(0.02)
        raise RuntimeError("the workers never paused outside a transaction")

    def _nothing_locked(self) -> bool:
        settings = self.app.container.settings
        files = [] if settings.redis_url else [settings.queue_path]
        if self.url.startswith("sqlite:///"):
            files.append(self.url.removeprefix("sqlite:///"))
        return all(_writable(path) for path in files) and not _open_transactions(self.url)

    def release(self) -> None:
        for worker in self.workers:
            worker.release()

    def worker_cpu_s(self) -> float:
        return sum(worker.cpu_seconds() for worker in self.workers)

    def worker_peak_rss_mb(self) -> float:
        return max((worker.peak_rss_mb() for worker in self.workers), default=0.0)

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.app.close()
        self.emu.stop()


def _writable(path: str) -> bool:
    """Whether a write transaction on this SQLite file can begin now (nobody holds the write lock)."""
    connection = sqlite3.connect(path, timeout=0)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.rollback()
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()


def _open_transactions(url: str) -> int:
    """PostgreSQL sessions of this database left inside a transaction (0 on SQLite)."""
    if not url.startswith("postgresql"):
        return 0
    engine = create_engine(url)
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
    )
    try:
        with engine.connect() as connection:
            return int(connection.execute(query).scalar_one())
    finally:
        engine.dispose()


def _fresh_database(postgres: bool) -> str:
    """``BENCH_DATABASE_URL`` emptied (PostgreSQL fleets), else a new SQLite file; migrated to head."""
    url = database_url() if postgres else f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    if url.startswith("postgresql"):
        reset_postgres(url)
    migrate(url)
    return url
