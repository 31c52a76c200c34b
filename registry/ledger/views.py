"""Read-only views of ledger entries for the mirror and notifications (no ORM objects leak out)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.ledger.kinds import ACCRUALS, EntryKind
from registry.ledger.models import Account, LedgerEntry, Lot
from registry.ledger.posting import balance_of

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


def entry_views(session: Session, entry_ids: Sequence[int]) -> list[EntryView]:
    if not entry_ids:
        return []
    # Columns, not entities: asked twice per won deal, and loading ORM objects cost more than the
    # query itself.
    e, a = LedgerEntry, Account
    rows = session.execute(
        select(
            e.id, e.portal_id, e.kind, e.amount, e.balance_after, a.owner_type, a.owner_id,
            e.created_at, e.deal_id, e.reason, e.snapshot, Lot.id.label("lot_id"), Lot.expires_at,
            Lot.activated_at, Lot.expired_at,
        )
        .join(Account, Account.id == LedgerEntry.account_id)
        .outerjoin(Lot, Lot.entry_id == LedgerEntry.id)
        .where(LedgerEntry.id.in_(list(entry_ids)))
        .order_by(LedgerEntry.id)
    ).all()  # fmt: skip
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


def current_balance(session: Session, portal_id: int, owner_type: str, owner_id: int) -> Decimal:
    """The ledger balance without bonuses still on hold (what can be spent once holds end)."""
    held = session.execute(
        select(func.coalesce(func.sum(Lot.remaining), 0))
        .join(Account, Account.id == Lot.account_id)
        .where(
            Account.portal_id == portal_id,
            Account.owner_type == owner_type,
            Account.owner_id == owner_id,
            Lot.activated_at.is_(None),
        )
    ).scalar_one()
    return balance_of(session, portal_id, owner_type, owner_id) - Decimal(held)


def debt_of(session: Session, portal_id: int, owner_type: str, owner_id: int) -> Decimal:
    value = session.execute(
        select(Account.debt).where(
            Account.portal_id == portal_id, Account.owner_type == owner_type, Account.owner_id == owner_id
        )
    ).scalar_one_or_none()
    return value if value is not None else Decimal("0")
