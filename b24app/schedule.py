"""Per-portal schedules for periodic lane work: a named cursor row with the next run and a value.

Reconciliation, the offline queue, the lifetime pass and self-healing each keep one; a run that
is not due costs one read and no portal request.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app.models import Portal, PortalCursor


def cursor(
    session: Session,
    portal_id: int,
    name: str,
    now: datetime,
    *,
    value: str = "",
    first_run: datetime | None = None,
) -> PortalCursor:
    """The named cursor, created on first use with ``value`` and due at ``first_run`` (default now)."""
    row = session.execute(
        select(PortalCursor).where(PortalCursor.portal_id == portal_id, PortalCursor.name == name)
    ).scalar_one_or_none()
    if row is None:
        row = PortalCursor(
            portal_id=portal_id, name=name, value=value, next_run_at=first_run or now, updated_at=now
        )
        session.add(row)
        session.flush()
    return row


def due(session: Session, portal_id: int, row: PortalCursor, now: datetime) -> bool:
    """Whether the schedule has come round on an installed portal."""
    if session.get_one(Portal, portal_id).status != "installed":
        return False
    return row.next_run_at is None or row.next_run_at <= now
