"""Settlement per legal entity and period: what each of the portal's own companies awarded, and
what became of it (cancelled, spent, expired) and still owes at the period's end.

A credit belongs to the legal entity on its entry. A debit (a write-off, an expiry, a reversal)
can take from lots of several legal entities, so it is split by its lot draws: each draw counts
for the legal entity of the lot it took from. ``outstanding`` is what the entity's lots held at
the end of the period (credits minus draws up to then).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from registry.ledger.kinds import EntryKind
from registry.ledger.models import LedgerEntry, Lot, LotDraw

ZERO = Decimal("0")
COLUMNS = ("legal_entity", "accrued", "cancelled", "spent", "expired", "outstanding")
# Which column a draw counts in, by the kind of the debit that drew it.
DRAWN_AS = {
    EntryKind.WRITE_OFF: "spent",
    EntryKind.DEBT_SETTLEMENT: "spent",
    EntryKind.CORRECTION: "spent",
    EntryKind.EXPIRY: "expired",
    EntryKind.REVERSAL: "cancelled",
    EntryKind.DEAL_ADJUSTMENT: "cancelled",
}


@dataclass
class SettlementRow:
    legal_entity: int | None  # None: awarded with no legal entity set
    accrued: Decimal = ZERO
    cancelled: Decimal = ZERO
    spent: Decimal = ZERO
    expired: Decimal = ZERO
    outstanding: Decimal = ZERO

    def as_dict(self) -> dict[str, str | int | None]:
        values = {c: str(getattr(self, c)) for c in COLUMNS[1:]}
        return {"legal_entity": self.legal_entity, **values}


def settlement(session: Session, portal_id: int, start: datetime, end: datetime) -> list[SettlementRow]:
    """Rows per legal entity for entries made in ``[start, end)``; ``outstanding`` as of ``end``."""
    rows: dict[int | None, SettlementRow] = defaultdict(lambda: SettlementRow(None))
    credits = session.execute(
        select(LedgerEntry.legal_entity_id, LedgerEntry.amount, LedgerEntry.created_at).where(
            LedgerEntry.portal_id == portal_id, LedgerEntry.amount > 0, LedgerEntry.created_at < end
        )
    )
    for entity, amount, created_at in credits:
        row = rows[entity]
        row.outstanding += amount
        if created_at >= start:
            row.accrued += amount
    origin, debit = aliased(LedgerEntry), aliased(LedgerEntry)
    draws = session.execute(
        select(origin.legal_entity_id, debit.kind, LotDraw.amount, debit.created_at)
        .join(Lot, Lot.id == LotDraw.lot_id)
        .join(origin, origin.id == Lot.entry_id)
        .join(debit, debit.id == LotDraw.entry_id)
        .where(LotDraw.portal_id == portal_id, debit.created_at < end)
    )
    for entity, kind, amount, created_at in draws:
        row = rows[entity]
        row.outstanding -= amount
        column = DRAWN_AS.get(EntryKind(kind), "spent")
        if created_at >= start:
            setattr(row, column, getattr(row, column) + amount)
    for entity, row in rows.items():
        row.legal_entity = entity
    return sorted(rows.values(), key=lambda r: (r.legal_entity is None, r.legal_entity or 0))
