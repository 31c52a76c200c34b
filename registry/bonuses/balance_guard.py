"""The balance (and level) field typed over by hand: which clients' update events call for reading
the fields back (the echo of our own write is not read: registry.bonuses.echoes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app.models import InboxEvent, OutboxMessage
from registry.bonuses.echoes import BALANCE_ECHO, LEVEL_ECHO, is_echo
from registry.ledger.models import Account

BALANCE_CHECK = "balance_check"  # inbox kind: a contact or company changed, its balance field is read


def balance_checks(session: Session, portal_id: int, limit: int) -> tuple[list[tuple[str, int]], int | None]:
    """Owners to read back, and the newest row looked at: owners named by an update event that is
    not the echo of our write, who hold an account, and whose balance write is not still owed (that
    write comes anyway)."""
    rows = session.execute(
        select(InboxEvent.id, InboxEvent.event, InboxEvent.subject_id, InboxEvent.received_at)
        .where(
            InboxEvent.portal_id == portal_id,
            InboxEvent.kind == BALANCE_CHECK,
            InboxEvent.status == "pending",
        )
        .order_by(InboxEvent.id)
        .limit(limit)
    ).all()
    if not rows:
        return [], None
    named: set[tuple[str, int]] = set()
    for _, event, subject, received_at in rows:
        owner = ("contact" if "CONTACT" in str(event) else "company", int(subject or 0))
        if subject is not None and not _ours(session, portal_id, owner, received_at):
            named.add(owner)
    owners = sorted(o for o in _held(session, portal_id, named) if not _owed(session, portal_id, o))
    return owners, max(int(r[0]) for r in rows)


def _ours(session: Session, portal_id: int, owner: tuple[str, int], received_at: datetime) -> bool:
    """The echo of our balance write, or else of our level write (each event uses up one mark)."""
    key = f"{owner[0]}:{owner[1]}"
    return any(is_echo(session, portal_id, kind, key, received_at) for kind in (BALANCE_ECHO, LEVEL_ECHO))


def _held(session: Session, portal_id: int, named: set[tuple[str, int]]) -> set[tuple[str, int]]:
    if not named:
        return set()
    rows = session.execute(
        select(Account.owner_type, Account.owner_id).where(
            Account.portal_id == portal_id, Account.owner_id.in_(sorted({i for _, i in named}))
        )
    )
    return {(str(t), int(i)) for t, i in rows} & named


def _owed(session: Session, portal_id: int, owner: tuple[str, int]) -> bool:
    status = session.execute(
        select(OutboxMessage.status).where(
            OutboxMessage.portal_id == portal_id, OutboxMessage.key == f"balance:{owner[0]}:{owner[1]}"
        )
    ).scalar_one_or_none()
    return status == "pending"
