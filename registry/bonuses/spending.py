"""Spending and manual movements, checked and then posted: write-offs drawn FIFO from lots, manual
accruals, support corrections.

The owner's account row is locked before anything is checked, so concurrent write-offs for one
owner run one after another and the last ones see what the first ones took: twenty write-offs of
10 against 100 leave exactly ten successes and a balance of 0. Refusals write nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.ledger import posting
from registry.ledger.kinds import EntryKind
from registry.ledger.lots import available
from registry.ledger.models import Account, LedgerEntry
from registry.ledger.posting import ZERO, NewLot, Owner, Spendable, existing, lock_account
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
    source: str = "console"  # what for: robot:{hash}, console


def write_off(session: Session, portal_id: int, program: Program, m: Movement, now: datetime) -> LedgerEntry:
    """Validate and write off; Refused with a code when it cannot be done."""
    done = existing(session, portal_id, m.key)
    if done is not None:
        return done  # the same request again: same result
    if m.amount <= ZERO:
        raise Refused("BAD_AMOUNT", value=str(m.amount))
    account = lock_account(session, portal_id, m.owner, now)
    if account.blocked:
        raise Refused("BLOCKED")
    cap = program.writeoff_max_per_operation
    if cap is not None and m.amount > cap:
        raise Refused("CAP_EXCEEDED", cap=cap)
    _check_deal_share(session, account, program, m)
    have = available(session, account, now)
    if m.amount > have:
        raise Refused("INSUFFICIENT_BALANCE", available=have)
    return _post(session, portal_id, m, EntryKind.WRITE_OFF, -m.amount, Spendable(), now)[0]


def _check_deal_share(session: Session, account: Account, program: Program, m: Movement) -> None:
    share = program.writeoff_max_deal_share
    if share is None or m.deal_id is None or m.deal_amount is None:
        return
    spent = session.execute(
        select(func.coalesce(func.sum(-LedgerEntry.amount), 0)).where(
            LedgerEntry.account_id == account.id,
            LedgerEntry.deal_id == m.deal_id,
            LedgerEntry.kind == EntryKind.WRITE_OFF,
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
    if lock_account(session, portal_id, m.owner, now).blocked:
        raise Refused("BLOCKED")
    snapshot = {"kind": "manual", "lifetime_days": program.lifetime_days}
    lots = NewLot(program.lifetime_days)
    return _post(session, portal_id, m, EntryKind.MANUAL_ACCRUAL, m.amount, lots, now, snapshot)


def adjust(session: Session, portal_id: int, program: Program, m: Movement, now: datetime) -> LedgerEntry:
    """A support correction by a signed amount: up opens a lot, down draws FIFO like a write-off."""
    done = existing(session, portal_id, m.key)
    if done is not None:
        return done
    if not (m.reason or "").strip():
        raise Refused("REASON_REQUIRED")
    account = lock_account(session, portal_id, m.owner, now)
    if m.amount < ZERO and -m.amount > available(session, account, now):
        raise Refused("INSUFFICIENT_BALANCE")
    lots = NewLot(program.lifetime_days) if m.amount > ZERO else Spendable()
    return _post(session, portal_id, m, EntryKind.CORRECTION, m.amount, lots, now)[0]


def _post(
    session: Session,
    portal_id: int,
    m: Movement,
    kind: EntryKind,
    amount: Decimal,
    lots: posting.LotEffect,
    now: datetime,
    snapshot: dict[str, Any] | None = None,
) -> list[LedgerEntry]:
    movement = posting.Movement(
        kind,
        m.owner,
        amount,
        m.key,
        m.actor,
        m.source,
        lots,
        reason=m.reason,
        deal_id=m.deal_id,
        snapshot=snapshot or {},
    )
    return posting.post(session, portal_id, movement, now).entries
