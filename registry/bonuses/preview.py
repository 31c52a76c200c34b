"""Previews for the public API: what a purchase would earn under the current program, rule by
rule, then offer by offer and bundle by bundle (registry.program.rewards, the order the win
accrues in), or for a deal the ledger knows: what it holds once won, else what the deal as the
deal step last read it would earn. Catalog sections come from the cache only (the web process
never calls the portal): a product not cached yet matches offers by its id alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.bonuses.catalog import cached_paths
from registry.bonuses.deals import owner_of
from registry.bonuses.models import DealState
from registry.bonuses.rewards import groups_of
from registry.bonuses.tiers import stored_level
from registry.ledger.kinds import EntryKind
from registry.ledger.models import LedgerEntry
from registry.ledger.posting import Owner
from registry.program.deal import DealSnapshot, ProductLine, ProductTotals, from_observed
from registry.program.document import Program
from registry.program.rewards import preview

ZERO = Decimal("0.00")
CACHE_FOR_PREVIEW = timedelta(days=30)  # an older section path still beats none for a preview


class UnknownDeal(LookupError):
    """The ledger has never seen this deal (the web process does not read deals from the portal)."""


@dataclass(frozen=True)
class Purchase:
    owner: Owner
    amount: Decimal
    currency: str = ""
    manager_percent: Decimal | None = None
    products: tuple[tuple[int, Decimal, Decimal], ...] = ()  # (product id, quantity, price) per line


def of_purchase(
    session: Session, portal_id: int, program: Program, p: Purchase, now: datetime
) -> dict[str, Any]:
    """What a won deal like this would earn now: the rule that decides it, then offers and bundles."""
    totals, lines = None, None
    if p.products:
        total = sum((q * price for _, q, price in p.products), ZERO)
        totals = ProductTotals(total, sum((q for _, q, _ in p.products), ZERO), len(p.products))
        paths = cached_paths(session, portal_id, [pid for pid, _, _ in p.products], now, CACHE_FOR_PREVIEW)
        lines = tuple(
            ProductLine(i + 1, pid, "", price, q, None, sections=tuple(paths.get(pid, ())))
            for i, (pid, q, price) in enumerate(p.products)
        )
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
        lines=lines,
    )
    return _answer(session, portal_id, program, deal, now, None)


def _answer(
    session: Session, portal_id: int, program: Program, deal: DealSnapshot, now: datetime, known: Any
) -> dict[str, Any]:
    owner = owner_of(deal, program)
    groups = groups_of(session, portal_id, program, owner)
    level = stored_level(session, portal_id, program, owner) if owner else None
    skipped: list[str] = []
    kind = owner.type if owner else None
    found = preview(program, deal, kind, now.date(), client_groups=groups, skipped=skipped, level=level)
    lines = [] if found.rule_snapshot is None else [_line(found.rule, found.rule_snapshot)]
    lines += [_reward_line("offer", o.code, o.snapshot.get("percent"), o.amount) for o in found.offers]
    lines += [_reward_line("bundle", b.code, None, b.value) for b in found.bundles]
    return {
        "earns": found.points,
        "lines": lines,
        "instant_discount": found.discount,
        "skipped": skipped,
        "known": known,
    }


def _reward_line(source: str, code: str, percent: Any, amount: Decimal) -> dict[str, Any]:
    """An offer's points, or a bundle's value (free units, or the credit on an invoice)."""
    return {"source": source, "index": None, "kind": code, "percent": percent, "amount": amount}


def of_deal(
    session: Session, portal_id: int, deal_id: int, program: Program, now: datetime
) -> dict[str, Any]:
    """What the ledger holds for a won deal (its accrual and the rule that made it); for a deal not
    won, what it would earn as the deal step last read it."""
    state = session.execute(
        select(DealState).where(DealState.portal_id == portal_id, DealState.deal_id == deal_id)
    ).scalar_one_or_none()
    if state is None:
        raise UnknownDeal(deal_id)
    if state.lot_id is None and state.observed and state.observed.get("stage_semantic") != "S":
        known = {"accrued": ZERO, "base_amount": ZERO, "skipped_reason": state.skipped_reason}
        return _answer(session, portal_id, program, from_observed(deal_id, state.observed, now), now, known)
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
