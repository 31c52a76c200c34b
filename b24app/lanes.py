"""Portal lanes: at most one job talks to a portal at a time, so pacing and batching live in one place."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from b24app.clock import Clock
from b24app.config import Settings
from b24app.db import Database, insert_ignore
from b24app.gateway import PortalClient, PortalError
from b24app.models import LaneLease

log = logging.getLogger(__name__)


@dataclass
class LaneContext:
    """What a lane step gets: the portal, its client, the database and the clock."""

    db: Database
    settings: Settings
    portal_id: int
    client: PortalClient
    clock: Clock
    stopped: bool = False  # a step found the portal gone: the run ends after it


# A step does one unit of work for the portal and says whether it found any (then it runs again).
LaneStep = Callable[[LaneContext], bool]


@dataclass
class LaneRun:
    portal_id: int
    acquired: bool
    rounds: int = 0
    error: str | None = None
    retry_in: float | None = None
    requests: int = 0
    steps: dict[str, int] = field(default_factory=dict)


class Lanes:
    """Leases, coalesced enqueueing and the run loop of portal lanes."""

    def __init__(
        self, db: Database, settings: Settings, clock: Clock, steps: Sequence[tuple[str, LaneStep]]
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.steps = list(steps)

    def mark_queued(self, portal_id: int) -> bool:
        """Flag the lane as queued; False when a job is already waiting (the caller skips enqueueing)."""
        with self.db.transaction() as session:
            return self.flag_queued(session, portal_id)

    @staticmethod
    def flag_queued(session: Session, portal_id: int) -> bool:
        """``mark_queued`` inside the caller's transaction (intake records and flags in one commit).

        A crash between that commit and the enqueue leaves the flag up with no job; the periodic
        sweep forces a run, which clears it.
        """
        table = cast(Table, LaneLease.__table__)
        # Core statements, not the ORM: this runs on every inbound event and must stay cheap.
        queued = (
            session.connection()
            .execute(select(table.c.queued).where(table.c.portal_id == portal_id))
            .scalar_one_or_none()
        )
        if queued:
            return False
        if queued is None:
            insert_ignore(session, table, {"portal_id": portal_id, "queued": True, "failures": 0})
            return True
        stmt = update(table).where(table.c.portal_id == portal_id, table.c.queued.is_(False))
        return bool(session.connection().execute(stmt.values(queued=True)).rowcount)

    def _acquire(self, portal_id: int, holder: str) -> bool:
        now = self.clock.now()
        with self.db.transaction() as session:
            insert_ignore(
                session, LaneLease.__table__, {"portal_id": portal_id, "queued": False, "failures": 0}
            )
            free = (LaneLease.holder.is_(None)) | (LaneLease.expires_at < now)
            stmt = update(LaneLease).where(LaneLease.portal_id == portal_id, free)
            expires = now + timedelta(seconds=self.settings.lane_lease_seconds)
            values = {"holder": holder, "expires_at": expires, "queued": False}
            return bool(session.execute(stmt.values(**values)).rowcount)  # type: ignore[attr-defined]

    def _renew(self, portal_id: int, holder: str) -> None:
        expires = self.clock.now() + timedelta(seconds=self.settings.lane_lease_seconds)
        with self.db.transaction() as session:
            stmt = update(LaneLease).where(LaneLease.portal_id == portal_id, LaneLease.holder == holder)
            session.execute(stmt.values(expires_at=expires))

    def _release(self, portal_id: int, holder: str, error: str | None) -> int:
        with self.db.transaction() as session:
            lease = session.execute(
                select(LaneLease).where(LaneLease.portal_id == portal_id).with_for_update()
            ).scalar_one()
            if lease.holder == holder:
                lease.holder, lease.expires_at = None, None
            lease.failures = lease.failures + 1 if error else 0
            lease.last_error = error
            return lease.failures

    def run(self, portal_id: int, max_rounds: int = 1000) -> LaneRun:
        """Run every step until none finds work; portal failures end the run with a retry delay."""
        holder = uuid.uuid4().hex
        if not self._acquire(portal_id, holder):
            return LaneRun(portal_id, acquired=False)
        report = LaneRun(portal_id, acquired=True)
        client = PortalClient(self.db, self.settings, portal_id)
        try:
            self._loop(
                LaneContext(self.db, self.settings, portal_id, client, self.clock), report, max_rounds, holder
            )
        except PortalError as exc:
            report.error = f"{type(exc).__name__}: {exc}"
            log.warning("lane.failed", extra={"portal_id": portal_id, "error": type(exc).__name__})
        finally:
            report.requests = client.requests_sent
            client.save_bucket()
            failures = self._release(portal_id, holder, report.error)
        if report.error:
            report.retry_in = float(min(2 ** min(failures, 9), 300))
        return report

    def _loop(self, ctx: LaneContext, report: LaneRun, max_rounds: int, holder: str) -> None:
        while report.rounds < max_rounds:
            report.rounds += 1
            busy = False
            for name, step in self.steps:
                if step(ctx):
                    busy = True
                    report.steps[name] = report.steps.get(name, 0) + 1
                if ctx.stopped:
                    return
            if not busy:
                return
            self._renew(ctx.portal_id, holder)
