"""The ledger audit: what the schema cannot hold, checked (an empty list means the ledger is whole).

* every account's balance equals the sum of its entries and what its lots still hold;
* every lot's remaining equals its amount less what was drawn from it;
* every debit entry's draws add up to what it took.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.ledger.models import Account, LedgerAudit, LedgerEntry, Lot, LotDraw

ZERO = Decimal("0")
SHOWN = 100  # differences listed at most (the count says how many there are)


def audit(session: Session, portal_id: int) -> list[str]:
    """Every difference found on one portal, as one line each."""
    return [*_accounts(session, portal_id), *_lots(session, portal_id), *_debits(session, portal_id)]


def _sums(
    session: Session, portal_id: int, column: object, key: object, *where: object
) -> dict[int, Decimal]:
    rows = session.execute(
        select(key, func.sum(column)).where(*where).group_by(key)  # type: ignore[call-overload]
    ).all()
    return {int(k): Decimal(total) for k, total in rows}


def _accounts(session: Session, portal_id: int) -> list[str]:
    entries = _sums(
        session, portal_id, LedgerEntry.amount, LedgerEntry.account_id, LedgerEntry.portal_id == portal_id
    )
    held = _sums(session, portal_id, Lot.remaining, Lot.account_id, Lot.portal_id == portal_id)
    found: list[str] = []
    for a in session.execute(select(Account).where(Account.portal_id == portal_id)).scalars():
        total, lots = entries.get(a.id, ZERO), held.get(a.id, ZERO)
        if a.balance != total:
            found.append(f"account {a.id}: cached {a.balance} != entries {total}")
        if a.balance != lots:
            found.append(f"account {a.id}: balance {a.balance} != lots hold {lots}")
    return found


def _lots(session: Session, portal_id: int) -> list[str]:
    drawn = _sums(session, portal_id, LotDraw.amount, LotDraw.lot_id, LotDraw.portal_id == portal_id)
    rows = session.execute(select(Lot.id, Lot.amount, Lot.remaining).where(Lot.portal_id == portal_id)).all()
    return [
        f"lot {lot_id}: remaining {remaining} != amount {amount} - draws {drawn.get(lot_id, ZERO)}"
        for lot_id, amount, remaining in rows
        if remaining != amount - drawn.get(lot_id, ZERO)
    ]


def _debits(session: Session, portal_id: int) -> list[str]:
    drawn = _sums(session, portal_id, LotDraw.amount, LotDraw.entry_id, LotDraw.portal_id == portal_id)
    rows = session.execute(
        select(LedgerEntry.id, LedgerEntry.amount).where(
            LedgerEntry.portal_id == portal_id, LedgerEntry.amount < 0
        )
    ).all()
    return [
        f"entry {entry_id}: took {-amount} but draws {drawn.get(entry_id, ZERO)}"
        for entry_id, amount in rows
        if drawn.get(entry_id, ZERO) != -amount
    ]


def record_audit(session: Session, portal_id: int, now: datetime) -> list[str]:
    """Audit the portal's ledger and keep the result (the first ``SHOWN`` lines and the count)."""
    found = audit(session, portal_id)
    row = session.get(LedgerAudit, portal_id)
    if row is None:
        row = LedgerAudit(portal_id=portal_id)
        session.add(row)
    row.checked_at, row.difference_count, row.differences = now, len(found), {"lines": found[:SHOWN]}
    return found


def last_audit(session: Session, portal_id: int) -> dict[str, Any] | None:
    """What the status shows: when the ledger was last audited and what differed (None: never yet)."""
    row = session.get(LedgerAudit, portal_id)
    if row is None:
        return None
    lines = list((row.differences or {}).get("lines") or [])
    return {"checked_at": row.checked_at.isoformat(), "differences": row.difference_count, "first": lines}
