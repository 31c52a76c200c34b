"""The balance (and level) field typed over by hand: which clients' update events call for reading
the fields back (the echo of our own write is not read: registry.bonuses.echoes)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app.models import InboxEvent, OutboxMessage
from registry.bonuses.echoes import BALANCE_ECHO, LEVEL_ECHO, take_echoes
from registry.ledger.models import Account

ECHO_KINDS = (BALANCE_ECHO, LEVEL_ECHO)
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
    events = [
        (("contact" if "CONTACT" in str(event) else "company", int(subject)), received_at)
        for _, event, subject, received_at in rows
        if subject is not None
    ]
    # The echo of our balance write, or else of our level write (each event uses up one mark).
    ours = take_echoes(session, portal_id, ECHO_KINDS, [(f"{t}:{i}", at) for (t, i), at in events])
    named = {owner for (owner, _), echo in zip(events, ours, strict=True) if not echo}
    held = _held(session, portal_id, named)
    owners = sorted(held - _owed(session, portal_id, held))
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


def _owed(session: Session, portal_id: int, owners: set[tuple[str, int]]) -> set[tuple[str, int]]:
    """The owners whose balance write is still pending in the outbox."""
    if not owners:
        return set()
    keys = {f"balance:{t}:{i}": (t, i) for t, i in owners}
    pending = session.execute(
        select(OutboxMessage.key).where(
            OutboxMessage.portal_id == portal_id,
            OutboxMessage.key.in_(sorted(keys)),
            OutboxMessage.status == "pending",
        )
    ).scalars()
    return {keys[key] for key in pending}
