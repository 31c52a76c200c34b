"""The balance field typed over by hand: which clients' update events call for reading the field back.

Our own balance write fires the same update event. Reading it back would find the ledger's value and
write nothing, but it would cost a request for every write. So each delivered write leaves one
"echo expected" mark on its owner (``remember`` of the balance outbox kind). The first update
event of that owner within ``ECHO_WINDOW`` of the write uses up the mark and is not read back. A
second event, or a later one, is read. A hand edit hidden by the mark (it would have to come
within seconds of our own write, before its echo) is found by the daily healing pass.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app.models import InboxEvent, OutboxMessage, PortalObject
from registry.ledger.models import Account

BALANCE_CHECK = "balance_check"  # inbox kind: a contact or company changed, its balance field is read
ECHO = "balance_echo"  # portal object kind: key {owner type}:{id}, created_at = when we wrote the field
ECHO_WINDOW = timedelta(seconds=30)  # the portal sends an event within seconds of the change


def expect_echo(session: Session, portal_id: int, owner: str, now: datetime) -> None:
    """Our write of ``owner``'s balance field was delivered: its update event is ours."""
    row = _mark(session, portal_id, owner)
    if row is None:
        session.add(PortalObject(portal_id=portal_id, kind=ECHO, key=owner, remote_id="1", created_at=now))
    else:
        row.created_at = now


def _mark(session: Session, portal_id: int, owner: str) -> PortalObject | None:
    return session.execute(
        select(PortalObject).where(
            PortalObject.portal_id == portal_id, PortalObject.kind == ECHO, PortalObject.key == owner
        )
    ).scalar_one_or_none()


def _echo(session: Session, portal_id: int, owner: str, received_at: datetime) -> bool:
    """Whether this event is the echo of our write (the mark is used up either way once seen)."""
    mark = _mark(session, portal_id, owner)
    if mark is None:
        return False
    session.delete(mark)
    session.flush()
    return abs(received_at - mark.created_at) <= ECHO_WINDOW


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
        if subject is not None and not _echo(session, portal_id, f"{owner[0]}:{owner[1]}", received_at):
            named.add(owner)
    owners = sorted(o for o in _held(session, portal_id, named) if not _owed(session, portal_id, o))
    return owners, max(int(r[0]) for r in rows)


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
