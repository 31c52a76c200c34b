"""The object graph one process needs (built by bootstrap.container): settings, database, clock,
lanes, the job queue and the frame verifier (with its per-process cache)."""

from __future__ import annotations

from dataclasses import dataclass

from b24app.clock import Clock
from b24app.config import Settings
from b24app.db import Database
from b24app.gateway.frames import FrameVerifier
from b24app.jobs import JobQueue
from b24app.lanes import Lanes


@dataclass
class Container:
    settings: Settings
    db: Database
    clock: Clock
    lanes: Lanes
    jobs: JobQueue
    frames: FrameVerifier

    def close(self) -> None:
        """Release connections (tests and console commands build many containers)."""
        self.db.dispose()
        storage = self.jobs.huey.storage
        closer = getattr(storage, "close", None)
        if callable(closer):
            closer()
