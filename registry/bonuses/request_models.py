"""Requests for a bonus or a discount that need approval: one row per request, its lifecycle held by
the schema (pending -> approved | cancelled, who and when for each step, applied once)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from b24app.db import Base

STATUSES = ("pending", "approved", "cancelled")


class ApprovalRequest(Base):
    """One request made from a definition of the program's ``approvals``.

    ``source_key`` is its business key: the robot delivery's token hash, or ``auto:{code}:{deal}``
    for an automatic definition, so a replay never makes a second request.
    """

    __tablename__ = "approval_requests"
    __table_args__ = (
        UniqueConstraint("portal_id", "source_key"),
        CheckConstraint("status IN ('pending','approved','cancelled')", name="status"),
        CheckConstraint("mode IN ('automatic','manual')", name="mode"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("owner_type IN ('contact','company')", name="owner_type"),
        CheckConstraint(
            "(status = 'approved') = (approved_at IS NOT NULL AND approved_by IS NOT NULL)",
            name="approved_by_on",
        ),
        CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL AND cancelled_by IS NOT NULL)",
            name="cancelled_by_on",
        ),
        CheckConstraint("applied_at IS NULL OR status = 'approved'", name="applied_only_approved"),
        Index(
            "ix_approval_requests_caps", "portal_id", "definition_code", "owner_type", "owner_id", "status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    source_key: Mapped[str] = mapped_column(String(128))
    definition_code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(24))  # registry.program.approvals.ApprovalKind
    mode: Mapped[str] = mapped_column(String(16))
    deal_id: Mapped[int | None]
    owner_type: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int]
    amount: Mapped[Decimal]  # the amount, the percent or the free units, as the kind says
    reason: Mapped[str | None] = mapped_column(Text)
    approvers: Mapped[list[int]] = mapped_column(JSON, default=list)  # user ids resolved when requested
    status: Mapped[str] = mapped_column(String(16), default="pending")
    provided_by: Mapped[str] = mapped_column(String(64))
    provided_at: Mapped[datetime]
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(64))
    cancelled_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)  # why: support's reason, or the cap
    answer_to: Mapped[str | None] = mapped_column(String(255))  # the robot's event_token, if any
    applied_at: Mapped[datetime | None]
    application: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the rows' values before/after
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id", ondelete="SET NULL"))
