"""The deletion sweep: once a day, or at once when the offline queue held records without an id,
ask the portal which deals we still hold accruals for are gone, and feed those to the intake (the
deal step then reads them as deleted and reverses their accruals, exactly once)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app import inbox, schedule
from b24app.lanes import LaneContext
from b24app.models import PortalCursor
from registry.bonuses.models import DealState
from registry.sync.sweep import missing_deals

log = logging.getLogger(__name__)
CURSOR = "deal_sweep"
INTERVAL = timedelta(days=1)
EVENT = "SWEEP:DELETED"


def _cursor(session: Session, portal_id: int, now: datetime) -> PortalCursor:
    return schedule.cursor(session, portal_id, CURSOR, now)


def request_sweep(session: Session, portal_id: int, now: datetime) -> None:
    """Sweep at the next lane run (an offline record named no deal)."""
    _cursor(session, portal_id, now).next_run_at = now


def sweep_step(ctx: LaneContext) -> int | None:
    """When due: the accrued deals the portal no longer has go to the inbox as deletions; how many
    (None: the sweep was not due)."""
    if not ctx.agenda.schedule(CURSOR):
        return None
    now = ctx.clock.now()
    with ctx.db.transaction() as session:
        if not schedule.due(session, ctx.portal_id, _cursor(session, ctx.portal_id, now), now):
            return None
        held = list(
            session.execute(
                select(DealState.deal_id)
                .where(DealState.portal_id == ctx.portal_id, DealState.accrued != 0)
                .order_by(DealState.deal_id)
            ).scalars()
        )
    gone = missing_deals(ctx.client, held)  # no transaction is open while the portal answers
    with ctx.db.transaction() as session:
        payloads: dict[int, dict[str, Any]] = {deal_id: {} for deal_id in gone}
        inbox.record_new(
            session, portal_id=ctx.portal_id, kind="deal", event=EVENT, payloads=payloads, received_at=now
        )
        cursor = _cursor(session, ctx.portal_id, now)
        cursor.next_run_at, cursor.updated_at = now + INTERVAL, now
    if gone:
        log.info("sweep.deleted_deals", extra={"portal_id": ctx.portal_id, "deals": len(gone)})
    return len(gone)
