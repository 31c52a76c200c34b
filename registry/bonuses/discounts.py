"""What an approved discount does to the deal's applicable product rows, as absolute values.

``price`` is the final per-unit price after discount with tax, ``discountSum`` the per-unit
discount without tax, and the list price (``priceNetto``) stays as it was
(api-reference/crm/data-types.md#crm_item_product_row; b24-patterns.md §1 "How the discount
fields work"): sending only a rate would inflate the list price instead of lowering the total. The
values are computed once, stored with the request and then sent as they are, so a repeated send
changes nothing.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from registry.bonuses.requests import Row

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _row_fields(row: Row, cut: Decimal) -> dict[str, Any]:
    """The row with ``cut`` less per unit: a lower final price, the same list price."""
    price = max(_cents(row.price - cut), Decimal(0))
    exclusive = _cents(price / (1 + row.tax_rate / HUNDRED))
    return {
        "price": str(price),
        "discountTypeId": 1,
        "discountSum": str(max(_cents(row.netto - exclusive), Decimal(0))),
    }


def percent_off(rows: list[Row], percent: Decimal) -> dict[int, dict[str, Any]]:
    """Every row ``percent`` cheaper per unit."""
    return {r.id: _row_fields(r, _cents(r.price * percent / HUNDRED)) for r in rows}


def amount_off(rows: list[Row], amount: Decimal) -> dict[int, dict[str, Any]]:
    """``amount`` off in total, spread over the rows by their value, never below zero.

    Each row's share becomes a per-unit cut rounded to cents; what rounding leaves goes to the last
    row that can take it (b24-patterns.md §1: spread a whole-deal amount, remainder on the last row).
    """
    total = sum((r.price * r.quantity for r in rows), Decimal(0))
    amount = min(amount, total)
    if total <= 0 or amount <= 0:
        return {}
    cuts: dict[int, Decimal] = {}
    left = amount
    for row in rows:
        share = amount * row.price * row.quantity / total
        cut = min(_cents(share / row.quantity), row.price) if row.quantity > 0 else Decimal(0)
        cuts[row.id] = cut
        left -= cut * row.quantity
    for row in reversed(rows):
        if left == 0 or row.quantity != 1:
            continue
        extra = max(min(left, row.price - cuts[row.id]), -cuts[row.id])
        cuts[row.id] += extra
        left -= extra
    return {r.id: _row_fields(r, cuts[r.id]) for r in rows if cuts[r.id] > 0}


def free_units(row: Row, units: Decimal, marker: str) -> dict[str, Any]:
    """A new row of the same product at zero price: the free period (units) on the deal."""
    return {
        "productId": row.product_id,
        "productName": f"{row.name} ({marker})"[:255],
        "price": "0",
        "quantity": str(units),
        "discountTypeId": 1,
        "discountSum": str(row.netto),
    }
