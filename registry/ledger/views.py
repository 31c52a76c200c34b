"""Read-only views of ledger entries for the mirror and notifications (no ORM objects leak out)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, select, tuple_
from sqlalchemy.orm import Session

from registry.ledger.kinds import ACCRUALS, EntryKind
from registry.ledger.models import Account, LedgerEntry, Lot

STATE_OF_KIND: dict[str, str] = {
    EntryKind.ACCRUAL: "active",
    EntryKind.MANUAL_ACCRUAL: "active",
    EntryKind.CAMPAIGN: "active",
    EntryKind.WRITE_OFF: "written_off",
    EntryKind.EXPIRY: "expired",
    EntryKind.REVERSAL: "cancelled",
}


@dataclass(frozen=True)
class EntryView:
    """One ledger movement as the portal and the client should hear about it."""

    id: int
    portal_id: int
    kind: str  # an EntryKind
    amount: Decimal  # signed: positive adds to the balance
    balance_after: Decimal
    owner_type: str  # contact | company
    owner_id: int
    state: str  # pending | active | written_off | cancelled | expired (registry stage)
    created_at: datetime
    deal_id: int | None = None
    expires_at: datetime | None = None
    reason: str | None = None
    snapshot: dict[str, Any] = field(
        default_factory=dict
    )  # rule that produced it: percent, base_amount, currency


def entry_view(session: Session, entry_id: int) -> EntryView:
    views = entry_views(session, [entry_id])
    if not views:
        raise LookupError(f"no ledger entry {entry_id}")
    return views[0]


# Columns, not entities: asked twice per won deal, and loading ORM objects cost more than the
# query itself. Built once with bound parameters: building a statement (and its cache key) per call
# cost more than running it.
_E, _A = LedgerEntry, Account
_ENTRY_VIEWS = (
    select(
        _E.id, _E.portal_id, _E.kind, _E.amount, _E.balance_after, _A.owner_type, _A.owner_id,
        _E.created_at, _E.deal_id, _E.reason, _E.snapshot, Lot.id.label("lot_id"), Lot.expires_at,
        Lot.activated_at, Lot.expired_at,
    )
    .join(Account, Account.id == LedgerEntry.account_id)
    .outerjoin(Lot, Lot.entry_id == LedgerEntry.id)
    .where(LedgerEntry.id.in_(bindparam("ids", expanding=True)))
    .order_by(LedgerEntry.id)
)  # fmt: skip
# Owners' balances, debts and what of the balance is still on hold, in one statement: the mirror
# writes a batch's balance fields from one read.
_BALANCES = select(
    Account.owner_type,
    Account.owner_id,
    Account.balance,
    Account.debt,
    select(func.coalesce(func.sum(Lot.remaining), 0))
    .where(Lot.account_id == Account.id, Lot.activated_at.is_(None))
    .scalar_subquery()
    .label("held"),
).where(
    Account.portal_id == bindparam("portal_id"),
    tuple_(Account.owner_type, Account.owner_id).in_(bindparam("owners", expanding=True)),
)
OwnerKey = tuple[str, int]  # (owner_type, owner_id)


@dataclass(frozen=True)
class Standing:
    """An owner's balance without bonuses still on hold, and their debt."""

    balance: Decimal
    debt: Decimal


NOTHING = Standing(Decimal("0"), Decimal("0"))  # no account yet: nothing earned, held or owed


def entry_views(session: Session, entry_ids: Sequence[int]) -> list[EntryView]:
    if not entry_ids:
        return []
    rows = session.execute(_ENTRY_VIEWS, {"ids": list(entry_ids)}).all()
    return [
        EntryView(
            r.id,
            r.portal_id,
            r.kind,
            r.amount,
            r.balance_after,
            r.owner_type,
            r.owner_id,
            _state(r.kind, r.amount, r.activated_at, r.expired_at, lot_exists=r.lot_id is not None),
            r.created_at,
            r.deal_id,
            r.expires_at,
            r.reason,
            dict(r.snapshot or {}),
        )
        for r in rows
    ]


def _state(
    kind: str, amount: Decimal, activated: datetime | None, expired: datetime | None, *, lot_exists: bool
) -> str:
    """The registry stage an entry's item should be in now: a held accrual is pending, an expired
    one expired; other kinds keep the stage of their kind."""
    if kind in ACCRUALS and lot_exists:
        if expired is not None:
            return "expired"
        if activated is None:
            return "pending"
    return STATE_OF_KIND.get(kind, "active" if amount > 0 else "written_off")


def standings(session: Session, portal_id: int, owners: Sequence[OwnerKey]) -> dict[OwnerKey, Standing]:
    """Every owner's ``Standing`` in one statement (owners without an account: ``NOTHING``)."""
    found = {owner: NOTHING for owner in owners}
    if owners:
        rows = session.execute(_BALANCES, {"portal_id": portal_id, "owners": list(set(owners))})
        for owner_type, owner_id, balance, debt, held in rows:
            found[(owner_type, owner_id)] = Standing(Decimal(balance) - Decimal(held), Decimal(debt))
    return found
