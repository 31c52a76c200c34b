"""Idempotent API requests: the first answer to a key is kept; the same key and body get it again,
the same key with another body is a conflict. The answer is stored in the transaction that did
the work, so a crash leaves neither."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.bonuses.api_models import ApiRequest


class Conflict(Exception):
    """The idempotency key was used before with another body."""


def body_hash(body: dict[str, Any]) -> str:
    """The body's fingerprint, independent of key order and spacing."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def remembered(
    session: Session, portal_id: int, operation: str, key: str, fingerprint: str
) -> tuple[int, dict[str, Any]] | None:
    """The first answer (status, body) to this key, or None; Conflict when the body differs."""
    row = session.execute(
        select(ApiRequest).where(
            ApiRequest.portal_id == portal_id,
            ApiRequest.operation == operation,
            ApiRequest.idempotency_key == key,
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    if row.body_hash != fingerprint:
        raise Conflict(key)
    return row.status_code, dict(row.answer)


def remember(
    session: Session,
    portal_id: int,
    operation: str,
    key: str,
    fingerprint: str,
    answer: tuple[int, dict[str, Any]],
    now: datetime,
) -> None:
    status, body = answer
    session.add(
        ApiRequest(
            portal_id=portal_id,
            operation=operation,
            idempotency_key=key,
            body_hash=fingerprint,
            status_code=status,
            answer=body,
            created_at=now,
        )
    )
    session.flush()


def once(
    session: Session,
    portal_id: int,
    operation: str,
    key: str,
    fingerprint: str,
    now: datetime,
    work: Callable[[], tuple[int, dict[str, Any]]],
) -> tuple[int, dict[str, Any]]:
    """The first answer to this key again, or ``work()``'s answer kept under it (Conflict: another body)."""
    first = remembered(session, portal_id, operation, key, fingerprint)
    if first is not None:
        return first
    answer = work()
    remember(session, portal_id, operation, key, fingerprint, answer, now)
    return answer
