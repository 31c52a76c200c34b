"""Won deals from before client levels existed: their ``client_wins`` rows, read from our ledger.

The tiers release records every won deal from then on; deals won earlier only left their accrual
(deal id, the snapshot's ``deal_amount``, when) in the ledger. An accrual that a reversal cancelled,
or whose lot the deal's state no longer holds, is a deal no longer won; a deal adjustment's
snapshot carries the deal's newer amount. No portal
reads: a won deal that earned nothing (no rule, no client) is not known here and counts once it is
next synchronised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from b24app.db import insert_ignore
from registry.bonuses.models import DealState
from registry.bonuses.tier_models import ClientWin
from registry.ledger.kinds import EntryKind
from registry.ledger.models import Account, LedgerEntry, Lot

ZERO = Decimal("0.00")


@dataclass
class _Win:
    """One deal's latest accrual, as the ledger tells it."""

    entry_id: int
    owner: tuple[str, int]
    amount: Decimal
    won_at: datetime


def backfill(session: Session, portal_id: int) -> int:
    """Insert the win rows of deals accrued and never reversed that have none; how many were added."""
    wins = _latest_accruals(session, portal_id)
    if not wins:
        return 0
    _apply_adjustments(session, portal_id, wins)
    known = set(session.execute(select(ClientWin.deal_id).where(ClientWin.portal_id == portal_id)).scalars())
    added = 0
    for deal_id, win in sorted(wins.items()):
        if deal_id in known:
            continue
        row = {
            "portal_id": portal_id,
            "deal_id": deal_id,
            "owner_type": win.owner[0],
            "owner_id": win.owner[1],
            "amount": max(win.amount, ZERO),
            "won_at": win.won_at,
        }
        added += int(insert_ignore(session, ClientWin.__table__, row))
    return added


def _latest_accruals(session: Session, portal_id: int) -> dict[int, _Win]:
    """Each deal's newest accrual that no reversal points at (an older one was reversed: re-won)."""
    reversal = aliased(LedgerEntry)
    reversed_ids = select(reversal.reverses_entry_id).where(
        reversal.portal_id == portal_id,
        reversal.kind == EntryKind.REVERSAL,
        reversal.reverses_entry_id.is_not(None),
    )
    rows = session.execute(
        select(LedgerEntry, Account.owner_type, Account.owner_id)
        .join(Account, Account.id == LedgerEntry.account_id)
        # the deal still holds this accrual's lot: a reversal that found nothing left in the lot
        # (spent or expired) writes no entry, but it lets go of the lot
        .join(Lot, Lot.entry_id == LedgerEntry.id)
        .join(
            DealState,
            (DealState.portal_id == portal_id)
            & (DealState.deal_id == LedgerEntry.deal_id)
            & (DealState.lot_id == Lot.id),
        )
        .where(
            LedgerEntry.portal_id == portal_id,
            LedgerEntry.kind == EntryKind.ACCRUAL,
            LedgerEntry.deal_id.is_not(None),
        )
        .order_by(LedgerEntry.id)
    ).all()
    cancelled = set(session.execute(reversed_ids).scalars())
    latest: dict[int, _Win] = {}
    for entry, owner_type, owner_id in rows:
        assert entry.deal_id is not None  # filtered above
        latest[entry.deal_id] = _Win(entry.id, (owner_type, owner_id), _deal_amount(entry), entry.created_at)
    return {deal: win for deal, win in latest.items() if win.entry_id not in cancelled}


def _apply_adjustments(session: Session, portal_id: int, wins: dict[int, _Win]) -> None:
    """A deal's amount changed while won: its newest adjustment's snapshot has the amount now."""
    adjustments = session.execute(
        select(LedgerEntry)
        .where(LedgerEntry.portal_id == portal_id, LedgerEntry.kind == EntryKind.DEAL_ADJUSTMENT)
        .order_by(LedgerEntry.id)
    ).scalars()
    for entry in adjustments:
        win = wins.get(entry.deal_id or 0)
        if win is not None and entry.reverses_entry_id == win.entry_id:
            win.amount = _deal_amount(entry, win.amount)


def _deal_amount(entry: LedgerEntry, fallback: Decimal = ZERO) -> Decimal:
    """The snapshot's ``deal_amount`` (an accrual of another shape keeps ``fallback``)."""
    try:
        return Decimal(str(entry.snapshot["deal_amount"])).quantize(Decimal("0.01"))
    except (KeyError, TypeError, InvalidOperation):
        return fallback
