"""Install commands: record a confirmed portal and its tokens, provision in the lane, report status."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from b24app.db import utcnow
from b24app.gateway import PortalCallError
from b24app.lane_health import degraded_steps
from b24app.lanes import LaneContext
from b24app.models import InboxEvent, LaneLease, OutboxMessage, Portal, ProvisionedObject
from install import spec
from install.provision import Provisioned, Provisioner
from registry.healing import last_report
from registry.models import DealState, Notification
from registry.problems import row_errors
from registry.target import TARGET_KEY, TARGET_KIND

log = logging.getLogger(__name__)


class InstallError(ValueError):
    """An install request that cannot be accepted; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class InstallRequest:
    """An install the OAuth server and the portal have confirmed (install/confirm.py builds it)."""

    member_id: str
    domain: str
    client_endpoint: str
    access_token: str
    refresh_token: str
    expires_in: int
    application_token: str
    language: str
    scenario: str  # ui | api
    user_id: int | None = None
    scope: str | None = None


def register_install(session: Session, req: InstallRequest, token_hash: str, now: datetime) -> Portal:
    """Create or refresh the portal row; provisioning then runs in the portal's lane."""
    portal = session.execute(select(Portal).where(Portal.member_id == req.member_id)).scalar_one_or_none()
    if portal is None:
        portal = Portal(member_id=req.member_id, token_generation=0, bucket_level=0.0)
        session.add(portal)
    portal.domain, portal.client_endpoint = req.domain, req.client_endpoint
    portal.language, portal.scenario = req.language, req.scenario
    portal.access_token, portal.refresh_token = req.access_token, req.refresh_token
    portal.token_expires_at = now + timedelta(seconds=req.expires_in)
    portal.token_generation = (portal.token_generation or 0) + 1
    portal.application_token_hash = token_hash
    portal.auth_failed_at, portal.install_error, portal.uninstalled_at = None, None, None
    portal.user_id = req.user_id or portal.user_id or 1
    portal.scope = req.scope
    portal.status = "installing"
    session.flush()
    log.info(
        "install.accepted", extra={"portal_id": portal.id, "scenario": req.scenario, "user_id": req.user_id}
    )
    return portal


def request_provisioning(session: Session, portal: Portal) -> None:
    """Retry after a failure: back to ``installing`` so the lane provisions again."""
    portal.status, portal.install_error = "installing", None


def provision_step(ctx: LaneContext, base_url: str) -> bool:
    """Lane step: provision a portal whose status is ``installing``."""
    with ctx.db.transaction() as session:
        portal = session.get_one(Portal, ctx.portal_id)
        if portal.status != "installing":
            return False
        language, user_id = portal.language, portal.user_id or 1
    try:
        result = Provisioner(ctx.client, spec.Urls(base_url), language, user_id).run()
    except PortalCallError as exc:
        with ctx.db.transaction() as session:
            portal = session.get_one(Portal, ctx.portal_id)
            portal.status, portal.install_error = "failed", str(exc)
        log.warning("install.failed", extra={"portal_id": ctx.portal_id, "code": exc.code})
        return False
    with ctx.db.transaction() as session:
        _record(session, ctx.portal_id, result, utcnow())
        portal = session.get_one(Portal, ctx.portal_id)
        portal.status, portal.installed_at = "installed", utcnow()
    log.info(
        "install.provisioned", extra={"portal_id": ctx.portal_id, "objects_created": len(result.created)}
    )
    return True


def _record(session: Session, portal_id: int, result: Provisioned, now: datetime) -> None:
    existing = {
        (o.kind, o.key): o
        for o in session.execute(
            select(ProvisionedObject).where(ProvisionedObject.portal_id == portal_id)
        ).scalars()
    }
    rows = dict(result.objects)
    details: dict[tuple[str, str], dict[str, Any]] = {}
    if result.target:
        rows[(TARGET_KIND, TARGET_KEY)] = str(result.target.entity_type_id)
        details[(TARGET_KIND, TARGET_KEY)] = result.target.to_details()
    for (kind, key), remote in rows.items():
        row = existing.get((kind, key))
        if row is None:
            row = ProvisionedObject(portal_id=portal_id, kind=kind, key=key, created_at=now)
            session.add(row)
        row.remote_id, row.details = remote, details.get((kind, key), {})


def _count(
    session: Session,
    model: type[InboxEvent] | type[OutboxMessage] | type[Notification],
    portal_id: int,
    status: str,
) -> int:
    query = (
        select(func.count()).select_from(model).where(model.portal_id == portal_id, model.status == status)
    )
    return int(session.execute(query).scalar_one())


def portal_status(session: Session, portal: Portal, queue_depth: int) -> dict[str, Any]:
    """What the console's status command prints (no tokens)."""
    objects = session.execute(
        select(ProvisionedObject)
        .where(ProvisionedObject.portal_id == portal.id)
        .order_by(ProvisionedObject.kind)
    ).scalars()
    pending_inbox = _count(session, InboxEvent, portal.id, "pending")
    failed_outbox = _count(session, OutboxMessage, portal.id, "failed")
    lease = session.get(LaneLease, portal.id)
    return {
        "member_id": portal.member_id,
        "domain": portal.domain,
        "status": portal.status,
        "install_error": portal.install_error,
        "token_expires_at": portal.token_expires_at.isoformat() if portal.token_expires_at else None,
        "auth_failed": portal.auth_failed_at is not None,
        "objects": [f"{o.kind}:{o.key}={o.remote_id}" for o in objects],
        "queue_depth": queue_depth,
        "inbox_pending": pending_inbox,
        "outbox_failed": failed_outbox,
        "inbox_failed": _count(session, InboxEvent, portal.id, "failed"),
        "skipped_deals": [
            {"deal_id": deal_id, "reason": reason}
            for deal_id, reason in session.execute(
                select(DealState.deal_id, DealState.skipped_reason)
                .where(DealState.portal_id == portal.id, DealState.skipped_reason.is_not(None))
                .order_by(DealState.deal_id)
                .limit(50)
            )
        ],
        "failed_messages": [  # what the portal never got: workflow answers, registry items, ...
            {"kind": kind, "key": key, "error": error}
            for kind, key, error in session.execute(
                select(OutboxMessage.kind, OutboxMessage.key, OutboxMessage.last_error)
                .where(OutboxMessage.portal_id == portal.id, OutboxMessage.status == "failed")
                .order_by(OutboxMessage.id.desc())
                .limit(50)
            )
        ],
        "last_healing": last_report(session, portal.id),
        "notifications_failed": _count(session, Notification, portal.id, "failed"),
        "lane_failures": lease.failures if lease else 0,
        "lane_error": lease.last_error if lease else None,
        "degraded_steps": degraded_steps(session, portal.id),  # steps skipped with backoff
        "row_errors": row_errors(session, portal.id),  # rows that failed alone, with the error
    }
