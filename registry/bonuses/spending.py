"""Spending and manual movements: write-offs drawn FIFO from lots, manual accruals, adjustments.

A write-off takes from the spendable lots (active, not expired) earliest expiry first and records
one ``LotDraw`` per lot it touched. The owner's account row is locked first, so concurrent
write-offs for one owner run one after another and the last ones see what the first ones took:
twenty write-offs of 10 against 100 leave exactly ten successes and a balance of 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from registry.ledger import posting as ledger
from registry.ledger.models import Account, LedgerEntry, Lot, LotDraw
from registry.ledger.posting import ZERO, Owner
from registry.program.document import Program
from registry.program.values import plain_amount


class Refused(Exception):
    """A request we answer with ``ok=N`` and a code; nothing was written."""

    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


def parse_amount(raw: Any) -> Decimal:
    """A positive amount in plain decimal notation with at most two decimals (``1 000,50`` too).

    ``1e30``, ``NaN``, ``Infinity``, ``1_0``, full-width digits and more than 12 integer digits
    are refused with ``BAD_AMOUNT`` (see ``registry.values.plain_amount``).
    """
    amount = plain_amount(raw)
    if amount is None or amount <= ZERO:
        raise Refused("BAD_AMOUNT", value=str(raw)[:40])
    return amount


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


def draw(session: Session, entry: LedgerEntry, lots: list[Lot], amount: Decimal) -> None:
    """Take ``amount`` from ``lots`` in order, recording what came from where."""
    left = amount
    for lot in lots:
        if left <= ZERO:
            break
        take = min(lot.remaining, left)
        lot.remaining -= take
        left -= take
        session.add(LotDraw(portal_id=entry.portal_id, entry_id=entry.id, lot_id=lot.id, amount=take))
    if left > ZERO:  # callers check availability under the account lock first
        raise RuntimeError("lots do not cover the amount")
    session.flush()


@dataclass(frozen=True)
class Movement:
    """One requested movement: who, how much, why, and the key that makes it happen once."""

    owner: Owner
    amount: Decimal
    key: str
    actor: str
    reason: str | None = None
    deal_id: int | None = None
    deal_amount: Decimal | None = None


def existing(session: Session, portal_id: int, key: str) -> LedgerEntry | None:
    return session.execute(
        select(LedgerEntry).where(LedgerEntry.portal_id == portal_id, LedgerEntry.business_key == key)
    ).scalar_one_or_none()


def write_off(session: Session, portal_id: int, program: Program, m: Movement, now: datetime) -> LedgerEntry:
    """Validate and write off; Refused with a code when it cannot be done."""
    done = existing(session, portal_id, m.key)
    if done is not None:
        return done  # the same request again: same result
    if m.amount <= ZERO:
        raise Refused("BAD_AMOUNT", value=str(m.amount))
    account = ledger.lock_account(session, portal_id, m.owner, now, program.allow_negative)
    if account.blocked:
        raise Refused("BLOCKED")
    cap = program.writeoff_max_per_operation
    if cap is not None and m.amount > cap:
        raise Refused("CAP_EXCEEDED", cap=cap)
    _check_deal_share(session, account, program, m)
    lots = spendable_lots(session, account, now)
    have = sum((lot.remaining for lot in lots), ZERO)
    if m.amount > have:
        raise Refused("INSUFFICIENT_BALANCE", available=have)
    entry = ledger.post(
        session,
        account,
        kind="write_off",
        amount=-m.amount,
        key=m.key,
        actor=m.actor,
        now=now,
        deal_id=m.deal_id,
        reason=m.reason,
    )
    draw(session, entry, lots, m.amount)
    return entry


def _check_deal_share(session: Session, account: Account, program: Program, m: Movement) -> None:
    share = program.writeoff_max_deal_share
    if share is None or m.deal_id is None or m.deal_amount is None:
        return
    spent = session.execute(
        select(func.coalesce(func.sum(-LedgerEntry.amount), 0)).where(
            LedgerEntry.account_id == account.id,
            LedgerEntry.deal_id == m.deal_id,
            LedgerEntry.kind == "write_off",
        )
    ).scalar_one()
    cap = (m.deal_amount * share / Decimal("100")).quantize(Decimal("0.01"))
    if Decimal(spent) + m.amount > cap:
        raise Refused("CAP_EXCEEDED", cap=cap)


def accrue_manually(
    session: Session, portal_id: int, program: Program, m: Movement, now: datetime
) -> list[LedgerEntry]:
    """A manager's accrual with a reason: a lot like any accrual (it expires, it can be spent)."""
    done = existing(session, portal_id, m.key)
    if done is not None:
        return [done]
    if m.amount <= ZERO:
        raise Refused("BAD_AMOUNT", value=str(m.amount))
    if not (m.reason or "").strip():
        raise Refused("REASON_REQUIRED")
    limit = program.manual_accrual_approval_above
    if limit is not None and m.amount > limit:
        raise Refused("APPROVAL_REQUIRED", limit=limit)
    account = ledger.lock_account(session, portal_id, m.owner, now, program.allow_negative)
    if account.blocked:
        raise Refused("BLOCKED")
    entry = ledger.post(
        session,
        account,
        kind="accrual",
        amount=m.amount,
        key=m.key,
        actor=m.actor,
        now=now,
        deal_id=m.deal_id,
        reason=m.reason,
        snapshot={"kind": "manual", "lifetime_days": program.lifetime_days},
    )
    lot = ledger.open_lot(session, entry, m.amount, now, program.lifetime_days)
    repaid = ledger.settle_debt(session, account, lot, entry, now)
    return [entry] + ([repaid] if repaid else [])


def adjust(session: Session, portal_id: int, program: Program, m: Movement, now: datetime) -> LedgerEntry:
    """A support correction by a signed amount: up opens a lot, down draws FIFO like a write-off."""
    done = existing(session, portal_id, m.key)
    if done is not None:
        return done
    if not (m.reason or "").strip():
        raise Refused("REASON_REQUIRED")
    account = ledger.lock_account(session, portal_id, m.owner, now, program.allow_negative)
    lots = spendable_lots(session, account, now) if m.amount < ZERO else []
    if m.amount < ZERO and -m.amount > sum((lot.remaining for lot in lots), ZERO):
        raise Refused("INSUFFICIENT_BALANCE")
    entry = ledger.post(
        session,
        account,
        kind="adjustment",
        amount=m.amount,
        key=m.key,
        actor=m.actor,
        now=now,
        reason=m.reason,
    )
    if m.amount > ZERO:
        ledger.open_lot(session, entry, m.amount, now, program.lifetime_days)
    else:
        draw(session, entry, lots, -m.amount)
    return entry
