"""Lane steps that keep failing: recorded per portal, skipped with backoff, shown by the status.

A step that raises anything but a transient portal failure (a method the portal refuses for
good, e.g. ``event.offline.get`` answering ``ACCESS_DENIED`` once the installing administrator
was demoted, or a bug) degrades only itself: the other steps of the run go on, and the step is
tried again after a backoff. Its first success forgets the failure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from b24app.clock import Clock
from b24app.db import Database
from b24app.gateway import PortalCallError
from b24app.models import StepFailure

log = logging.getLogger(__name__)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)


def backoff(failures: int) -> timedelta:
    doubling: int = 2 ** min(max(failures - 1, 0), 10)
    return min(FIRST_RETRY * doubling, LONGEST_RETRY)


@dataclass
class StepHealth:
    """The failing steps of one portal, loaded once per run and written when they change."""

    db: Database
    portal_id: int
    clock: Clock
    retry_at: dict[str, datetime] = field(default_factory=dict)

    @classmethod
    def load(cls, db: Database, portal_id: int, clock: Clock) -> StepHealth:
        with db.transaction() as session:
            rows = session.execute(
                select(StepFailure.step, StepFailure.retry_at).where(StepFailure.portal_id == portal_id)
            ).all()
        return cls(db, portal_id, clock, {step: at for step, at in rows})

    def ready(self, step: str) -> bool:
        """Whether the step may run now (it is healthy, or its backoff is over)."""
        at = self.retry_at.get(step)
        return at is None or at <= self.clock.now()

    def failed(self, step: str, exc: BaseException) -> None:
        now = self.clock.now()
        error = f"{type(exc).__name__}: {exc}"[:1000]
        with self.db.transaction() as session:
            row = session.execute(
                select(StepFailure)
                .where(StepFailure.portal_id == self.portal_id, StepFailure.step == step)
                .with_for_update()
            ).scalar_one_or_none()
            if row is None:
                row = StepFailure(portal_id=self.portal_id, step=step, failures=0, failing_since=now)
                session.add(row)
            row.failures += 1
            row.error, row.retry_at = error, now + backoff(row.failures)
            self.retry_at[step] = row.retry_at
            failures = row.failures
        log.warning(
            "lane.step_failed",
            extra={"portal_id": self.portal_id, "step": step, "failures": failures, "error": error[:200]},
            exc_info=not isinstance(exc, PortalCallError),  # a refusal is explained by its code
        )

    def recovered(self, step: str) -> None:
        if self.retry_at.pop(step, None) is None:
            return
        with self.db.transaction() as session:
            session.execute(
                delete(StepFailure).where(StepFailure.portal_id == self.portal_id, StepFailure.step == step)
            )
        log.info("lane.step_recovered", extra={"portal_id": self.portal_id, "step": step})


def degraded_steps(session: Session, portal_id: int) -> list[dict[str, Any]]:
    """What the status command prints about failing steps."""
    rows = session.execute(
        select(StepFailure).where(StepFailure.portal_id == portal_id).order_by(StepFailure.step)
    ).scalars()
    return [
        {
            "step": row.step,
            "failures": row.failures,
            "error": row.error,
            "failing_since": row.failing_since.isoformat(),
            "retry_at": row.retry_at.isoformat(),
        }
        for row in rows
    ]


def next_retry(session: Session, portal_id: int, now: datetime) -> datetime | None:
    """When the earliest failing step may be tried again (a lane wake-up)."""
    at: datetime | None = session.execute(
        select(func.min(StepFailure.retry_at)).where(
            StepFailure.portal_id == portal_id, StepFailure.retry_at > now
        )
    ).scalar_one()
    return at
