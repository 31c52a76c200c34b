"""Deployment: the Procfile's three lines start on a fresh clone with only the four documented
variables set; a configuration problem is one line naming the variable."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.dbsupport import BACKENDS, PG_ADMIN_URL

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def fresh_clone(into: Path) -> Path:
    """``git clone`` of this repository, with the working tree's changes laid over it, so what
    starts is the code under test (on a committed tree the two are the same)."""
    clone = into / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, clone / name)
    assert not (clone / "instance").exists() and not (clone / ".venv").exists()
    return clone


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nothing has touched: a SQLite file in a directory that does not exist yet, or a
    new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/data/bonus.sqlite3"
        return
    name = f"bonus_deploy_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{PG_ADMIN_URL.rpartition('/')[0]}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def procfile(clone: Path) -> dict[str, str]:
    lines = (clone / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def only(**variables: str) -> dict[str, str]:
    """The four variables (and the platform's PATH and PORT), nothing else from this process."""
    return {"PATH": f"{VENV_BIN}:{os.environ['PATH']}", **variables}


def test_the_procfile_starts_on_a_fresh_clone(tmp_path: Path, empty_database_url: str) -> None:
    clone = fresh_clone(tmp_path)
    lines = procfile(clone)
    assert set(lines) == {"release", "web", "worker"}
    port = free_port()
    env = only(
        DATABASE_URL=empty_database_url,
        SECRET_KEY="deploy-test",
        B24_CLIENT_ID="local.deploy.test",
        B24_CLIENT_SECRET="deploy-secret",
        PORT=str(port),
    )
    release = subprocess.run(
        lines["release"], shell=True, cwd=clone, env=env, capture_output=True, timeout=120
    )
    assert release.returncode == 0, release.stderr.decode()
    logs = tmp_path / "logs"
    logs.mkdir()
    started = [
        subprocess.Popen(
            lines[name],
            shell=True,
            cwd=clone,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(logs / name).open("wb"),
            start_new_session=True,
        )
        for name in ("web", "worker")
    ]
    try:
        assert _healthy(f"http://127.0.0.1:{port}/healthz", started), (logs / "web").read_text()
        assert all(p.poll() is None for p in started), (logs / "worker").read_text()
        assert '"event": "worker.started"' in _wait_for_line(logs / "worker", "worker.started")
    finally:
        for process in started:
            os.killpg(process.pid, signal.SIGTERM)
        for process in started:
            process.wait(timeout=30)
    beside_the_database = Path(empty_database_url.removeprefix("sqlite:///")).parent / "queue.sqlite3"
    on_sqlite = empty_database_url.startswith("sqlite")
    assert (beside_the_database if on_sqlite else clone / "instance" / "queue.sqlite3").is_file()


def _healthy(url: str, processes: list[subprocess.Popen[bytes]], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and all(p.poll() is None for p in processes):
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.2)
    return False


def _wait_for_line(path: Path, needle: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = path.read_text()
        if needle in content:
            return content
        time.sleep(0.1)
    return path.read_text()


@pytest.mark.parametrize("entry", [["b24app.cli", "portals"], ["b24app.worker"]])
def test_a_missing_secret_is_one_line_naming_it_and_exit_status_2(tmp_path: Path, entry: list[str]) -> None:
    env = only(DATABASE_URL=f"sqlite:///{tmp_path}/bonus.sqlite3", B24_CLIENT_ID="id", B24_CLIENT_SECRET="x")
    done = subprocess.run([sys.executable, "-m", *entry], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == "configuration error: SECRET_KEY must be set when APP_ENV=production\n"
