"""Deletions from the portal's offline event queue, recorded in the inbox like pushed events.

Read with ``clear=0`` (reserve, then ``event.offline.clear`` after our commit: at least once);
a plan that does not allow reserving gets ``clear=1`` (the read deletes; a crash between the read
and our commit could lose a record, the price of the smaller plan). Runs on the reconciliation
schedule, so a quiet portal pays one request per interval.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from b24app import inbox, schedule
from b24app.gateway import PortalCallError
from b24app.lanes import LaneContext
from b24app.models import PortalCursor
from registry.values import bounded_id

CURSOR = "offline_events"
INTERVAL = timedelta(minutes=10)
PAGES_PER_RUN = 20
RESERVE, DELETE = "reserve", "delete"


def offline_step(ctx: LaneContext) -> bool:
    """Lane step: when due, drain up to ``PAGES_PER_RUN`` pages of offline records."""
    now = ctx.clock.now()
    mode = _due(ctx, now)
    if mode is None:
        return False
    seen = 0
    for _ in range(PAGES_PER_RUN):
        mode, events = _read(ctx, mode)
        seen += len(events["events"])
        _record(ctx, events["events"], now)
        if mode == RESERVE and events.get("process_id") and events["events"]:
            ids = [e["MESSAGE_ID"] for e in events["events"]]
            ctx.client.call("event.offline.clear", {"process_id": events["process_id"], "message_id": ids})
        if len(events["events"]) < 50:
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


def _read(ctx: LaneContext, mode: str) -> tuple[str, dict[str, Any]]:
    if mode == RESERVE:
        try:
            return mode, ctx.client.call("event.offline.get", {"clear": 0, "limit": 50})
        except PortalCallError:
            mode = DELETE  # reserving is not on this plan
    return mode, ctx.client.call("event.offline.get", {"clear": 1, "limit": 50})


def _record(ctx: LaneContext, events: list[dict[str, Any]], now: datetime) -> None:
    with ctx.db.transaction() as session:
        for event in events:
            data = event.get("EVENT_DATA") if isinstance(event.get("EVENT_DATA"), dict) else {}
            fields = (data or {}).get("FIELDS")
            deal_id = bounded_id(fields.get("ID") if isinstance(fields, dict) else None)
            if deal_id is None:
                continue  # nothing we can act on (no id, or none a deal can have)
            inbox.record(
                session,
                portal_id=ctx.portal_id,
                kind="deal",
                event=f"OFFLINE:{str(event.get('EVENT_NAME'))[:50]}",
                subject_id=deal_id,
                payload={"message_id": event.get("MESSAGE_ID"), "at": event.get("TIMESTAMP_X")},
                received_at=now,
            )


def _cursor(session: Session, portal_id: int, now: datetime) -> PortalCursor:
    return schedule.cursor(session, portal_id, CURSOR, now, value=RESERVE)
