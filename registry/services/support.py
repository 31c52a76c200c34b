"""Support commands of the console: an owner's balance and history, manual write-offs and
corrections, blocking, healing now. Each is one transaction; what it writes is mirrored through
the same outbox as any movement, so the lane is woken afterwards."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from b24app.container import Container
from registry.bonuses import support
from registry.bonuses.healing import request_healing
from registry.ledger.posting import Owner


def balance(c: Container, portal_id: int, owner: Owner) -> dict[str, Any]:
    with c.db.transaction() as session:
        return support.summary(session, portal_id, owner, c.clock.now())


def history(c: Container, portal_id: int, owner: Owner) -> list[dict[str, Any]]:
    with c.db.transaction() as session:
        return support.history(session, portal_id, owner)


def move(
    c: Container, portal_id: int, owner: Owner, amount: Decimal, reason: str, operation: str
) -> dict[str, Any]:
    """A support write-off (``writeoff``, amount > 0) or correction (``adjust``, signed)."""
    with c.db.transaction() as session:
        result = support.manual(session, portal_id, owner, amount, reason, operation, c.clock.now())
    if result["ok"]:
        c.jobs.enqueue_lane(portal_id)  # the worker mirrors the entry to the portal
    return result


def block(c: Container, portal_id: int, owner: Owner, blocked: bool) -> dict[str, Any]:
    with c.db.transaction() as session:
        return support.set_blocked(session, portal_id, owner, blocked, c.clock.now())


def heal_now(c: Container, portal_id: int) -> None:
    """Make the next lane run compare the portal with the ledger."""
    with c.db.transaction() as session:
        request_healing(session, portal_id, c.clock.now())
