"""What a deal looks like to the program: the facts rules read, parsed from the portal by the sync layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

ZERO = Decimal("0")


@dataclass(frozen=True)
class ProductTotals:
    total: Decimal  # sum of PRICE x QUANTITY over the deal's product rows
    quantity: Decimal
    count: int


@dataclass(frozen=True)
class ProductLine:
    """One product row of a deal, as offers and bundles read it."""

    row_id: int
    product_id: int
    name: str
    price: Decimal  # the final price of one unit (discount and tax included)
    quantity: Decimal
    measure_code: int | None = None
    discount_sum: Decimal = ZERO  # per unit, as the row holds it
    sections: tuple[int, ...] = ()  # the product's catalog section and its parents (cached)

    @property
    def total(self) -> Decimal:
        return self.price * self.quantity


@dataclass(frozen=True)
class DealSnapshot:
    deal_id: int
    exists: bool
    observed_at: datetime
    stage_semantic: str = "P"
    amount: Decimal = ZERO
    currency: str = ""
    category_id: int = 0
    company_id: int | None = None
    contact_id: int | None = None
    manager_percent: Decimal | None = None
    uf: dict[str, Any] = field(default_factory=dict)
    assigned_by_id: int | None = None
    products: ProductTotals | None = None  # read only while a formula needs product rows
    amount_problem: str | None = None  # OPPORTUNITY was no sane number: the deal is left as it is
    lines: tuple[ProductLine, ...] | None = None  # read while offers or bundles need them

    @property
    def won(self) -> bool:
        return self.exists and self.stage_semantic == "S"
