"""The offline lane step: deletions from the portal's offline event queue, recorded in the inbox like
pushed events. Runs on the reconciliation schedule, so a quiet portal pays one request per interval.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from b24app import inbox, schedule
from b24app.lanes import LaneContext
from b24app.models import PortalCursor
from registry.sync.offline import PAGE, RESERVE, deals_in, read_page, release

CURSOR = "offline_events"
INTERVAL = timedelta(minutes=10)
PAGES_PER_RUN = 20


def offline_step(ctx: LaneContext) -> bool:
    """Lane step: when due, drain up to ``PAGES_PER_RUN`` pages of offline records."""
    now = ctx.clock.now()
    mode = _due(ctx, now)
    if mode is None:
        return False
    seen = 0
    for _ in range(PAGES_PER_RUN):
        mode, page = read_page(ctx.client, mode)
        seen += len(page["events"])
        _record(ctx, page["events"], now)
        if mode == RESERVE and page.get("process_id") and page["events"]:
            release(ctx.client, page)
        if len(page["events"]) < PAGE:
            break
    with ctx.db.transaction() as session:
        cursor = _cursor(session, ctx.portal_id, now)
        cursor.value, cursor.next_run_at, cursor.updated_at = mode, now + INTERVAL, now
    return seen > 0


def _due(ctx: LaneContext, now: datetime) -> str | None:
    """The read mode when a run is due, else None."""
    with ctx.db.transaction() as session:
        cursor = _cursor(session, ctx.portal_id, now)
        return cursor.value if schedule.due(session, ctx.portal_id, cursor, now) else None


def _record(ctx: LaneContext, events: list[dict[str, object]], now: datetime) -> None:
    with ctx.db.transaction() as session:
        for deal in deals_in(events):
            inbox.record(
                session,
                portal_id=ctx.portal_id,
                kind="deal",
                event=deal.event,
                subject_id=deal.deal_id,
                payload={"message_id": deal.message_id, "at": deal.at},
                received_at=now,
            )


def _cursor(session: Session, portal_id: int, now: datetime) -> PortalCursor:
    return schedule.cursor(session, portal_id, CURSOR, now, value=RESERVE)
