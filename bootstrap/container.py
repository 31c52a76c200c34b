"""Builds the object graph one process needs (``b24app.container.Container``) from the settings."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select

from b24app.clock import Clock, SystemClock
from b24app.config import load_settings
from b24app.container import Container
from b24app.db import Database
from b24app.gateway.frames import FrameVerifier
from b24app.jobs import JobQueue, make_huey
from b24app.lanes import ClientFactory, Lanes
from b24app.models import Portal
from bootstrap.steps import lane_steps, wake_probes

SWEEP_MINUTES = 5


def _sweep(db: Database, jobs: list[JobQueue]) -> Callable[[], None]:
    """Periodic: give every installed portal a lane run (reconciliation, retries that are due)."""

    def sweep() -> None:
        with db.transaction() as session:
            installed = (Portal.status == "installed") & Portal.gone_at.is_(None)  # a deleted portal rests
            ids = list(session.execute(select(Portal.id).where(installed)).scalars())
        for portal_id in ids:
            jobs[0].enqueue_lane(portal_id, force=True)  # force: also heals a queued flag left by a crash

    return sweep


def build_container(
    overrides: Mapping[str, Any] | None = None,
    *,
    clock: Clock | None = None,
    client_factory: ClientFactory | None = None,
) -> Container:
    """Everything a web or worker process needs, from the environment plus ``overrides``.

    ``clock`` is every "now" of the process; ``client_factory`` gives lanes their portal clients
    (by default a PortalClient on the same database, settings and clock).
    """
    settings = load_settings(overrides)
    db = Database(settings.database_url)
    clock = clock or SystemClock()
    lanes = Lanes(db, settings, clock, lane_steps(settings), wake_probes(), client_factory)
    huey = make_huey(settings)
    holder: list[JobQueue] = []
    jobs = JobQueue(huey, lanes, periodic=[("sweep", _sweep(db, holder), SWEEP_MINUTES)])
    holder.append(jobs)
    return Container(settings, db, clock, lanes, jobs, FrameVerifier(db))
