"""The main page's figures, from the ledger alone: accrued, spent, expired and outstanding per day,
what expires in the next 30 days, and the largest balances."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.ledger.kinds import ACCRUALS, EntryKind
from registry.ledger.models import Account, LedgerEntry, Lot

ZERO = Decimal("0")
DAYS = 30  # the chart's window, and how far ahead "expiring soon" looks
TOP = 10
SPENT = (EntryKind.WRITE_OFF,)
EXPIRED = (EntryKind.EXPIRY,)


@dataclass
class Day:
    day: date
    accrued: Decimal = ZERO
    spent: Decimal = ZERO
    expired: Decimal = ZERO
    outstanding: Decimal = ZERO  # the sum of balances at the end of the day


@dataclass(frozen=True)
class Holder:
    owner_type: str
    owner_id: int
    amount: Decimal
    on: datetime | None = None  # for expiring: the first expiry among the owner's lots
    name: str | None = None  # the client's name on the portal, when the worker has read it


@dataclass
class Dashboard:
    days: list[Day] = field(default_factory=list)
    expiring_total: Decimal = ZERO
    expiring: list[Holder] = field(default_factory=list)
    largest: list[Holder] = field(default_factory=list)

    def total(self, name: str) -> Decimal:
        return sum((getattr(d, name) for d in self.days), ZERO)


def _day_of(value: object) -> date:
    # SQLite's date() gives text, PostgreSQL's a date: both become a date here.
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def series(session: Session, portal_id: int, today: date, days: int = DAYS) -> list[Day]:
    """One row per UTC day of the window ending ``today``; flows are positive numbers."""
    first = today - timedelta(days=days - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    before = session.execute(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.portal_id == portal_id, LedgerEntry.created_at < start
        )
    ).scalar_one()
    # Days in UTC on PostgreSQL whatever the session's zone (SQLite stores UTC text already).
    utc = session.get_bind().dialect.name == "postgresql"
    bucket = func.date(func.timezone("UTC", LedgerEntry.created_at) if utc else LedgerEntry.created_at)
    rows = session.execute(
        select(bucket, LedgerEntry.kind, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.portal_id == portal_id, LedgerEntry.created_at >= start)
        .group_by(bucket, LedgerEntry.kind)
    ).all()
    out = {first + timedelta(days=i): Day(first + timedelta(days=i)) for i in range(days)}
    change: dict[date, Decimal] = {}
    for raw_day, kind, amount in rows:
        when, value = _day_of(raw_day), Decimal(amount)
        change[when] = change.get(when, ZERO) + value
        if when not in out:
            continue
        if kind in ACCRUALS:
            out[when].accrued += value
        elif kind in SPENT:
            out[when].spent -= value
        elif kind in EXPIRED:
            out[when].expired -= value
    level = Decimal(before)
    for when in sorted(out):
        level += change.get(when, ZERO)
        out[when].outstanding = level
    return [out[d] for d in sorted(out)]


def expiring(
    session: Session, portal_id: int, now: datetime, days: int = DAYS
) -> tuple[Decimal, list[Holder]]:
    """What expires before ``now + days``: the total and the owners with the most of it."""
    until = now + timedelta(days=days)
    amount = func.sum(Lot.remaining)
    rows = session.execute(
        select(Account.owner_type, Account.owner_id, amount, func.min(Lot.expires_at))
        .join(Account, Account.id == Lot.account_id)
        .where(
            Lot.portal_id == portal_id,
            Lot.remaining > ZERO,
            Lot.expired_at.is_(None),
            Lot.expires_at.is_not(None),
            Lot.expires_at > now,
            Lot.expires_at <= until,
        )
        .group_by(Account.owner_type, Account.owner_id)
        .order_by(amount.desc())
    ).all()
    holders = [Holder(kind, owner, Decimal(total), first) for kind, owner, total, first in rows]
    return sum((h.amount for h in holders), ZERO), holders[:TOP]


def largest(session: Session, portal_id: int) -> list[Holder]:
    rows = session.execute(
        select(Account.owner_type, Account.owner_id, Account.balance)
        .where(Account.portal_id == portal_id, Account.balance > ZERO)
        .order_by(Account.balance.desc(), Account.id)
        .limit(TOP)
    ).all()
    return [Holder(kind, owner, balance) for kind, owner, balance in rows]


def dashboard(session: Session, portal_id: int, now: datetime) -> Dashboard:
    total, soon = expiring(session, portal_id, now)
    return Dashboard(series(session, portal_id, now.date()), total, soon, largest(session, portal_id))
