"""ONAPPUNINSTALL: recorded by the web process, acted on in the lane once the portal confirms it.

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
from b24app.gateway import AuthRevoked, PortalCallError, PortalClient
from b24app.lanes import LaneContext
from b24app.models import InboxEvent, OutboxMessage, Portal, ProvisionedObject

log = logging.getLogger(__name__)
KIND = "uninstall"
# What an app that is gone gets: the REST auth errors (_includes/system-errors.md; invalid_token is
# b24pysdk's) or a refused refresh (settings/oauth/error-codes.md). Not invalid_client: that is
# also a wrong client secret on our side, which must never delete anything.
GONE_CODES = frozenset(
    {"invalid_token", "NO_AUTH_FOUND", "ERROR_OAUTH", "APPLICATION_NOT_FOUND", "invalid_grant"}
)


def record(session: Session, portal_id: int, clean: bool, now: datetime) -> None:
    """The web side: store the claim for the lane (the caller's transaction also flags the lane)."""
    inbox.record(
        session,
        portal_id=portal_id,
        kind=KIND,
        event="ONAPPUNINSTALL",
        payload={"clean": clean},
        received_at=now,
    )


def app_is_gone(client: PortalClient) -> bool:
    """Whether the portal refuses our stored tokens as it does once the app is deleted.

    PortalUnavailable passes through: no answer is not an answer, the lane retries later.
    """
    try:
        client.call("app.info")  # api-reference/common/system/app-info.md
        return False
    except PortalCallError:  # the portal answered and knew our token: the app is there
        return False
    except AuthRevoked as exc:
        if exc.code:
            return exc.code in GONE_CODES
    try:  # we already took the tokens for dead without asking now: ask the OAuth server again
        client.tokens.recheck(client.portal_id)
    except AuthRevoked as again:
        return again.code in GONE_CODES
    return False


def uninstall_step(ctx: LaneContext) -> bool:
    """Lane step: check pending ONAPPUNINSTALL claims with the portal, then act or ignore them.

    On an uninstalled portal it ends the run: no other step has anything to do there.
    """
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
