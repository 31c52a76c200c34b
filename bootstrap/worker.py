"""Worker entry point: ``python -m b24app.worker`` runs the Huey consumer with periodic jobs.

SIGTERM (every deploy) and SIGINT stop it gracefully: a lane run in progress gives its lane back
at the next safe point (between steps, or instead of waiting out the portal's pacing), its job
goes back to the queue for the next worker, and the process exits within a few seconds.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any

from b24app import i18n
from b24app.config import ConfigError
from b24app.container import Container
from b24app.jobs import queue_kind
from b24app.logs import configure_logging
from bootstrap.consumer import PromptConsumer
from bootstrap.container import build_container

log = logging.getLogger("b24app.worker")
TEND_SECONDS = 2.0  # how often the heartbeat renews this process's leases and looks for dead ones


def tend_lanes(container: Container, stopping: threading.Event) -> threading.Thread:
    """One thread per process (not per portal): renews the leases it holds, takes over the lanes
    of a worker that died (SIGKILL, OOM), until the process stops."""
    every = min(TEND_SECONDS, container.settings.lane_lease_seconds / 4)

    def loop() -> None:
        while not stopping.wait(every):
            try:
                container.jobs.tend()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the heartbeat
                log.warning("lanes.tend_failed", exc_info=True)

    thread = threading.Thread(target=loop, name="lane-tender", daemon=True)
    thread.start()
    return thread


class GracefulConsumer(PromptConsumer):
    """Huey's consumer, but SIGTERM is graceful too, and stopping tells the lanes to hand back."""

    def __init__(self, huey: Any, stopping: threading.Event, **options: Any) -> None:
        super().__init__(huey, **options)
        self._stopping = stopping

    def _handle_stop_signal(self, sig_num: int, frame: Any) -> None:
        super()._handle_stop_signal(sig_num, frame)
        self._graceful = True  # Huey's SIGTERM abandons running tasks; ours finish or hand back

    def stop(self, graceful: bool = False) -> None:
        self.stop_flag.set()  # idle threads take no new job ...
        self._stopping.set()  # ... and a running lane gives its lane back
        super().stop(graceful=graceful)


def consumer(container: Container) -> GracefulConsumer:
    return GracefulConsumer(
        container.jobs.huey,
        container.lanes.stopping,
        workers=container.settings.worker_threads,
        worker_type="thread",
        periodic=True,
        check_worker_health=True,
        # An idle SQLite queue is polled at most every half second (Huey's default backs off to
        # 10 s), so an isolated won deal still reaches the portal within a couple of seconds.
        initial_delay=0.05,
        backoff=1.5,
        max_delay=0.5,
    )


def main() -> int:
    try:
        container = build_container()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(container.settings)
    settings = container.settings
    log.info(
        "worker.started",
        extra={
            "queue": queue_kind(settings),
            "threads": settings.worker_threads,
            "database": container.db.engine.dialect.name,
        },
    )
    i18n.warm_up()
    tend_lanes(container, container.lanes.stopping)
    consumer(container).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
