"""Pages of the ledger for CSV export: balances per client and every movement, by ascending id."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from registry.ledger.models import Account, LedgerEntry, Lot

Page = tuple[int, list[Sequence[Any]]]  # the last id read, and the rows


def balances(session: Session, portal_id: int, after: int, limit: int, now: datetime) -> Page:
    accounts = list(
        session.execute(
            select(Account)
            .where(Account.portal_id == portal_id, Account.id > after)
            .order_by(Account.id)
            .limit(limit)
        ).scalars()
    )
    if not accounts:
        return after, []
    spendable: dict[int, Any] = dict(
        session.execute(  # type: ignore[arg-type]
            select(Lot.account_id, func.sum(Lot.remaining))
            .where(
                Lot.account_id.in_([a.id for a in accounts]),
                Lot.remaining > 0,
                Lot.activates_at <= now,
                or_(Lot.expires_at.is_(None), Lot.expires_at > now),
            )
            .group_by(Lot.account_id)
        ).all()
    )
    rows: list[Sequence[Any]] = [
        (
            f"{a.owner_type}:{a.owner_id}",
            a.balance,
            spendable.get(a.id, "0.00"),
            a.debt,
            int(a.blocked),
            a.updated_at.isoformat(),
        )
        for a in accounts
    ]
    return accounts[-1].id, rows


def movements(session: Session, portal_id: int, after: int, limit: int, now: datetime) -> Page:
    found = session.execute(
        select(LedgerEntry, Account.owner_type, Account.owner_id)
        .join(Account, Account.id == LedgerEntry.account_id)
        .where(LedgerEntry.portal_id == portal_id, LedgerEntry.id > after)
        .order_by(LedgerEntry.id)
        .limit(limit)
    ).all()
    rows: list[Sequence[Any]] = [
        (
            e.id,
            e.created_at.isoformat(),
            f"{kind}:{owner}",
            e.kind,
            e.amount,
            e.balance_after,
            e.deal_id,
            e.reason,
            e.source,
            e.actor,
        )
        for e, kind, owner in found
    ]
    return (found[-1][0].id if found else after), rows


BALANCE_COLUMNS = ("client", "balance", "spendable", "debt", "blocked", "updated_at")
MOVEMENT_COLUMNS = (
    "id",
    "at",
    "client",
    "kind",
    "amount",
    "balance_after",
    "deal_id",
    "reason",
    "source",
    "actor",
)
SOURCES: dict[str, tuple[Sequence[str], Callable[[Session, int, int, int, datetime], Page]]] = {
    "balances": (BALANCE_COLUMNS, balances),
    "movements": (MOVEMENT_COLUMNS, movements),
}
