"""Product-aware reward tables: what offers and bundles gave each deal, and the catalog's sections."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from b24app.db import Base

REWARD_KINDS = ("offer", "instant", "bundle")
# offer: active | reversed; instant: to_apply | applied; bundle (ontime_only): to_add | added |
# to_remove | removed; bundle (cash_discount): waiting | applying | applied | cancelled; any: failed.
REWARD_STATUSES = (
    "active",
    "reversed",
    "to_apply",
    "to_add",
    "added",
    "to_remove",
    "removed",
    "waiting",
    "applying",
    "applied",
    "cancelled",
    "failed",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class DealReward(Base):
    """One reward an offer or bundle gave one deal (per win ``generation`` for offers).

    The unique key makes a bundle happen once per deal (generation 0) and an offer's accrual once
    per win; the row follows what the portal was asked to do (a free row added, a credit waiting
    for an invoice or applied to one) and carries the legal entity that owes it.
    """

    __tablename__ = "deal_rewards"
    __table_args__ = (
        UniqueConstraint("portal_id", "deal_id", "kind", "code", "generation"),
        CheckConstraint(_in("kind", REWARD_KINDS), name="kind"),
        CheckConstraint(_in("status", REWARD_STATUSES), name="status"),
        CheckConstraint("units >= 0 AND value >= 0", name="non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    deal_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64))
    generation: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16))
    bundle_type: Mapped[str | None] = mapped_column(String(16))
    owner_type: Mapped[str | None] = mapped_column(String(16))
    owner_id: Mapped[int | None]
    units: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    value: Mapped[Decimal] = mapped_column(default=Decimal("0"))  # points, or money for bundles/instant
    legal_entity_id: Mapped[int | None]
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id", ondelete="SET NULL"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id", ondelete="SET NULL"))
    product_id: Mapped[int | None]
    measure_code: Mapped[int | None]
    row_id: Mapped[int | None]  # the free row added to the deal
    invoice_id: Mapped[int | None]  # the smart invoice a credit went to
    expected_total: Mapped[Decimal | None]  # the invoice's total once the credit is on it
    note: Mapped[str | None] = mapped_column(String(255))
    snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CatalogProduct(Base):
    """A catalog product's section and its parents, read from the portal and kept for a while."""

    __tablename__ = "catalog_products"
    __table_args__ = (UniqueConstraint("portal_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    product_id: Mapped[int]
    sections: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"path": [leaf, parent, ...]}
    fetched_at: Mapped[datetime]
