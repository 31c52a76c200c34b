"""The object graph one process needs: settings, database, clock, lanes and the job queue."""

from __future__ import annotations

from dataclasses import dataclass

from b24app.clock import Clock
from b24app.config import Settings
from b24app.db import Database
from b24app.jobs import JobQueue
from b24app.lanes import Lanes


@dataclass
class Container:
    settings: Settings
    db: Database
    clock: Clock
    lanes: Lanes
    jobs: JobQueue

    def close(self) -> None:
        """Release connections (tests and console commands build many containers)."""
        self.db.dispose()
        storage = self.jobs.huey.storage
        closer = getattr(storage, "close", None)
        if callable(closer):
            closer()
