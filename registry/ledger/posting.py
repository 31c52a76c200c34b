"""Posting to the ledger: accounts locked per owner, entries appended, lots filled and drained.

Callers own the transaction. Every balance change goes through ``post`` so the cached balance
and the entry's ``balance_after`` move together with the lots.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from b24app.db import insert_ignore
from registry.ledger.models import Account, LedgerEntry, Lot

ZERO = Decimal("0")


@dataclass(frozen=True)
class Owner:
    type: str  # contact | company
    id: int


def lock_account(
    session: Session, portal_id: int, owner: Owner, now: datetime, allow_negative: bool
) -> Account:
    """The owner's account, created if needed, locked for this transaction (serialises spends)."""
    values = {
        "portal_id": portal_id,
        "owner_type": owner.type,
        "owner_id": owner.id,
        "balance": ZERO,
        "debt": ZERO,
        "allow_negative": allow_negative,
        "blocked": False,
        "updated_at": now,
    }
    insert_ignore(session, Account.__table__, values)
    account = session.execute(
        select(Account)
        .where(Account.portal_id == portal_id, Account.owner_type == owner.type, Account.owner_id == owner.id)
        .with_for_update()
    ).scalar_one()
    account.allow_negative = allow_negative
    return account


def post(
    session: Session,
    account: Account,
    *,
    kind: str,
    amount: Decimal,
    key: str,
    actor: str,
    now: datetime,
    deal_id: int | None = None,
    reason: str | None = None,
    snapshot: dict[str, Any] | None = None,
    reverses: int | None = None,
) -> LedgerEntry:
    """Append one entry and move the cached balance by ``amount``."""
    account.balance += amount
    account.updated_at = now
    entry = LedgerEntry(
        portal_id=account.portal_id,
        account_id=account.id,
        kind=kind,
        amount=amount,
        balance_after=account.balance,
        business_key=key,
        reason=reason,
        actor=actor,
        deal_id=deal_id,
        reverses_entry_id=reverses,
        snapshot=snapshot or {},
        created_at=now,
    )
    session.add(entry)
    session.flush()
    return entry


def open_lot(
    session: Session,
    entry: LedgerEntry,
    amount: Decimal,
    now: datetime,
    lifetime_days: int,
    hold_days: int = 0,
) -> Lot:
    """A lot for an accrual: held (pending) for ``hold_days``, then spendable until it expires.

    The lifetime counts from activation, so a hold never shortens it.
    """
    activates = now + timedelta(days=hold_days)
    expires = activates + timedelta(days=lifetime_days) if lifetime_days else None
    lot = Lot(
        portal_id=entry.portal_id,
        account_id=entry.account_id,
        entry_id=entry.id,
        amount=amount,
        remaining=amount,
        activates_at=activates,
        activated_at=now if hold_days == 0 else None,
        expires_at=expires,
    )
    session.add(lot)
    session.flush()
    return lot


def settle_debt(
    session: Session, account: Account, lot: Lot, entry: LedgerEntry, now: datetime
) -> LedgerEntry | None:
    """A new accrual first pays what earlier reversals left as debt."""
    pay = min(account.debt, lot.remaining)
    if pay <= ZERO:
        return None
    account.debt -= pay
    lot.remaining -= pay
    return post(
        session,
        account,
        kind="adjustment",
        amount=-pay,
        key=f"debt:{entry.id}",
        actor="system",
        now=now,
        deal_id=entry.deal_id,
        reason="debt_repayment",
    )


def balance_of(session: Session, portal_id: int, owner_type: str, owner_id: int) -> Decimal:
    value = session.execute(
        select(Account.balance).where(
            Account.portal_id == portal_id, Account.owner_type == owner_type, Account.owner_id == owner_id
        )
    ).scalar_one_or_none()
    return value if value is not None else ZERO


def audit(session: Session, portal_id: int) -> list[str]:
    """Accounts whose cached balance differs from the sum of their entries (should be empty)."""
    rows = session.execute(
        select(LedgerEntry.account_id, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.portal_id == portal_id)
        .group_by(LedgerEntry.account_id)
    ).all()
    sums: dict[int, Decimal] = {int(account_id): Decimal(total) for account_id, total in rows}
    accounts = session.execute(select(Account).where(Account.portal_id == portal_id)).scalars()
    return [
        f"account {a.id}: cached {a.balance} != entries {sums.get(a.id, ZERO)}"
        for a in accounts
        if a.balance != sums.get(a.id, ZERO)
    ]
