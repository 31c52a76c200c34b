"""What the public API reads from the ledger: a client's balances and a page of their movements."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.ledger.lots import available
from registry.ledger.models import LedgerEntry, Lot
from registry.ledger.posting import Owner, account_of

ZERO = Decimal("0.00")


def client(
    session: Session, portal_id: int, owner: Owner, now: datetime, level: str | None = None
) -> dict[str, Any]:
    """Balance, spendable now, pending (held) with when it becomes spendable, the next expiry; the
    client's ``level`` code (tiers) as the caller found it."""
    account = account_of(session, portal_id, owner)
    head: dict[str, Any] = {"client": {"type": owner.type, "id": owner.id}, "level": level}
    if account is None:
        return {
            **head,
            "balance": ZERO,
            "spendable": ZERO,
            "pending": ZERO,
            "pending_until": None,
            "next_expiry": None,
            "blocked": False,
        }
    lots = list(
        session.execute(
            select(Lot).where(Lot.account_id == account.id, Lot.remaining > 0, Lot.expired_at.is_(None))
        ).scalars()
    )
    held = [lot for lot in lots if lot.activates_at > now]
    return {
        **head,
        "balance": account.balance,
        "spendable": available(session, account, now),
        "pending": sum((lot.remaining for lot in held), ZERO),
        "pending_until": min((lot.activates_at for lot in held), default=None),
        "next_expiry": _next_expiry([lot for lot in lots if lot.activates_at <= now], now),
        "blocked": account.blocked,
    }


def _next_expiry(lots: list[Lot], now: datetime) -> dict[str, Any] | None:
    """The earliest day something expires, and how much expires that day."""
    dated = [lot for lot in lots if lot.expires_at is not None and lot.expires_at > now]
    if not dated:
        return None
    day = min(lot.expires_at for lot in dated if lot.expires_at is not None).date()
    amount = sum((lot.remaining for lot in dated if lot.expires_at and lot.expires_at.date() == day), ZERO)
    return {"amount": amount, "date": day}


def movements(
    session: Session, portal_id: int, owner: Owner, limit: int, before: int | None
) -> dict[str, Any]:
    """Newest first; ``next_before`` continues the listing (None: nothing older)."""
    account = account_of(session, portal_id, owner)
    if account is None:
        return {"movements": [], "next_before": None}
    query = select(LedgerEntry).where(LedgerEntry.account_id == account.id)
    if before is not None:
        query = query.where(LedgerEntry.id < before)
    rows = list(session.execute(query.order_by(LedgerEntry.id.desc()).limit(limit + 1)).scalars())
    page = rows[:limit]
    return {
        "movements": [movement(e) for e in page],
        "next_before": page[-1].id if len(rows) > limit else None,
    }


def movement(e: LedgerEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": e.created_at,
        "kind": e.kind,
        "amount": e.amount,
        "balance_after": e.balance_after,
        "deal_id": e.deal_id,
        "reason": e.reason,
        "source": e.source,
    }
