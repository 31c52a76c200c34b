"""Lots: what one credit put in, spendable from its activation until it expires. Every decrease of a
lot goes through ``draw``, which records a ``LotDraw`` for the entry that took it."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from registry.ledger.kinds import SPENDING
from registry.ledger.models import Account, LedgerEntry, Lot, LotDraw

ZERO = Decimal("0")


def spendable_lots(session: Session, account: Account, now: datetime) -> list[Lot]:
    """Active, unexpired lots with something left, earliest expiry first (never-expiring last)."""
    return list(
        session.execute(
            select(Lot)
            .where(
                Lot.account_id == account.id,
                Lot.remaining > ZERO,
                Lot.activates_at <= now,
                or_(Lot.expires_at.is_(None), Lot.expires_at > now),
            )
            .order_by(Lot.expires_at.is_(None), Lot.expires_at, Lot.id)
        ).scalars()
    )


def available(session: Session, account: Account, now: datetime) -> Decimal:
    return sum((lot.remaining for lot in spendable_lots(session, account, now)), ZERO)


def open_lot(
    session: Session,
    entry: LedgerEntry,
    now: datetime,
    lifetime_days: int,
    hold_days: int = 0,
    *,
    flush: bool = True,
) -> Lot:
    """A lot for a credit: held (pending) for ``hold_days``, then spendable until it expires.

    The lifetime counts from activation, so a hold never shortens it; 0 days never expires.
    Linked to the entry and its account as objects: without ``flush`` all three may go in with
    the caller's next flush.
    """
    activates = now + timedelta(days=hold_days)
    lot = Lot(
        portal_id=entry.portal_id,
        entry=entry,
        account=entry.account,
        amount=entry.amount,
        remaining=entry.amount,
        activates_at=activates,
        activated_at=now if hold_days == 0 else None,
        expires_at=activates + timedelta(days=lifetime_days) if lifetime_days else None,
    )
    session.add(lot)
    if flush:
        session.flush()
    return lot


def grow(lot: Lot, amount: Decimal, now: datetime, lifetime_days: int) -> None:
    """A credit into an existing lot; an expired lot lives again for ``lifetime_days`` from now."""
    lot.amount += amount
    lot.remaining += amount
    if lot.expired_at is not None:
        lot.expired_at = None
        lot.expires_at = now + timedelta(days=lifetime_days) if lifetime_days else None


def draw(session: Session, entry: LedgerEntry, lots: list[Lot], amount: Decimal) -> list[LotDraw]:
    """Take ``amount`` from ``lots`` in order, recording what came from where.

    Raises LotsShort when the lots hold less (callers check under the account lock first).
    """
    left, draws = amount, []
    for lot in lots:
        if left <= ZERO:
            break
        take = min(lot.remaining, left)
        if take <= ZERO:
            continue
        lot.remaining -= take
        left -= take
        draws.append(LotDraw(portal_id=entry.portal_id, entry_id=entry.id, lot_id=lot.id, amount=take))
    if left > ZERO:
        raise LotsShort(f"lots hold {amount - left}, {amount} asked")
    session.add_all(draws)
    session.flush()
    return draws


class LotsShort(RuntimeError):
    """A debit asked more of its lots than they hold (a bug: availability is checked first)."""


def spent_from(session: Session, lot: Lot) -> Decimal:
    """What spending (write-offs, corrections, debt settlements) took from ``lot``; not its expiry
    nor its deal's own cuts. A reversal of the lot's deal turns exactly this into debt."""
    total = session.execute(
        select(func.coalesce(func.sum(LotDraw.amount), 0))
        .join(LedgerEntry, LedgerEntry.id == LotDraw.entry_id)
        .where(LotDraw.lot_id == lot.id, LedgerEntry.kind.in_([str(k) for k in SPENDING]))
    ).scalar_one()
    return Decimal(total)
