"""Self-healing, the ledger's side: which balance fields and registry items drift from the ledger,
and what is owed again to repair them (through the outbox, like any mirror write).

What was repaired is kept on the portal's ``healing`` cursor for the status command.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from b24app import schedule
from b24app.models import OutboxMessage, PortalCursor
from registry.bonuses import mirror
from registry.bonuses.mirror import shown_balance
from registry.ledger.models import Account

CURSOR = "healing"
INTERVAL = timedelta(days=1)


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
    """Re-arm the item message of every delivered entry whose registry item is gone."""
    delivered = session.execute(
        select(OutboxMessage.id, OutboxMessage.payload).where(
            OutboxMessage.portal_id == portal_id,
            OutboxMessage.kind == "registry_item",
            OutboxMessage.status == "done",
        )
    ).all()
    missing = [(mid, int(p["entry_id"])) for mid, p in delivered if f"entry:{p['entry_id']}" not in present]
    if missing:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([mid for mid, _ in missing]))
            .values(status="pending", attempts=0, next_attempt_at=now, remote_id=None, first_failure_at=None)
        )
    return [entry_id for _, entry_id in missing]


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
