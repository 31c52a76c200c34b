"""The inbox: every verified inbound call is stored (tokens redacted) before we acknowledge it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from b24app.db import insert_ignore
from b24app.models import InboxEvent
from b24app.outbox import GIVE_UP_AFTER, backoff

UNINSTALL = "uninstall"  # the kind of ONAPPUNINSTALL claims, acted on by the uninstall lane step
SECRET_KEYS = frozenset({"access_token", "refresh_token", "application_token", "auth_id", "refresh_id"})


def redact(payload: Any) -> Any:
    """A copy of ``payload`` with every token replaced by a marker, at any depth."""
    if isinstance(payload, Mapping):
        return {k: "***" if str(k).lower() in SECRET_KEYS else redact(v) for k, v in payload.items()}
    if isinstance(payload, list):
        return [redact(v) for v in payload]
    return payload


def record(
    session: Session,
    *,
    portal_id: int,
    kind: str,
    event: str,
    payload: Mapping[str, Any],
    received_at: datetime,
    subject_id: int | None = None,
    dedup_key: str | None = None,
) -> bool:
    """Store one inbound call (the caller's transaction commits it before the 200 goes out).

    False when ``dedup_key`` was seen before: a repeated delivery is stored once.
    """
    values = {
        "portal_id": portal_id,
        "kind": kind,
        "event": event,
        "subject_id": subject_id,
        "dedup_key": dedup_key,
        "payload": redact(payload),
        "status": "pending",
        "received_at": received_at,
        "attempts": 0,
    }
    return insert_ignore(session, InboxEvent.__table__, values)


def record_new(
    session: Session,
    *,
    portal_id: int,
    kind: str,
    event: str,
    payloads: Mapping[int, Mapping[str, Any]],
    received_at: datetime,
) -> None:
    """Store one call per subject (by id, in order) unless one of its kind is pending already."""
    if not payloads:
        return
    pending = set(
        session.execute(
            select(InboxEvent.subject_id).where(
                InboxEvent.portal_id == portal_id,
                InboxEvent.kind == kind,
                InboxEvent.status == "pending",
                InboxEvent.subject_id.in_(sorted(payloads)),
            )
        ).scalars()
    )
    for subject_id in sorted(set(payloads) - pending):
        record(
            session,
            portal_id=portal_id,
            kind=kind,
            event=event,
            subject_id=subject_id,
            payload=payloads[subject_id],
            received_at=received_at,
        )


def is_due(portal_id: int, kind: str, now: datetime) -> ColumnElement[bool]:
    """The filter of a kind's pending rows that may be tried now (no retry set, or its time has come)."""
    return and_(
        InboxEvent.portal_id == portal_id,
        InboxEvent.kind == kind,
        InboxEvent.status == "pending",
        (InboxEvent.retry_at.is_(None)) | (InboxEvent.retry_at <= now),
    )


def due_rows(session: Session, portal_id: int, kind: str, now: datetime, limit: int) -> list[InboxEvent]:
    """Up to ``limit`` of a kind's rows that may be tried now, oldest first."""
    query = select(InboxEvent).where(is_due(portal_id, kind, now)).order_by(InboxEvent.id).limit(limit)
    return list(session.execute(query).scalars())


def retry_later(row: InboxEvent, error: str, now: datetime) -> None:
    """A failed attempt at a row: back off, and give up (``failed``, shown by status) after a day."""
    row.attempts += 1
    row.error = error[:500]
    row.retry_at = now + backoff(row.attempts)
    if now - row.received_at >= GIVE_UP_AFTER:
        row.status = "failed"


def next_due(session: Session, portal_id: int, now: datetime) -> datetime | None:
    """The earliest retry of a pending row after ``now`` (a lane wake-up)."""
    at: datetime | None = session.execute(
        select(func.min(InboxEvent.retry_at)).where(
            InboxEvent.portal_id == portal_id, InboxEvent.status == "pending", InboxEvent.retry_at > now
        )
    ).scalar_one()
    return at
