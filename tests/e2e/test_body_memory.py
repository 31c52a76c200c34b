"""A 20 MB body costs the web process almost nothing: 413 before it is read (gunicorn as in the Procfile)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from b24app.db import Database

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _peak_rss_mb(pid: int) -> float:
    """VmHWM: the most resident memory the process ever had."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


@pytest.fixture
def served(database: Database, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """The web process as the Procfile runs it; yields its URL and the gunicorn worker's pid."""
    port = _free_port()
    env = {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": database.url,
        "QUEUE_PATH": str(tmp_path / "queue.sqlite3"),
        "PORT": str(port),
    }
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--threads", "8"]
    server = subprocess.Popen(
        [*command, "--worker-class", "gthread", "b24app.wsgi:app"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(base + "/healthz", timeout=1)
                break
            except (requests.ConnectionError, requests.Timeout):  # not listening, or still booting
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        workers = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        yield base, int(workers[0])
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_twenty_megabyte_bodies_get_413_without_being_read(served: tuple[str, int]) -> None:
    base, worker = served
    small = {"event": "ONCRMDEALUPDATE", "auth[member_id]": "m", "auth[application_token]": "t"}
    for path in ("/events", "/robots/bonus_writeoff", "/install", "/placements/tab"):
        requests.post(base + path, data=small, timeout=5)  # every code path loaded: that is idle
    idle = _peak_rss_mb(worker)
    big = "x" * (20 * MB)
    answers = [
        requests.post(base + path, data={"auth[member_id]": big}, timeout=30).status_code
        for path in ("/events", "/robots/bonus_writeoff", "/install", "/placements/tab", "/")
    ]
    answers.append(
        requests.post(
            base + "/events", data=big, headers={"Content-Type": "application/json"}, timeout=30
        ).status_code
    )
    assert answers == [413] * 6

    def chunks() -> Iterator[bytes]:  # no Content-Length: gunicorn hands the app an empty body
        for _ in range(20):
            yield b"x" * MB

    chunked = requests.post(
        base + "/events",
        data=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )
    assert chunked.status_code == 400
    assert _peak_rss_mb(worker) - idle < 100
