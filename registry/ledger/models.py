"""Ledger tables. Invariants (enforced by the database, not only by code):

* every entry has a non-zero amount and a business key unique per portal, so one won deal
  accrues once per generation and one workflow delivery writes off once;
* entries are append-only: UPDATE is refused by a trigger, DELETE too unless the portal is
  being uninstalled with "delete app data";
* a lot's remaining amount stays within 0..amount, and a draw takes a positive amount;
* an account's balance and its debt are never negative, whatever the program says (the program's
  ``debt_mode`` only decides what the portal's balance field shows).

What the schema cannot hold, the audit (``registry.ledger.audit``) checks: balance = sum of the
entries = what the lots hold; every lot's remaining = amount - its draws; every debit's draws =
what it took.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DDL, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from b24app.db import Base
from registry.ledger.kinds import kind_check


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("portal_id", "owner_type", "owner_id"),
        CheckConstraint("owner_type IN ('contact','company')", name="owner_type"),
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint("debt >= 0", name="debt_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    owner_type: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int]
    balance: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    debt: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    blocked: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime]


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("portal_id", "business_key"),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint(kind_check(), name="kind"),
        Index("ix_ledger_account", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal]  # signed: what it did to the balance
    balance_after: Mapped[Decimal]
    business_key: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))  # who: user:{id}, system, console
    source: Mapped[str] = mapped_column(String(64))  # what for: deal:{id}, robot:{hash}, console, …
    deal_id: Mapped[int | None]
    legal_entity_id: Mapped[int | None]  # the company that owes the movement (set by later features)
    reverses_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    # Set instead of ``account_id`` by a posting whose account may not be inserted yet (a group's
    # postings go in with one flush: registry.ledger.account_book); never read through.
    account: Mapped[Account] = relationship(lazy="raise")


class Lot(Base):
    """What one accrual put in; spending and reversals take from ``remaining``."""

    __tablename__ = "lots"
    __table_args__ = (
        CheckConstraint("remaining >= 0 AND remaining <= amount", name="remaining_in_range"),
        Index("ix_lots_expiry", "portal_id", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id", ondelete="CASCADE"), unique=True)
    amount: Mapped[Decimal]
    remaining: Mapped[Decimal]
    activates_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    activated_at: Mapped[datetime | None]  # None while held (pending); set by the activation job
    reminded_at: Mapped[datetime | None]  # the expiring-soon reminder was owed (once per lot)
    expired_at: Mapped[datetime | None]  # what was left expired
    error: Mapped[str | None] = mapped_column(Text)  # why the lifetime pass could not handle it
    retry_at: Mapped[datetime | None]  # a failed lot is left alone until then
    # Set instead of the ids when the entry (and its account) are inserted by the same flush.
    entry: Mapped[LedgerEntry] = relationship(lazy="raise")
    account: Mapped[Account] = relationship(lazy="raise")


class LotDraw(Base):
    """How much one debit entry took from one lot: every decrease of a lot has one."""

    __tablename__ = "lot_draws"
    __table_args__ = (
        UniqueConstraint("entry_id", "lot_id"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id", ondelete="CASCADE"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id", ondelete="CASCADE"))
    amount: Mapped[Decimal]


class LedgerAudit(Base):
    """The last audit of one portal's ledger (the daily healing pass runs it; the status shows it)."""

    __tablename__ = "ledger_audits"

    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), primary_key=True)
    checked_at: Mapped[datetime]
    difference_count: Mapped[int] = mapped_column(default=0)
    differences: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"lines": [first ones]}


SQLITE_TRIGGERS = (
    "CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger_entries "
    "BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END",
    "CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger_entries "
    "WHEN (SELECT status FROM portals WHERE id = OLD.portal_id) <> 'uninstalled' "
    "BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END",
)
POSTGRES_TRIGGERS = (
    """CREATE FUNCTION ledger_append_only() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'DELETE' AND (SELECT status FROM portals WHERE id = OLD.portal_id) = 'uninstalled' THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'ledger entries are append-only';
    END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger_entries "
    "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()",
)

for _sql in SQLITE_TRIGGERS:
    event.listen(LedgerEntry.__table__, "after_create", DDL(_sql).execute_if(dialect="sqlite"))  # type: ignore[no-untyped-call]
for _sql in POSTGRES_TRIGGERS:
    event.listen(LedgerEntry.__table__, "after_create", DDL(_sql).execute_if(dialect="postgresql"))  # type: ignore[no-untyped-call]
