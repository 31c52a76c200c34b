"""Deals drive the ledger by state, not by event: ``sync_deal`` makes the ledger match the deal now.

Won and not accrued -> accrual (generation n, key ``accrual:deal:{id}:{n}``); won with a new
amount -> a deal adjustment by the difference, computed with the accrual's own rule snapshot
(up: the lot grows; down: drawn from the lot, what it no longer holds becoming debt); not won or
deleted -> reversal of what remains of the lot, what spending took from it becoming debt (what
expired does not). Replaying any stale or duplicated observation changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from registry.bonuses import tiers
from registry.bonuses.models import DealState
from registry.ledger.account_book import AccountBook
from registry.ledger.kinds import EntryKind
from registry.ledger.lots import spent_from
from registry.ledger.models import Account, LedgerEntry, Lot
from registry.ledger.posting import ZERO, FromLot, IntoLot, Movement, NewLot, Owner, post
from registry.program.deal import DealSnapshot, observed
from registry.program.document import Program, current_program
from registry.program.valuation import amount_from_snapshot, evaluate


@dataclass
class SyncOutcome:
    entries: list[LedgerEntry] = field(default_factory=list)
    skipped: str | None = None


def owner_of(deal: DealSnapshot, program: Program) -> Owner | None:
    company = Owner("company", deal.company_id) if deal.company_id else None
    contact = Owner("contact", deal.contact_id) if deal.contact_id else None
    first, second = (contact, company) if program.owner_preference == "contact_first" else (company, contact)
    return first or second


# Built once with bound parameters (every won deal): building it per call cost more than running it.
_LOCK_STATES = (
    select(DealState)
    .where(
        DealState.portal_id == bindparam("portal_id"), DealState.deal_id.in_(bindparam("ids", expanding=True))
    )
    .with_for_update()
)
KnownStates = Mapping[int, DealState]  # the rows of some deals, read at once; a deal missing has none


def lock_states(session: Session, portal_id: int, deal_ids: Sequence[int]) -> KnownStates:
    """The rows of these deals that exist, locked, in one statement (a group's deals at once)."""
    rows = session.execute(_LOCK_STATES, {"portal_id": portal_id, "ids": list(deal_ids)}).scalars()
    return {state.deal_id: state for state in rows}


def _state(
    session: Session, portal_id: int, deal_id: int, now: datetime, known: KnownStates | None
) -> tuple[DealState, bool]:
    """The deal's row, locked (from ``known`` when the caller read it); a deal never seen before
    gets a new one, added by ``sync_deal`` once its fields are final (one INSERT, not an insert, a
    read and an update). True when it is new.

    A lane syncs a portal's deals one at a time, so nobody else creates the row meanwhile; if
    someone did, the INSERT fails, the caller's savepoint rolls this deal back and it is retried.
    """
    if known is None:
        known = lock_states(session, portal_id, [deal_id])
    state = known.get(deal_id)
    if state is not None:
        return state, False
    fresh = DealState(
        portal_id=portal_id,
        deal_id=deal_id,
        generation=0,
        adjustments=0,
        lot_id=None,
        accrued=ZERO,
        base_amount=ZERO,
        updated_at=now,
    )
    return fresh, True


def sync_deal(
    session: Session,
    portal_id: int,
    deal: DealSnapshot,
    now: datetime,
    *,
    program: Program | None = None,
    known: KnownStates | None = None,
    book: AccountBook | None = None,
) -> SyncOutcome:
    """Make the ledger agree with the deal's current state (one transaction, owned by the caller).

    ``program`` is the one the lane step loaded for its round (loaded here when not given);
    ``known``, the deal rows the caller locked for a group of deals (``lock_states``); ``book``,
    the group's accounts (an accrual then goes in with the group's flush: ``post``).
    """
    program = program or current_program(session, portal_id)
    state, fresh = _state(session, portal_id, deal.deal_id, now, known)
    bad_amount = deal.won and deal.amount_problem is not None
    if bad_amount:
        outcome = SyncOutcome(skipped=(deal.amount_problem or "")[:255])
    else:
        outcome = _ledger(session, program, state, deal, now, book)
    # What the deal row keeps of this look is set after the posting: the row is written once,
    # not once when the posting's reads flush it and again after.
    state.updated_at, state.skipped_reason = now, outcome.skipped
    if deal.exists:
        state.observed = observed(deal)
    if fresh:
        session.add(state)
    if bad_amount:
        return outcome
    # after the accrual: this deal counts towards the client's level for their next deals
    owner = owner_of(deal, program) if deal.won else None
    tiers.track(session, state.portal_id, program, deal.deal_id, owner, deal.amount, now, fresh=fresh)
    return outcome


def _ledger(
    session: Session,
    program: Program,
    state: DealState,
    deal: DealSnapshot,
    now: datetime,
    book: AccountBook | None = None,
) -> SyncOutcome:
    if state.lot_id is None:
        return _accrue(session, program, state, deal, now, book) if deal.won else SyncOutcome()
    lot = session.get_one(Lot, state.lot_id)
    if not deal.won:
        return _reverse(session, state, lot, now)
    if deal.amount != state.base_amount:
        return _adjust(session, program, state, lot, deal, now)
    return SyncOutcome()


def _accrue(
    session: Session,
    program: Program,
    state: DealState,
    deal: DealSnapshot,
    now: datetime,
    book: AccountBook | None = None,
) -> SyncOutcome:
    owner = owner_of(deal, program)
    skipped: list[str] = []
    level = tiers.recalculate(session, state.portal_id, program, owner, now) if owner else None
    result = evaluate(program, deal, now.date(), skipped, level) if owner else None
    if owner is None or result is None or result[0] <= ZERO:
        return SyncOutcome(skipped=_skip_reason(owner, result, skipped))
    amount, snapshot = result
    generation = state.generation + 1
    posting = post(
        session,
        state.portal_id,
        Movement(
            EntryKind.ACCRUAL,
            owner,
            amount,
            f"accrual:deal:{deal.deal_id}:{generation}",
            f"deal:{deal.deal_id}",
            f"deal:{deal.deal_id}",
            NewLot(program.lifetime_days, program.hold_days),
            deal_id=deal.deal_id,
            legal_entity_id=program.legal_entity_of(deal),
            snapshot={**snapshot, "lifetime_days": program.lifetime_days},
        ),
        now,
        book=book,
    )
    assert posting.lot is not None  # a credit always has its lot
    _link_lot(state, posting.lot)
    state.generation, state.adjustments = generation, 0
    state.accrued, state.base_amount = amount, deal.amount
    return SyncOutcome(posting.entries)


def _link_lot(state: DealState, lot: Lot) -> None:
    """The deal's row points at its lot; a lot the group's flush inserts has no id yet."""
    if lot.id is None:
        state.lot = lot
    else:
        state.lot_id = lot.id


def _skip_reason(
    owner: Owner | None, result: tuple[Decimal, dict[str, Any]] | None, skipped: list[str]
) -> str:
    """``no_client``, ``zero_amount``, or ``no_rule`` with why the rules in scope could not value it."""
    if owner is None:
        return "no_client"
    if result is not None:
        return "zero_amount"
    return ("no_rule: " + "; ".join(skipped))[:255] if skipped else "no_rule"


def _reverse(session: Session, state: DealState, lot: Lot, now: datetime) -> SyncOutcome:
    """What is left of the lot is cancelled; what spending took from it becomes debt."""
    origin = session.get_one(LedgerEntry, lot.entry_id)
    key, source = f"reversal:deal:{state.deal_id}:{state.generation}", f"deal:{state.deal_id}"
    movement = lot_reversal(session, lot, origin, _lot_owner(session, lot), key, source, state.deal_id)
    state.lot_id, state.accrued, state.base_amount = None, ZERO, ZERO
    return SyncOutcome(post(session, state.portal_id, movement, now).entries)


def lot_reversal(
    session: Session, lot: Lot, origin: LedgerEntry, owner: Owner, key: str, source: str, deal_id: int
) -> Movement:
    """A deal no longer won takes back what is left of a lot it earned (``origin``, the accrual);
    what spending took from the lot becomes debt."""
    return Movement(
        EntryKind.REVERSAL,
        owner,
        -lot.remaining,
        key,
        "system",
        source,
        FromLot(lot.id),
        reason="deal_not_won",
        deal_id=deal_id,
        legal_entity_id=origin.legal_entity_id,
        reverses=origin.id,
        snapshot=origin.snapshot,
        debt=spent_from(session, lot),
    )


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
    state.accrued = target
    state.adjustments += 1
    days = int(origin.snapshot.get("lifetime_days", program.lifetime_days))
    movement = Movement(
        EntryKind.DEAL_ADJUSTMENT,
        _lot_owner(session, lot),
        diff,
        f"adjust:deal:{deal.deal_id}:{state.generation}:{state.adjustments}",
        f"deal:{deal.deal_id}",
        f"deal:{deal.deal_id}",
        # up: the lot grows (an expired one lives a lifetime of its own); down: drawn from the lot
        IntoLot(lot.id, days) if diff > ZERO else FromLot(lot.id),
        reason="deal_amount_changed",
        deal_id=deal.deal_id,
        legal_entity_id=origin.legal_entity_id,
        reverses=origin.id,
        snapshot={**origin.snapshot, "deal_amount": str(deal.amount)},
    )
    return SyncOutcome(post(session, state.portal_id, movement, now).entries)


def _lot_owner(session: Session, lot: Lot) -> Owner:
    account = session.get_one(Account, lot.account_id)
    return Owner(account.owner_type, account.owner_id)
