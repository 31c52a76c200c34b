"""Rows that failed on their own (an inbound call, a lot, a notification), for the status command.

Each failure stays on its row (``error``) while the row retries or once it has failed for good;
this gathers them, newest first, naming the row they came from.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app.models import InboxEvent, OutboxMessage
from registry.bonuses.models import Notification
from registry.ledger.models import Lot

LIMIT = 50


def row_errors(session: Session, portal_id: int) -> list[dict[str, Any]]:
    return [*_inbox(session, portal_id), *_lots(session, portal_id), *_notifications(session, portal_id)]


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _inbox(session: Session, portal_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(InboxEvent)
        .where(
            InboxEvent.portal_id == portal_id,
            InboxEvent.status.in_(("pending", "failed")),
            InboxEvent.error.is_not(None),
        )
        .order_by(InboxEvent.id.desc())
        .limit(LIMIT)
    ).scalars()
    return [
        {
            "row": f"inbox:{row.id}",
            "what": f"deal {row.subject_id}" if row.kind == "deal" else f"{row.kind} {row.event}",
            "status": "failed" if row.status == "failed" else "retrying",
            "attempts": row.attempts,
            "retry_at": _when(row.retry_at),
            "error": row.error,
        }
        for row in rows
    ]


def _lots(session: Session, portal_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Lot)
        .where(Lot.portal_id == portal_id, Lot.error.is_not(None))
        .order_by(Lot.id.desc())
        .limit(LIMIT)
    ).scalars()
    return [
        {
            "row": f"lot:{row.id}",
            "what": f"lifetime of the accrual entry {row.entry_id}",
            "status": "retrying",
            "retry_at": _when(row.retry_at),
            "error": row.error,
        }
        for row in rows
    ]


def _notifications(session: Session, portal_id: int) -> list[dict[str, Any]]:
    rows = list(
        session.execute(
            select(Notification)
            .where(
                Notification.portal_id == portal_id,
                Notification.status != "skipped",  # a skipped channel's reason is routine (no chat, no phone)
                Notification.error.is_not(None),  # on a sent one: its template was refused and ours was sent
            )
            .order_by(Notification.id.desc())
            .limit(LIMIT)
        ).scalars()
    )
    deliveries = {  # the attempts and the backoff live on the notification's outbox message
        m.key: m
        for m in session.execute(
            select(OutboxMessage).where(
                OutboxMessage.portal_id == portal_id, OutboxMessage.key.in_([f"notice:{n.id}" for n in rows])
            )
        ).scalars()
    }
    return [_notification(row, deliveries.get(f"notice:{row.id}")) for row in rows]


def _notification(row: Notification, delivery: OutboxMessage | None) -> dict[str, Any]:
    pending = row.status == "pending"
    return {
        "row": f"notification:{row.id}",
        "what": f"{row.event} by {row.channel} to {row.owner_type}:{row.owner_id}",
        "status": {"pending": "retrying"}.get(row.status, row.status),
        "attempts": delivery.attempts if delivery else 0,
        "retry_at": _when(delivery.next_attempt_at) if pending and delivery else None,
        "error": row.error,
    }
