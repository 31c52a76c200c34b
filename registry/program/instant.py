"""Instant offers as row discounts: each matching row's unit price lowered by its share of the
offer's value (cents rounded down, never below 0), the absolute per-unit discount growing by as much."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from registry.program.deal import ProductLine
from registry.program.rewards import OfferAward

CENT = Decimal("0.01")
ZERO = Decimal("0")


@dataclass(frozen=True)
class RowDiscount:
    row_id: int
    price: Decimal  # the new unit price
    discount_sum: Decimal  # the new per-unit absolute discount
    per_unit: Decimal  # how much one unit got off


def row_discounts(lines: tuple[ProductLine, ...], awards: list[OfferAward]) -> list[RowDiscount]:
    """The rows to write so the deal carries every instant offer's discount."""
    shares: dict[int, Decimal] = defaultdict(Decimal)
    for award in awards:
        for row_id, share in award.lines.items():
            shares[row_id] += share
    out: list[RowDiscount] = []
    for line in lines:
        share = shares.get(line.row_id, ZERO)
        if share <= ZERO or line.quantity <= ZERO:
            continue
        per_unit = min((share / line.quantity).quantize(CENT, ROUND_DOWN), line.price)
        if per_unit > ZERO:
            out.append(
                RowDiscount(line.row_id, line.price - per_unit, line.discount_sum + per_unit, per_unit)
            )
    return out


def discounted(lines: tuple[ProductLine, ...], discounts: list[RowDiscount]) -> Decimal:
    """What the discounts take off the deal in total."""
    quantity = {ln.row_id: ln.quantity for ln in lines}
    return sum((d.per_unit * quantity[d.row_id] for d in discounts), ZERO)
