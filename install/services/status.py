"""What the console's ``status`` command and the administrator's main page show about a portal."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from b24app.alarms import active_alarms
from b24app.container import Container
from b24app.lane_health import degraded_steps
from b24app.models import InboxEvent, LaneLease, OutboxMessage, Portal, ProvisionedObject
from registry.bonuses.healing import last_report
from registry.bonuses.models import DealState, Notification
from registry.bonuses.problems import row_errors
from registry.ledger.audit import last_audit


def status_of(c: Container, portal_id: int) -> dict[str, Any]:
    """The status of one portal, read in one transaction."""
    queue_depth = c.jobs.pending_count()
    with c.db.transaction() as session:
        return portal_status(session, session.get_one(Portal, portal_id), queue_depth)


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
        "portal_deleted": portal.gone_at.isoformat()
        if portal.gone_at
        else None,  # PORTAL_DELETED: lane stopped
        "portal_deleted_reason": portal.gone_reason,
        "operator_alarms": active_alarms(session),  # e.g. the OAuth server refuses our credentials
        "objects": [f"{o.kind}:{o.key}={o.remote_id}" for o in objects],
        "queue_depth": queue_depth,
        "inbox_pending": pending_inbox,
        "outbox_failed": failed_outbox,
        "inbox_failed": _count(session, InboxEvent, portal.id, "failed"),
        **_what_failed(session, portal),
        "last_healing": last_report(session, portal.id),
        "ledger_audit": last_audit(session, portal.id),  # the daily healing pass's audit, when and what
        "notifications_failed": _count(session, Notification, portal.id, "failed"),
        "failed_notifications": _failed_notices(session, portal.id),  # channel and the portal's reason
        "lane_failures": lease.failures if lease else 0,
        "lane_error": lease.last_error if lease else None,
        "degraded_steps": degraded_steps(session, portal.id),  # steps skipped with backoff
        "row_errors": row_errors(session, portal.id),  # rows that failed alone, with the error
    }


def portal_id_of(c: Container, member_id: str) -> int | None:
    with c.db.transaction() as session:
        found = session.execute(select(Portal.id).where(Portal.member_id == member_id)).scalar_one_or_none()
        return None if found is None else int(found)


def portals(c: Container) -> list[dict[str, Any]]:
    with c.db.transaction() as session:
        rows = session.execute(select(Portal).order_by(Portal.id)).scalars()
        return [{"member_id": p.member_id, "domain": p.domain, "status": p.status} for p in rows]


def _what_failed(session: Session, portal: Portal) -> dict[str, Any]:
    """Deals left as they are (with why), and what the portal never got."""
    return {
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
    }


def _failed_notices(session: Session, portal_id: int) -> list[dict[str, Any]]:
    """The latest client notifications that could not be sent, with why (e.g. no e-mail sender)."""
    rows = session.execute(
        select(Notification.id, Notification.channel, Notification.error)
        .where(Notification.portal_id == portal_id, Notification.status == "failed")
        .order_by(Notification.id.desc())
        .limit(20)
    )
    return [{"id": i, "channel": channel, "error": error} for i, channel, error in rows]
