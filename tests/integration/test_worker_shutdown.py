"""SIGTERM (every deploy) is graceful: the worker hands its lane back and the next worker takes the
portal over within seconds, not when the lease expires (real ``python -m b24app.worker`` processes
sharing a SQLite job queue)."""

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
from sqlalchemy import create_engine, select

from b24app.db import Database
from b24app.models import LaneLease
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
        # The gateway paces this portal at one request per 20 s: a run holds its lane while it waits.
        "PORTAL_RATE": "0.05",
        "PORTAL_BURST": "1",
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


def test_sigterm_hands_the_lane_to_the_next_worker_within_5_seconds(
    database: Database, emulator: Emulator, tmp_path: Path, workers: Callable[[], Worker]
) -> None:
    app = AppHarness(
        database.url,
        oauth_url=emulator.oauth_url(),
        overrides={"queue_memory": False, "queue_path": str(tmp_path / "queue.sqlite3")},
    )
    reader = create_engine(database.url)

    def holder() -> str | None:
        with reader.connect() as conn:
            return conn.execute(select(LaneLease.holder)).scalar_one_or_none()

    try:
        portal = emulator.add_portal()
        driver.install_api(emulator, portal, CLIENT_ID, app.base_url + "/install")
        app.drain()  # provisioned here; from now on the worker processes run the lane
        contact = driver.create_contact(emulator, portal, NAME="Ann")
        driver.create_deal(emulator, portal, OPPORTUNITY="1000", CONTACT_ID=contact, STAGE_ID="WON")
        first = workers()
        first_holder = _until(holder, timeout=30)  # the first worker runs the lane, waiting on pacing
        second = workers()
        _until(lambda: second.said("worker.started"), timeout=30)
        signalled = time.monotonic()
        first.process.send_signal(signal.SIGTERM)
        taken_by = _until(lambda: (h := holder()) not in (None, first_holder) and h, timeout=30)
        took = time.monotonic() - signalled
        assert taken_by != first_holder and took <= 5, f"the lane was taken over after {took:.1f} s"
        assert first.process.wait(timeout=5) == 0 and first.said("lane.handed_back")
    finally:
        app.close()
        reader.dispose()
