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
    seller_company_id: int | None = None  # the deal's own company (MC_REQUISITE_ID's), when read
    title: str = ""

    @property
    def won(self) -> bool:
        return self.exists and self.stage_semantic == "S"


def observed(deal: DealSnapshot) -> dict[str, Any]:
    """What the card tab keeps of a deal read (JSON): its title and the facts a preview needs."""
    products = deal.products
    return {
        "title": deal.title,
        "stage_semantic": deal.stage_semantic,
        "amount": str(deal.amount),
        "currency": deal.currency,
        "category_id": deal.category_id,
        "company_id": deal.company_id,
        "contact_id": deal.contact_id,
        "manager_percent": None if deal.manager_percent is None else str(deal.manager_percent),
        "uf": deal.uf,
        "assigned_by_id": deal.assigned_by_id,
        "products": None
        if products is None
        else [str(products.total), str(products.quantity), products.count],
        "lines": None if deal.lines is None else [_line_facts(ln) for ln in deal.lines],
    }


def _line_facts(line: ProductLine) -> list[Any]:
    price, quantity, discount = str(line.price), str(line.quantity), str(line.discount_sum)
    return [line.row_id, line.product_id, price, quantity, line.measure_code, discount, list(line.sections)]


def _lines(data: Any) -> tuple[ProductLine, ...] | None:
    if not isinstance(data, list):
        return None
    return tuple(
        ProductLine(int(r[0]), int(r[1]), "", Decimal(r[2]), Decimal(r[3]), r[4], Decimal(r[5]), tuple(r[6]))
        for r in data
    )


def from_observed(deal_id: int, data: dict[str, Any], at: datetime) -> DealSnapshot:
    """The deal as ``observed`` kept it (the reverse of ``observed``)."""
    products = data.get("products")
    percent = data.get("manager_percent")
    return DealSnapshot(
        deal_id=deal_id,
        exists=True,
        observed_at=at,
        title=str(data.get("title") or ""),
        stage_semantic=str(data.get("stage_semantic") or "P"),
        amount=Decimal(str(data.get("amount") or "0")),
        currency=str(data.get("currency") or ""),
        category_id=int(data.get("category_id") or 0),
        company_id=data.get("company_id"),
        contact_id=data.get("contact_id"),
        manager_percent=None if percent is None else Decimal(str(percent)),
        uf=dict(data.get("uf") or {}),
        assigned_by_id=data.get("assigned_by_id"),
        products=None
        if not products
        else ProductTotals(Decimal(products[0]), Decimal(products[1]), int(products[2])),
        lines=_lines(data.get("lines")),
    )
