"""Campaign tables: the local mirror of the portal's clients, one row per award, one per run-day."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from b24app.db import Base

CLIENT_TYPES = ("contact", "company")


class ClientRecord(Base):
    """A contact or company as the portal last told us: what segments and triggers look at.

    Kept by the first full load, the client events (read back by id), an hourly catch-up by
    ``updatedTime`` and a daily id sweep that finds deletions (events carry only ids and are
    never retried, so the sweeps are what makes the mirror right in the end).
    """

    __tablename__ = "client_records"
    __table_args__ = (
        UniqueConstraint("portal_id", "client_type", "client_id"),
        CheckConstraint("client_type IN ('contact','company')", name="client_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    client_type: Mapped[str] = mapped_column(String(8))
    client_id: Mapped[int]
    created_time: Mapped[datetime | None]  # createdTime: when the client was registered
    updated_time: Mapped[datetime | None]
    birthdate: Mapped[date | None]
    type_id: Mapped[str | None] = mapped_column(String(50))
    source_id: Mapped[str | None] = mapped_column(String(50))
    assigned_by_id: Mapped[int | None]
    company_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # a contact's companies
    uf: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the UF fields the program names
    synced_at: Mapped[datetime]


class CampaignAward(Base):
    """One award: the unique key (campaign, client, occurrence) is what makes reruns, overlapping
    runs and a crash mid-run never award twice; it commits with its ledger entry."""

    __tablename__ = "campaign_awards"
    __table_args__ = (
        UniqueConstraint("portal_id", "campaign", "client_type", "client_id", "occurrence"),
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("client_type IN ('contact','company')", name="client_type"),
        Index("ix_campaign_awards_portal_campaign", "portal_id", "campaign", "occurrence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    campaign: Mapped[str] = mapped_column(String(64))
    client_type: Mapped[str] = mapped_column(String(8))
    client_id: Mapped[int]
    occurrence: Mapped[date]  # the date the trigger fired for (a birthday this year, a fixed date)
    points: Mapped[Decimal]
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id", ondelete="RESTRICT"))
    awarded_at: Mapped[datetime]


class CampaignRun(Base):
    """A campaign's run on one portal-day (the dashboard's last run and counts); reruns update it."""

    __tablename__ = "campaign_runs"
    __table_args__ = (UniqueConstraint("portal_id", "campaign", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    campaign: Mapped[str] = mapped_column(String(64))
    day: Mapped[date]
    runs: Mapped[int] = mapped_column(default=0)
    eligible: Mapped[int] = mapped_column(default=0)  # in the segment with the trigger due
    awarded: Mapped[int] = mapped_column(default=0)  # awards written that day (all runs)
    points: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    last_run_at: Mapped[datetime]
