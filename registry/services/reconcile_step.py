"""The reconcile lane step: periodically list deals changed since a watermark and feed them to the
intake.

Bitrix24 never retries an event delivery, so an outage on our side loses events. Every
``interval`` the lane lists deals whose ``updatedTime`` moved past the watermark (``crm.item.list``
paged by ``>id`` with ``start=-1``) and records them in the inbox like events; the deal step then
treats them exactly like pushed events, so nothing is accrued twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from b24app import inbox, schedule
from b24app.lanes import LaneContext
from b24app.models import Portal, PortalCursor
from registry.sync.reconcile import changed_deals

CURSOR = "deals_reconcile"
INTERVAL = timedelta(minutes=10)
OVERLAP = timedelta(minutes=5)  # clocks differ; re-reading a few deals is cheap and harmless


def _cursor(session: Session, portal_id: int, now: datetime) -> PortalCursor:
    # The first watermark is the install time: deals changed before it are not ours to accrue.
    start = (session.get_one(Portal, portal_id).installed_at or now) - OVERLAP
    return schedule.cursor(session, portal_id, CURSOR, now, value=start.isoformat())


def request_reconciliation(session: Session, portal_id: int, now: datetime) -> None:
    """Make the next lane run reconcile at once (console command, tests)."""
    _cursor(session, portal_id, now).next_run_at = now


def reconcile_step(ctx: LaneContext) -> bool:
    """Lane step: when due, list changed deals and record the ones not already pending."""
    if not ctx.agenda.schedule(CURSOR):
        return False
    now = ctx.clock.now()
    with ctx.db.transaction() as session:
        cursor = _cursor(session, ctx.portal_id, now)
        if not schedule.due(session, ctx.portal_id, cursor, now):
            return False
        since = cursor.value
    changed = changed_deals(ctx.client, str(since))
    with ctx.db.transaction() as session:
        payloads = {deal_id: {"updatedTime": at.isoformat()} for deal_id, at in changed.items()}
        inbox.record_new(
            session,
            portal_id=ctx.portal_id,
            kind="deal",
            event="RECONCILE",
            payloads=payloads,
            received_at=now,
        )
        cursor = _cursor(session, ctx.portal_id, now)
        if changed:
            cursor.value = (max(changed.values()) - OVERLAP).isoformat()
        cursor.next_run_at, cursor.updated_at = now + INTERVAL, now
    return bool(changed)
