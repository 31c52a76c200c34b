"""Support operations for the console: an owner's balance and history, manual write-offs and
adjustments, blocking. Writes go through the same ledger path as the robots (and are mirrored)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.bonuses import mirror
from registry.bonuses.spending import Movement, Refused, adjust, write_off
from registry.bonuses.texts import portal_language
from registry.ledger.lots import available
from registry.ledger.models import LedgerEntry, Lot
from registry.ledger.posting import Owner, account_of, lock_account
from registry.ledger.views import entry_views
from registry.program.document import current_program


def parse_owner(text: str) -> Owner:
    """``company:7`` or ``contact:12``."""
    kind, _, raw = text.partition(":")
    if kind not in ("company", "contact") or not raw.isdigit():
        raise ValueError(f"owner must look like company:7 or contact:12, not {text!r}")
    return Owner(kind, int(raw))


def summary(session: Session, portal_id: int, owner: Owner, now: datetime) -> dict[str, Any]:
    """Balance, what can be spent now, debt, and the lots with what is left in them."""
    account = account_of(session, portal_id, owner)
    if account is None:
        return {"owner": f"{owner.type}:{owner.id}", "balance": "0.00", "available": "0.00", "lots": []}
    lots = session.execute(select(Lot).where(Lot.account_id == account.id).order_by(Lot.id)).scalars()
    return {
        "owner": f"{owner.type}:{owner.id}",
        "balance": str(account.balance),
        "available": str(available(session, account, now)),
        "debt": str(account.debt),
        "blocked": account.blocked,
        "lots": [
            {
                "entry_id": lot.entry_id,
                "amount": str(lot.amount),
                "remaining": str(lot.remaining),
                "activates_at": lot.activates_at.isoformat(),
                "expires_at": lot.expires_at.isoformat() if lot.expires_at else None,
            }
            for lot in lots
        ],
    }


def history(session: Session, portal_id: int, owner: Owner, limit: int = 100) -> list[dict[str, Any]]:
    account = account_of(session, portal_id, owner)
    if account is None:
        return []
    rows = session.execute(
        select(LedgerEntry)
        .where(LedgerEntry.account_id == account.id)
        .order_by(LedgerEntry.id.desc())
        .limit(limit)
    ).scalars()
    return [
        {
            "id": e.id,
            "at": e.created_at.isoformat(),
            "kind": e.kind,
            "amount": str(e.amount),
            "balance_after": str(e.balance_after),
            "deal_id": e.deal_id,
            "actor": e.actor,
            "reason": e.reason,
        }
        for e in rows
    ]


def manual(
    session: Session,
    portal_id: int,
    owner: Owner,
    amount: Decimal,
    reason: str,
    operation: str,
    now: datetime,
) -> dict[str, Any]:
    """A support write-off (``amount`` > 0) or adjustment (signed); refusals come back as codes."""
    cents = Decimal("0.01")
    if not amount.is_finite() or amount == 0 or amount != amount.quantize(cents):
        return {"ok": False, "error_code": "BAD_AMOUNT"}
    amount = amount.quantize(cents)
    program = current_program(session, portal_id)
    key = f"console:{operation}:{uuid.uuid4().hex}"
    movement = Movement(owner, amount, key, "console", reason=reason)
    try:
        entry = (
            write_off(session, portal_id, program, movement, now)
            if operation == "writeoff"
            else adjust(session, portal_id, program, movement, now)
        )
    except Refused as refused:
        return {"ok": False, "error_code": refused.code, **{k: str(v) for k, v in refused.details.items()}}
    language = portal_language(session, portal_id)
    mirror.enqueue_entries(
        session, portal_id, entry_views(session, [entry.id]), language, now, program=program
    )
    return {
        "ok": True,
        "entry_id": entry.id,
        "amount": str(entry.amount),
        "balance": str(entry.balance_after),
    }


def set_blocked(
    session: Session, portal_id: int, owner: Owner, blocked: bool, now: datetime
) -> dict[str, Any]:
    account = lock_account(session, portal_id, owner, now)
    account.blocked = blocked
    return {"owner": f"{owner.type}:{owner.id}", "blocked": blocked}
