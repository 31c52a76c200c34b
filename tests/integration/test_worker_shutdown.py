"""SIGTERM (every deploy) is graceful: the worker exits within seconds and the next worker carries
the portal's lane on; a lane waiting for its portal's bucket holds no lease and no thread (real
``python -m b24app.worker`` processes sharing a SQLite job queue)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from sqlalchemy import create_engine, func, select

from b24app.db import Database
from b24app.models import LaneLease
from registry.ledger.models import LedgerEntry
from tests.emulator import driver
from tests.emulator.pytest_plugin import CLIENT_ID, CLIENT_SECRET
from tests.emulator.server import Emulator
from tests.harness import AppHarness


class Worker:
    """A worker process whose stderr is collected as it comes."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "b24app.worker"], env=env, stderr=subprocess.PIPE, text=True
        )
        self.lines: list[str] = []
        assert self.process.stderr is not None
        threading.Thread(target=self._read, args=(self.process.stderr,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line)

    def said(self, event: str) -> bool:
        return any(f'"event": "{event}"' in line for line in self.lines)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)


@pytest.fixture
def workers(database: Database, emulator: Emulator, tmp_path: Path) -> Iterator[Callable[[], Worker]]:
    started: list[Worker] = []
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": database.url,
        "QUEUE_PATH": str(tmp_path / "queue.sqlite3"),
        "SECRET_KEY": "shutdown-test",
        "B24_CLIENT_ID": CLIENT_ID,
        "B24_CLIENT_SECRET": CLIENT_SECRET,
        "B24_OAUTH_URL": emulator.oauth_url(),
        # The gateway paces this portal at one request per 10 s: the lane yields between requests.
        "PORTAL_RATE": "0.1",
        "PORTAL_BURST": "1",
        "LOG_LEVEL": "DEBUG",  # lane entry and exit
    }

    def start() -> Worker:
        started.append(Worker(env))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


def _until(done: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = done()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s")


def test_a_waiting_lane_holds_nothing_and_sigterm_passes_it_to_the_next_worker(
    database: Database, emulator: Emulator, tmp_path: Path, workers: Callable[[], Worker]
) -> None:
    app = AppHarness(
        database.url,
        oauth_url=emulator.oauth_url(),
        overrides={"queue_memory": False, "queue_path": str(tmp_path / "queue.sqlite3")},
    )
    reader = create_engine(database.url)

    def lease() -> tuple[str | None, bool, object] | None:
        with reader.connect() as conn:
            row = conn.execute(select(LaneLease.holder, LaneLease.queued, LaneLease.wake_at)).first()
        return None if row is None else (row[0], row[1], row[2])

    def accrued() -> int:
        with reader.connect() as conn:
            query = select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "accrual")
            return int(conn.execute(query).scalar_one())

    try:
        portal = emulator.add_portal()
        driver.install_api(emulator, portal, CLIENT_ID, app.base_url + "/install")
        app.drain()  # provisioned here; from now on the worker processes run the lane
        contact = driver.create_contact(emulator, portal, NAME="Ann")
        driver.create_deal(emulator, portal, OPPORTUNITY="1000", CONTACT_ID=contact, STAGE_ID="WON")
        first = workers()
        # The bucket is full: the lane ran, gave its lease back and waits as a scheduled run,
        # queued (the deal's event had raised the flag and marked the run due before it started).
        _until(
            lambda: (
                first.said("lane.left") and (state := lease()) and state[0] is None and state[1] and state[2]
            ),
            timeout=30,
        )
        second = workers()
        _until(lambda: second.said("worker.started"), timeout=30)
        signalled = time.monotonic()
        first.process.send_signal(signal.SIGTERM)
        assert first.process.wait(timeout=10) == 0
        assert time.monotonic() - signalled <= 5
        _until(lambda: accrued() == 1, timeout=120)  # the second worker carried the lane on
        assert second.said("lane.entered")
        assert not first.said("lane.failed") and not second.said("lane.failed")
    finally:
        app.close()
        reader.dispose()
