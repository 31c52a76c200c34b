"""Intake benchmark: the events endpoint against a bare Flask endpoint served the same way.

Both are served the way production serves the app (gunicorn, ``gthread`` workers, in their own
processes, so the load generator does not share their interpreter) and take the same load:
``clients`` threads, each with its own keep-alive session, posting the form Bitrix24 sends for
``ONCRMDEALUPDATE``. The real app records each event in the database and wakes the portal's
lane in the SQLite job queue. Goals: ≥ 0.5× the bare endpoint's requests/s, p99 < 20 ms.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests

from bench.common import CLIENT_ID, CLIENT_SECRET, stand, wait_for

PACED_RATE = 100  # events/s: a busy portal's delivery rate, about half of what the endpoint takes
GUNICORN = ["-k", "gthread", "--workers", "1", "--threads", "8", "--log-level", "warning"]


@contextmanager
def gunicorn(target: str, env: dict[str, str]) -> Iterator[str]:
    """Serve ``target`` with gunicorn on a free port; yields the events URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "gunicorn", *GUNICORN, "-b", f"127.0.0.1:{port}", target]
    proc = subprocess.Popen(command, env={**os.environ, **env})
    try:
        wait_for(lambda: _answers(f"http://127.0.0.1:{port}/health"), timeout=30, poll=0.1)
        yield f"http://127.0.0.1:{port}/events"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code < 500
    except requests.RequestException:
        return False


def load(
    url: str, form: Callable[[int], dict[str, str]], total: int, clients: int, rate: float | None = None
) -> dict[str, Any]:
    """``total`` posts from ``clients`` threads: as fast as answers come (closed loop), or with
    ``rate`` set, at that many requests per second in all (open loop, as a portal delivers
    events), so latency is measured below saturation rather than as queueing."""
    latencies: list[float] = []
    lock = threading.Lock()
    per_client = total // clients

    def client(index: int) -> None:
        session = requests.Session()
        mine = []
        began = time.perf_counter()
        for n in range(per_client):
            if rate:  # this client's share of the schedule, staggered against the others
                due = began + (n + index / clients) * clients / rate
                time.sleep(max(0.0, due - time.perf_counter()))
            start = time.perf_counter()
            answer = session.post(url, data=form(index * per_client + n), timeout=10)
            mine.append(time.perf_counter() - start)
            answer.raise_for_status()
        with lock:
            latencies.extend(mine)

    for warm in range(20):
        requests.post(url, data=form(10_000_000 + warm), timeout=10).raise_for_status()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
    }


def run(total: int = 4000, clients: int = 4) -> dict[str, Any]:
    s = stand()
    token = s.portal.apps[CLIENT_ID].application_token

    def form(n: int) -> dict[str, str]:
        return {
            "event": "ONCRMDEALUPDATE",
            "event_handler_id": "1",
            "data[FIELDS][ID]": str(1 + n % 500),
            "ts": str(int(time.time())),
            "auth[domain]": s.portal.domain,
            "auth[member_id]": s.portal.member_id,
            "auth[application_token]": token,
        }

    env = {
        "APP_ENV": "production",
        "DATABASE_URL": s.url,
        "SECRET_KEY": "bench",
        "B24_CLIENT_ID": CLIENT_ID,
        "B24_CLIENT_SECRET": CLIENT_SECRET,
        "QUEUE_PATH": os.path.join(tempfile.mkdtemp(), "queue.sqlite3"),
        "LOG_LEVEL": "WARNING",
    }
    try:
        with gunicorn("bench.bare:app", env) as bare_url:
            bare = load(bare_url, form, total, clients)
            bare_paced = load(bare_url, form, total // 4, clients, rate=PACED_RATE)
        with gunicorn("b24app.wsgi:app", env) as events_url:
            ours = load(events_url, form, total, clients)
            ours_paced = load(events_url, form, total // 4, clients, rate=PACED_RATE)
    finally:
        s.close()
    return {
        f"bare_{clients}_clients": bare,
        f"events_{clients}_clients": ours,
        "throughput_ratio": round(ours["rps"] / bare["rps"], 3),
        f"bare_{PACED_RATE}_per_s": bare_paced,
        f"events_{PACED_RATE}_per_s": ours_paced,
    }


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m bench.intake", description=__doc__.split("\n\n")[0])
    parser.add_argument("--total", type=int, default=4000, help="events posted at saturation (4000)")
    parser.add_argument("--clients", type=int, default=4, help="keep-alive clients posting at once (4)")
    options = parser.parse_args()
    print(json.dumps(run(options.total, options.clients), indent=2))
