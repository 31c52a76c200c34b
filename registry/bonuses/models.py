"""Bonus-policy tables: what the ledger made of each deal, and the notifications owed to clients."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from b24app.db import Base

if TYPE_CHECKING:
    from registry.ledger.models import Lot


class DealState(Base):
    """What the ledger last made of one deal: the current accrual generation and its lot."""

    __tablename__ = "deal_states"
    __table_args__ = (UniqueConstraint("portal_id", "deal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    deal_id: Mapped[int]
    generation: Mapped[int] = mapped_column(default=0)
    adjustments: Mapped[int] = mapped_column(default=0)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id", ondelete="SET NULL"))
    accrued: Mapped[Decimal] = mapped_column(default=Decimal("0"))  # the lot's total after adjustments
    base_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    skipped_reason: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime]
    observed: Mapped[dict[str, Any] | None]  # the last read (registry.program.deal.observed)
    # Set instead of ``lot_id`` when the lot is inserted by the group's one flush (deal_step).
    lot: Mapped[Lot | None] = relationship(lazy="raise")


class Notification(Base):
    """One message to a client about one ledger entry (or lot) over one channel.

    The unique key (portal, subject, event, channel) is what makes a rerun never send twice. The
    template and its values are fixed when the message is planned (in the ledger's transaction);
    the outbox machine (its ``notification`` kind, key ``notice:{id}``, which holds the attempts and
    the backoff) renders the text outside any transaction and stores it before the first send, so a
    retry sends exactly the same words.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("portal_id", "subject", "event", "channel"),
        CheckConstraint("status IN ('pending','sent','skipped','failed')", name="status"),
        CheckConstraint("text IS NOT NULL OR template IS NOT NULL", name="text_or_template"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(64))  # entry:{id} | lot:{id}
    event: Mapped[str] = mapped_column(String(32))  # accrued | written_off | reversed | adjusted | ...
    channel: Mapped[str] = mapped_column(String(16))  # email | sms | whatsapp
    fallbacks: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"next": [channels...]}
    owner_type: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int]
    text: Mapped[str | None] = mapped_column(Text)  # None until rendered
    template: Mapped[str | None] = mapped_column(Text)  # the Jinja2 source, as planned
    template_values: Mapped[dict[str, Any] | None]  # amount, balance, expires: formatted strings
    status: Mapped[str] = mapped_column(String(16), default="pending")
    error: Mapped[str | None] = mapped_column(String(255))  # a reason, never a phone or address
    remote_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
