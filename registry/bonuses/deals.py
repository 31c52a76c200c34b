"""Deals drive the ledger by state, not by event: ``sync_deal`` makes the ledger match the deal now.

Won and not accrued -> accrual (generation n, key ``accrual:deal:{id}:{n}``); won with a new
amount -> adjustment by the difference, computed with the accrual's own rule snapshot; not won
or deleted -> reversal of what remains of the lot, the spent part becoming debt (or a negative
balance, as the program says). Replaying any stale or duplicated observation changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app.db import insert_ignore
from registry.bonuses.models import DealState
from registry.ledger import posting as ledger
from registry.ledger.models import Account, LedgerEntry, Lot
from registry.ledger.posting import ZERO, Owner
from registry.program.deal import DealSnapshot
from registry.program.document import Program, amount_from_snapshot, current_program, evaluate


@dataclass
class SyncOutcome:
    entries: list[LedgerEntry] = field(default_factory=list)
    skipped: str | None = None


def owner_of(deal: DealSnapshot, program: Program) -> Owner | None:
    company = Owner("company", deal.company_id) if deal.company_id else None
    contact = Owner("contact", deal.contact_id) if deal.contact_id else None
    first, second = (contact, company) if program.owner_preference == "contact_first" else (company, contact)
    return first or second


def _state(session: Session, portal_id: int, deal_id: int, now: datetime) -> DealState:
    insert_ignore(
        session,
        DealState.__table__,
        {
            "portal_id": portal_id,
            "deal_id": deal_id,
            "generation": 0,
            "adjustments": 0,
            "accrued": ZERO,
            "base_amount": ZERO,
            "updated_at": now,
        },
    )
    return session.execute(
        select(DealState)
        .where(DealState.portal_id == portal_id, DealState.deal_id == deal_id)
        .with_for_update()
    ).scalar_one()


def sync_deal(
    session: Session, portal_id: int, deal: DealSnapshot, now: datetime, *, program: Program | None = None
) -> SyncOutcome:
    """Make the ledger agree with the deal's current state (one transaction, owned by the caller).

    ``program`` is the one the lane step loaded for its round (loaded here when not given).
    """
    program = program or current_program(session, portal_id)
    state = _state(session, portal_id, deal.deal_id, now)
    state.updated_at, state.skipped_reason = now, None
    if deal.won and deal.amount_problem is not None:
        state.skipped_reason = deal.amount_problem[:255]
        return SyncOutcome(skipped=state.skipped_reason)
    if state.lot_id is None:
        return _accrue(session, program, state, deal, now) if deal.won else SyncOutcome()
    lot = session.get_one(Lot, state.lot_id)
    if not deal.won:
        return _reverse(session, program, state, lot, now)
    if deal.amount != state.base_amount:
        return _adjust(session, program, state, lot, deal, now)
    return SyncOutcome()


def _accrue(
    session: Session, program: Program, state: DealState, deal: DealSnapshot, now: datetime
) -> SyncOutcome:
    owner = owner_of(deal, program)
    skipped: list[str] = []
    result = evaluate(program, deal, now.date(), skipped) if owner else None
    if owner is None or result is None or result[0] <= ZERO:
        state.skipped_reason = _skip_reason(owner, result, skipped)
        return SyncOutcome(skipped=state.skipped_reason)
    amount, snapshot = result
    account = ledger.lock_account(session, state.portal_id, owner, now, program.allow_negative)
    state.generation += 1
    entry = ledger.post(
        session,
        account,
        kind="accrual",
        amount=amount,
        actor=f"deal:{deal.deal_id}",
        now=now,
        key=f"accrual:deal:{deal.deal_id}:{state.generation}",
        deal_id=deal.deal_id,
        snapshot={**snapshot, "lifetime_days": program.lifetime_days},
    )
    lot = ledger.open_lot(session, entry, amount, now, program.lifetime_days, program.hold_days)
    state.lot_id, state.accrued, state.base_amount, state.skipped_reason = lot.id, amount, deal.amount, None
    state.adjustments = 0
    entries = [entry]
    repaid = ledger.settle_debt(session, account, lot, entry, now)
    return SyncOutcome(entries + ([repaid] if repaid else []))


def _skip_reason(
    owner: Owner | None, result: tuple[Decimal, dict[str, Any]] | None, skipped: list[str]
) -> str:
    """``no_client``, ``zero_amount``, or ``no_rule`` with why the rules in scope could not value it."""
    if owner is None:
        return "no_client"
    if result is not None:
        return "zero_amount"
    return ("no_rule: " + "; ".join(skipped))[:255] if skipped else "no_rule"


def _reverse(session: Session, program: Program, state: DealState, lot: Lot, now: datetime) -> SyncOutcome:
    account = ledger.lock_account(
        session, state.portal_id, _lot_owner(session, lot), now, program.allow_negative
    )
    spent = lot.amount - lot.remaining  # spent, or used to repay older debt: either way now unfunded
    cancel = lot.remaining + (spent if account.allow_negative else ZERO)
    if not account.allow_negative:
        account.debt += spent
    lot.remaining = ZERO
    origin = session.get_one(LedgerEntry, lot.entry_id)
    state.lot_id, state.accrued, state.base_amount = None, ZERO, ZERO
    if cancel <= ZERO:
        return SyncOutcome()
    entry = ledger.post(
        session,
        account,
        kind="reversal",
        amount=-cancel,
        now=now,
        actor="system",
        key=f"reversal:deal:{state.deal_id}:{state.generation}",
        deal_id=state.deal_id,
        reason="deal_not_won",
        reverses=origin.id,
        snapshot=origin.snapshot,
    )
    return SyncOutcome([entry])


def _adjust(
    session: Session, program: Program, state: DealState, lot: Lot, deal: DealSnapshot, now: datetime
) -> SyncOutcome:
    origin = session.get_one(LedgerEntry, lot.entry_id)
    target = amount_from_snapshot(origin.snapshot, deal)
    if target is None:  # the original rule cannot value the deal now; keep what was accrued
        return SyncOutcome()
    diff = target - state.accrued
    state.base_amount = deal.amount
    if diff == ZERO:
        return SyncOutcome()
    account = ledger.lock_account(
        session, state.portal_id, _lot_owner(session, lot), now, program.allow_negative
    )
    if diff > ZERO:
        lot.amount += diff
        lot.remaining += diff
        effect = diff
        if lot.expired_at is not None:  # the lot had expired: the increase lives a lifetime of its own
            days = int(origin.snapshot.get("lifetime_days", program.lifetime_days))
            lot.expired_at, lot.expires_at = None, now + timedelta(days=days) if days else None
    else:
        taken = min(lot.remaining, -diff)
        lot.remaining -= taken
        lot.amount += diff  # may dip below remaining only if we took less; remaining ≤ amount holds
        shortfall = -diff - taken
        if account.allow_negative:
            effect = diff
        else:
            account.debt += shortfall
            effect = -taken
    state.accrued = target
    state.adjustments += 1
    if effect == ZERO:
        return SyncOutcome()
    entry = ledger.post(
        session,
        account,
        kind="adjustment",
        amount=effect,
        now=now,
        actor=f"deal:{deal.deal_id}",
        key=f"adjust:deal:{deal.deal_id}:{state.generation}:{state.adjustments}",
        deal_id=deal.deal_id,
        reason="deal_amount_changed",
        reverses=origin.id,
        snapshot={**origin.snapshot, "deal_amount": str(deal.amount)},
    )
    return SyncOutcome([entry])


def _lot_owner(session: Session, lot: Lot) -> Owner:
    account = session.get_one(Account, lot.account_id)
    return Owner(account.owner_type, account.owner_id)
