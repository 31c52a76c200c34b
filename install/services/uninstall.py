"""The uninstall lane step: ONAPPUNINSTALL claims acted on once the portal confirms the app is gone.

The event carries only the application token (api-reference/common/events/on-app-uninstall.md),
which every user who opens one of our frames can read, so the event alone proves nothing. The
lane asks the portal with our stored tokens: after a real uninstall they no longer work
(settings/app-uninstallation.md) — ``app.info`` answers an auth error, or the refresh answers
``invalid_grant``. Only then are the tokens dropped and, with ``CLEAN=1``, the app's data deleted;
otherwise the event is logged and ignored.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from b24app import inbox
from b24app.db import Base
from b24app.lanes import LaneContext
from b24app.models import InboxEvent, OutboxMessage, Portal, PortalObject, ProvisionedObject
from install.confirm import app_is_gone
from registry.bonuses import models as _bonus_tables  # noqa: F401 - a clean uninstall deletes them too
from registry.bonuses.held_reads import HeldDealRead
from registry.ledger import models as _ledger_tables  # noqa: F401
from registry.program import models as _program_tables  # noqa: F401

log = logging.getLogger(__name__)
KIND = inbox.UNINSTALL


def uninstall_step(ctx: LaneContext) -> bool:
    """Lane step: check pending ONAPPUNINSTALL claims with the portal, then act or ignore them.

    On an uninstalled portal it ends the run: no other step has anything to do there.
    """
    if not (ctx.agenda.inbox(KIND) or ctx.agenda.portal("uninstalled")):
        return False
    with ctx.db.transaction() as session:
        claims = list(
            session.execute(
                select(InboxEvent.id, InboxEvent.payload).where(
                    InboxEvent.portal_id == ctx.portal_id,
                    InboxEvent.kind == KIND,
                    InboxEvent.status == "pending",
                )
            )
        )
        status = session.get_one(Portal, ctx.portal_id).status
    ids = [row.id for row in claims]
    if status == "uninstalled":
        _close(ctx, ids, "skipped", "already uninstalled")
        ctx.stopped = True
        return bool(ids)
    if not claims:
        return False
    if not app_is_gone(ctx.client):
        _close(ctx, ids, "skipped", "the portal still accepts our tokens")
        log.warning("uninstall.unconfirmed", extra={"portal_id": ctx.portal_id, "claims": len(ids)})
        return True
    clean = any(bool((row.payload or {}).get("clean")) for row in claims)
    with ctx.db.transaction() as session:
        _mark(session, ids, "done", None, ctx.clock.now())
        remove(session, session.get_one(Portal, ctx.portal_id), clean, ctx.clock.now())
    ctx.stopped = True
    return True


def _close(ctx: LaneContext, ids: list[int], status: str, reason: str) -> None:
    with ctx.db.transaction() as session:
        _mark(session, ids, status, reason, ctx.clock.now())


def _mark(session: Session, ids: list[int], status: str, reason: str | None, now: datetime) -> None:
    session.execute(
        update(InboxEvent).where(InboxEvent.id.in_(ids)).values(status=status, error=reason, processed_at=now)
    )


def remove(session: Session, portal: Portal, clean: bool, now: datetime) -> None:
    """Tokens go; pending work is moot; the ledger stays unless the admin asked to delete the app's data."""
    portal.access_token = portal.refresh_token = None
    portal.status, portal.uninstalled_at = "uninstalled", now
    session.execute(delete(OutboxMessage).where(OutboxMessage.portal_id == portal.id))
    session.execute(delete(ProvisionedObject).where(ProvisionedObject.portal_id == portal.id))
    session.execute(delete(PortalObject).where(PortalObject.portal_id == portal.id))
    session.execute(delete(HeldDealRead).where(HeldDealRead.portal_id == portal.id))  # deals read ahead
    session.execute(
        update(InboxEvent)
        .where(InboxEvent.portal_id == portal.id, InboxEvent.status == "pending")
        .values(status="skipped", error="application uninstalled", processed_at=now)
    )
    if clean:  # the lane's lease stays: this runs inside the lane that holds it
        for table in reversed(Base.metadata.sorted_tables):
            if "portal_id" in table.c and table.name not in {"portals", "lane_leases"}:
                session.execute(delete(table).where(table.c.portal_id == portal.id))
    log.info("install.uninstalled", extra={"portal_id": portal.id, "clean": clean})
