"""Self-healing, the ledger's side: which balance fields and registry items drift from the ledger,
and what is owed again to repair them (through the outbox, like any mirror write).

What was repaired is kept on the portal's ``healing`` cursor for the status command.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app import outbox, schedule
from b24app.models import PortalCursor, PortalObject
from registry.bonuses import guard, mirror
from registry.bonuses.mirror import shown_balance
from registry.ledger.models import Account

CURSOR = "healing"
INTERVAL = timedelta(days=1)
KEEP_DELIVERED = timedelta(days=30)
ITEM = "registry_item"  # the outbox kind and portal object kind of a registry item


def owners(session: Session, portal_id: int) -> list[tuple[str, int]]:
    rows = session.execute(select(Account.owner_type, Account.owner_id).where(Account.portal_id == portal_id))
    return [(str(owner_type), int(owner_id)) for owner_type, owner_id in rows]


def repair_balances(
    session: Session, portal_id: int, shown: dict[tuple[str, int], Decimal | None], now: datetime
) -> list[str]:
    """Owe the balance field again wherever the card shows something else than the ledger."""
    repaired: list[str] = []
    for (kind, owner_id), value in shown.items():
        if value != shown_balance(session, portal_id, kind, owner_id):
            mirror.owe_balance(session, portal_id, kind, owner_id, now)
            repaired.append(f"{kind}:{owner_id}")
    return repaired


def recreate_items(session: Session, portal_id: int, present: set[str], now: datetime) -> list[int]:
    """Owe the registry item again of every entry whose item is gone from the portal."""
    recorded = session.execute(
        select(PortalObject).where(PortalObject.portal_id == portal_id, PortalObject.kind == ITEM)
    ).scalars()
    missing = [row for row in recorded if row.key not in present]
    return [guard.owe_recreate(session, portal_id, row, now) for row in missing]


def last_pass_at(session: Session, portal_id: int, now: datetime) -> datetime:
    """When the previous pass ran (a day ago before the first one)."""
    cursor = healing_schedule(session, portal_id, now)
    return cursor.updated_at or now - INTERVAL


def prune_delivered(session: Session, portal_id: int, now: datetime) -> int:
    """Delivered outbox rows older than ``KEEP_DELIVERED`` go; what they created stays recorded."""
    return outbox.prune(session, portal_id, now - KEEP_DELIVERED)


def finish_pass(session: Session, portal_id: int, balances: int, items: int, now: datetime) -> None:
    """The cursor keeps a one-line summary (the log has the owners and entries themselves)."""
    cursor = healing_schedule(session, portal_id, now)
    cursor.value = f"{balances} balances, {items} items, {now:%Y-%m-%d %H:%M}"
    cursor.next_run_at, cursor.updated_at = now + INTERVAL, now


def request_healing(session: Session, portal_id: int, now: datetime) -> None:
    healing_schedule(session, portal_id, now).next_run_at = now


def last_report(session: Session, portal_id: int) -> str | None:
    """ "3 balances, 1 items, 2026-11-23 04:00": what the last pass repaired, and when."""
    cursor = session.execute(
        select(PortalCursor).where(PortalCursor.portal_id == portal_id, PortalCursor.name == CURSOR)
    ).scalar_one_or_none()
    return cursor.value if cursor and cursor.value else None


def healing_schedule(session: Session, portal_id: int, now: datetime) -> PortalCursor:
    # The first pass waits a day: a fresh install has nothing to heal.
    return schedule.cursor(session, portal_id, CURSOR, now, first_run=now + INTERVAL)


def healing_due(session: Session, portal_id: int, now: datetime) -> bool:
    return schedule.due(session, portal_id, healing_schedule(session, portal_id, now), now)
