"""Tier tables: each won deal's amount per client (what won totals sum) and each client's level."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from b24app.db import Base


class ClientWin(Base):
    """A deal that is won now, for its client: the amount it adds to their won total, and since when.

    Written by the deal sync in the ledger's transaction; a deal no longer won loses its row, so a
    won total is a plain sum (over ``won_at`` inside the window for a 12-month basis).
    """

    __tablename__ = "client_wins"
    __table_args__ = (
        UniqueConstraint("portal_id", "deal_id"),
        CheckConstraint("owner_type IN ('contact','company')", name="owner_type"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        Index("ix_client_wins_owner", "portal_id", "owner_type", "owner_id"),
        Index("ix_client_wins_won_at", "portal_id", "won_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    deal_id: Mapped[int]
    owner_type: Mapped[str] = mapped_column(String(8))
    owner_id: Mapped[int]
    amount: Mapped[Decimal]
    won_at: Mapped[datetime]  # when the deal was first seen won (the 12-month window reads it)


class ClientLevel(Base):
    """A client's level as last derived (``registry.bonuses.tiers.recalculate`` is its one writer).

    ``changes`` counts level changes: each change's notification, comment and webhook are keyed by
    it, so a rerun owes nothing twice.
    """

    __tablename__ = "client_levels"
    __table_args__ = (
        UniqueConstraint("portal_id", "owner_type", "owner_id"),
        CheckConstraint("owner_type IN ('contact','company')", name="owner_type"),
        CheckConstraint("won_total >= 0", name="won_total_not_negative"),
        CheckConstraint("changes >= 0", name="changes_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    owner_type: Mapped[str] = mapped_column(String(8))
    owner_id: Mapped[int]
    level_code: Mapped[str | None] = mapped_column(String(32))  # None: below the first level
    won_total: Mapped[Decimal]
    changes: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime]
