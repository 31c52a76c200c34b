"""Previews for the public API: what a purchase would earn under the current program, rule by
rule, or what the ledger holds for a deal it knows. Offers and bundles join when they exist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.bonuses.models import DealState
from registry.ledger.kinds import EntryKind
from registry.ledger.models import LedgerEntry
from registry.ledger.posting import Owner
from registry.program.deal import DealSnapshot, ProductTotals
from registry.program.document import Program, evaluate

ZERO = Decimal("0.00")


class UnknownDeal(LookupError):
    """The ledger has never seen this deal (the web process does not read deals from the portal)."""


@dataclass(frozen=True)
class Purchase:
    owner: Owner
    amount: Decimal
    currency: str = ""
    manager_percent: Decimal | None = None
    products: tuple[tuple[Decimal, Decimal], ...] = ()  # (quantity, price) per line


def of_purchase(program: Program, p: Purchase, now: datetime) -> dict[str, Any]:
    """What a won deal like this would earn now, with the rule that decides it."""
    totals = None
    if p.products:
        total = sum((q * price for q, price in p.products), ZERO)
        totals = ProductTotals(total, sum((q for q, _ in p.products), ZERO), len(p.products))
    deal = DealSnapshot(
        deal_id=0,
        exists=True,
        observed_at=now,
        stage_semantic="S",
        amount=p.amount,
        currency=p.currency,
        company_id=p.owner.id if p.owner.type == "company" else None,
        contact_id=p.owner.id if p.owner.type == "contact" else None,
        manager_percent=p.manager_percent,
        products=totals,
    )
    skipped: list[str] = []
    found = evaluate(program, deal, now.date(), skipped)
    lines = [] if found is None else [_line(found[0], found[1])]
    earns = found[0] if found else ZERO
    return {"earns": earns, "lines": lines, "instant_discount": ZERO, "skipped": skipped, "known": None}


def of_deal(session: Session, portal_id: int, deal_id: int) -> dict[str, Any]:
    """What the ledger holds for a deal: its current accrual and the rule that made it."""
    state = session.execute(
        select(DealState).where(DealState.portal_id == portal_id, DealState.deal_id == deal_id)
    ).scalar_one_or_none()
    if state is None:
        raise UnknownDeal(deal_id)
    accrual = session.execute(
        select(LedgerEntry)
        .where(
            LedgerEntry.portal_id == portal_id,
            LedgerEntry.deal_id == deal_id,
            LedgerEntry.kind == EntryKind.ACCRUAL,
        )
        .order_by(LedgerEntry.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    lines = [_line(state.accrued, dict(accrual.snapshot or {}))] if accrual and state.accrued else []
    known = {
        "accrued": state.accrued,
        "base_amount": state.base_amount,
        "skipped_reason": state.skipped_reason,
    }
    return {"earns": state.accrued, "lines": lines, "instant_discount": ZERO, "skipped": [], "known": known}


def _line(amount: Decimal, snapshot: dict[str, Any]) -> dict[str, Any]:
    return {
        "source": "rule",
        "index": snapshot.get("rule_index"),
        "kind": str(snapshot.get("kind") or "percent"),
        "percent": snapshot.get("percent"),
        "amount": amount,
    }
