"""The offline lane step: deal deletions and registry item changes from the portal's offline event
queue, recorded in the inbox like pushed events. Runs on the reconciliation schedule, so a quiet
portal pays one request per interval.

A record without the deal's id (the docs show ``"EVENT_DATA": false``) is not forgotten: it makes
the deletion sweep (registry.services.sweep_step) run at once, which finds the deleted deal by id.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from b24app import inbox, schedule
from b24app.lanes import LaneContext
from b24app.models import PortalCursor
from registry.bonuses import guard_inbox
from registry.services.sweep_step import request_sweep, sweep_step
from registry.sync.offline import PAGE, RESERVE, deals_in, items_in, read_page, release, unreadable

log = logging.getLogger(__name__)

CURSOR = "offline_events"
INTERVAL = timedelta(minutes=10)
PAGES_PER_RUN = 20


def offline_step(ctx: LaneContext) -> bool:
    """Lane step: the deletion sweep when it is due (daily, or after records without an id), then,
    when due, up to ``PAGES_PER_RUN`` pages of offline records. The sweep goes first so a queue
    the portal refuses (a demoted administrator) does not stop it; records without an id found
    now make the step report work, and the lane's next round sweeps."""
    swept = sweep_step(ctx)
    return _drain(ctx, ctx.clock.now(), swept_now=swept is not None) or bool(swept)


def _drain(ctx: LaneContext, now: datetime, *, swept_now: bool) -> bool:
    mode = _due(ctx, now)
    if mode is None:
        return False
    seen = 0
    for _ in range(PAGES_PER_RUN):
        mode, page = read_page(ctx.client, mode)
        seen += len(page["events"])
        _record(ctx, page["events"], now, sweep=not swept_now)
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
    if not ctx.agenda.schedule(CURSOR):
        return None
    with ctx.db.transaction() as session:
        cursor = _cursor(session, ctx.portal_id, now)
        return cursor.value if schedule.due(session, ctx.portal_id, cursor, now) else None


def _record(ctx: LaneContext, events: list[dict[str, object]], now: datetime, *, sweep: bool) -> None:
    """Deal records go to the inbox; records without an id ask for a sweep (unless one just ran:
    it saw the deals as they are after those records were queued)."""
    blind = unreadable(events)
    items, blind_items = items_in(events)
    with ctx.db.transaction() as session:
        if blind and sweep:  # cleared below all the same: the sweep finds what they were about
            request_sweep(session, ctx.portal_id, now)
        guard_inbox.recheck_items(
            session, ctx.portal_id, items, now, "OFFLINE"
        )  # the tamper guard compares them
        if blind_items:  # the guard lists the items changed since its watermark instead
            guard_inbox.request_catch_up(session, ctx.portal_id, now)
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
    if blind:
        log.warning("offline.records_without_id", extra={"portal_id": ctx.portal_id, "records": blind})


def _cursor(session: Session, portal_id: int, now: datetime) -> PortalCursor:
    return schedule.cursor(session, portal_id, CURSOR, now, value=RESERVE)
