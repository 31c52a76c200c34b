"""Webhook endpoints a portal's administrator registers, the portal's signing secret, and the
deliveries every new movement owes them (outbox rows ``webhook:{endpoint}:{entry}`` written in the
ledger's own transaction, delivered by the worker through registry.messages.webhooks)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app import outbox
from b24app.db import once_per_transaction
from registry.bonuses.api_models import WebhookEndpoint, WebhookSecret
from registry.ledger.kinds import ACCRUALS, EntryKind
from registry.ledger.views import EntryView

KIND = "webhook"  # the outbox kind
EVENT_OF_KIND = {
    EntryKind.WRITE_OFF: "spent",
    EntryKind.EXPIRY: "expired",
    **{k: "accrued" for k in ACCRUALS},
}


class EndpointProblem(ValueError):
    """A URL that cannot be registered (the message says why)."""


def secret_of(session: Session, portal_id: int, now: datetime) -> str:
    """The portal's signing secret, made on first use."""
    row = session.get(WebhookSecret, portal_id)
    if row is None:
        row = WebhookSecret(portal_id=portal_id, secret=secrets.token_hex(32), created_at=now)
        session.add(row)
        session.flush()
    return row.secret


def add(session: Session, portal_id: int, url: str, now: datetime) -> dict[str, Any]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 512:
        raise EndpointProblem("the URL must be http(s)://host/… and at most 512 characters")
    row = _endpoint(session, portal_id, url)
    if row is None:
        row = WebhookEndpoint(portal_id=portal_id, url=url, created_at=now)
        session.add(row)
    row.removed_at = None
    session.flush()
    return {"id": row.id, "url": row.url, "secret": secret_of(session, portal_id, now)}


def remove(session: Session, portal_id: int, url: str, now: datetime) -> dict[str, Any]:
    row = _endpoint(session, portal_id, url)
    if row is None:
        raise EndpointProblem(f"no webhook {url!r}")
    row.removed_at = row.removed_at or now
    return {"id": row.id, "url": row.url, "removed_at": row.removed_at.isoformat()}


def _endpoint(session: Session, portal_id: int, url: str) -> WebhookEndpoint | None:
    return session.execute(
        select(WebhookEndpoint).where(WebhookEndpoint.portal_id == portal_id, WebhookEndpoint.url == url)
    ).scalar_one_or_none()


def listing(session: Session, portal_id: int, now: datetime) -> dict[str, Any]:
    rows = session.execute(
        select(WebhookEndpoint).where(WebhookEndpoint.portal_id == portal_id).order_by(WebhookEndpoint.id)
    ).scalars()
    return {
        "secret": secret_of(session, portal_id, now),
        "endpoints": [{"id": r.id, "url": r.url, "active": r.removed_at is None} for r in rows],
    }


def _active(session: Session, portal_id: int) -> list[int]:
    # Once per transaction: a lane's deal group asks it for every deal.
    return once_per_transaction(session, ("webhooks", portal_id), lambda: _read_active(session, portal_id))


def _read_active(session: Session, portal_id: int) -> list[int]:
    return list(
        session.execute(
            select(WebhookEndpoint.id).where(
                WebhookEndpoint.portal_id == portal_id, WebhookEndpoint.removed_at.is_(None)
            )
        ).scalars()
    )


def owe_movements(session: Session, portal_id: int, entries: Sequence[EntryView], now: datetime) -> None:
    """Every active endpoint is owed one event per new movement (accrued, spent, expired, adjusted)."""
    endpoints = _active(session, portal_id) if entries else []
    for entry in entries if endpoints else ():
        event = EVENT_OF_KIND.get(EntryKind(entry.kind), "adjusted")
        data = {
            "client": {"type": entry.owner_type, "id": entry.owner_id},
            "entry_id": entry.id,
            "kind": entry.kind,
            "amount": str(entry.amount),
            "balance_after": str(entry.balance_after),
            "deal_id": entry.deal_id,
            "reason": entry.reason,
            "expires_at": entry.expires_at.isoformat() if entry.expires_at else None,
        }
        _owe(session, portal_id, endpoints, f"movement-{entry.id}", event, data, entry.created_at, now)


def owe_level_change(
    session: Session,
    portal_id: int,
    owner: tuple[str, int],
    levels: tuple[str | None, str | None],
    number: int,
    now: datetime,
) -> None:
    """``level_changed`` for a client's ``number``-th level change (registry.bonuses.tiers)."""
    data = {"client": {"type": owner[0], "id": owner[1]}, "from": levels[0], "to": levels[1]}
    event_id = f"level-{owner[0]}-{owner[1]}-{number}"
    _owe(session, portal_id, _active(session, portal_id), event_id, "level_changed", data, now, now)


def _owe(
    session: Session,
    portal_id: int,
    endpoints: list[int],
    event_id: str,
    event: str,
    data: dict[str, Any],
    at: datetime,
    now: datetime,
) -> None:
    for endpoint_id in endpoints:
        payload = {
            "endpoint_id": endpoint_id,
            "id": f"{portal_id}-{event_id}",
            "event": event,
            "created_at": at.isoformat(),
            "data": data,
        }
        outbox.add(
            session,
            portal_id=portal_id,
            kind=KIND,
            key=f"webhook:{endpoint_id}:{event_id}",
            payload=payload,
            now=now,
        )
