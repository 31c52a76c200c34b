"""The client names lane step: the names of the clients the main page shows, read from the portal.

Due once a day, or at once when the page found a client it cannot name (handlers/main.py records the
request; the web never calls the portal). One batch request reads every such client of the top
lists (registry.sync.client_names). It runs before the clients step, so the contact and company
events still pending there mark the names they change as to be read again; that read waits
``SETTLE`` (the page shows the old name meanwhile), so the portal's echoes of our own balance writes
to the top clients cost at most one request in that time, not one each.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app import schedule
from b24app.lanes import LaneContext
from b24app.models import InboxEvent
from registry.bonuses import client_names
from registry.bonuses.client_names import Owner
from registry.bonuses.dashboard import expiring, largest
from registry.services.clients_step import EVENTS_PER_ROUND, KIND, client_type_of
from registry.sync.client_names import read_names

log = logging.getLogger(__name__)
CURSOR = "client_names"
SETTLE = timedelta(minutes=15)  # a changed name is read again within this, once for all changes


def names_step(ctx: LaneContext) -> bool:
    """Lane step: when due, read the shown clients' names that are missing, changed or a day old."""
    if not (ctx.agenda.inbox(KIND) or ctx.agenda.schedule(CURSOR)):
        return False  # no client events to note, and the schedule has not come round
    now = ctx.clock.now()
    with ctx.db.transaction() as session:
        changed = client_names.mark_changed(session, ctx.portal_id, _event_owners(session, ctx.portal_id))
        row = schedule.cursor(session, ctx.portal_id, CURSOR, now)
        if changed:  # a burst of events (most echo our own balance writes) costs one read at most
            row.next_run_at = min(row.next_run_at or now + SETTLE, now + SETTLE)
        if not schedule.due(session, ctx.portal_id, row, now):
            return False
        owners = client_names.to_read(session, ctx.portal_id, _top(session, ctx.portal_id, now), now)
    found = read_names(ctx.client, owners) if owners else {}
    with ctx.db.transaction() as session:
        client_names.store(session, ctx.portal_id, owners, found, now)
        row = schedule.cursor(session, ctx.portal_id, CURSOR, now)
        row.next_run_at, row.updated_at = now + client_names.FRESH_FOR, now
    if owners:  # counts only: names are personal data
        log.info(
            "client_names.read", extra={"portal_id": ctx.portal_id, "asked": len(owners), "found": len(found)}
        )
    return False  # one read a pass: nothing is left for an immediate second one


def _top(session: Session, portal_id: int, now: datetime) -> list[Owner]:
    """The clients the main page names: the largest balances and what expires soonest."""
    return client_names.shown(largest(session, portal_id), expiring(session, portal_id, now)[1])


def _event_owners(session: Session, portal_id: int) -> list[Owner]:
    """The contacts and companies of the client events the clients step has yet to take."""
    rows = session.execute(
        select(InboxEvent.event, InboxEvent.subject_id)
        .where(InboxEvent.portal_id == portal_id, InboxEvent.kind == KIND, InboxEvent.status == "pending")
        .order_by(InboxEvent.id)
        .limit(EVENTS_PER_ROUND)
    ).all()
    out = [(client_type_of(str(event)), subject) for event, subject in rows]
    return [(t, int(s)) for t, s in out if t is not None and s is not None]


def request_names(session: Session, portal_id: int, now: datetime) -> None:
    """The main page met a client it cannot name: the worker reads the names on its next run (the
    caller wakes the lane once this commits)."""
    schedule.cursor(session, portal_id, CURSOR, now).next_run_at = now
