"""What the portal mirror of the ledger is owed: registry items, the balance field and timeline
comments, owed as outbox rows in the ledger's own transaction (registry.messages writes them).

Every ledger entry owes the portal one registry item (``xmlId`` = ``entry:{id}``, looked up
before re-creating), one balance-field write for its owner (coalesced per owner: the value is read
from the ledger when the write is sent, so it is always the latest), and timeline comments on the
deal and on the owner. All of them travel through the outbox and share batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from b24app import outbox
from b24app.models import OutboxMessage
from registry.bonuses import notices, texts, webhooks
from registry.ledger.views import EntryView, OwnerKey, standings
from registry.program.document import Program, current_program, debt_mode_of


def enqueue_entries(
    session: Session,
    portal_id: int,
    entries: Sequence[EntryView],
    language: str,
    now: datetime,
    notify: str | None = None,
    *,
    program: Program | None = None,
) -> None:
    """Owe the portal everything that mirrors these new entries (same transaction as the ledger),
    and the client the notifications they call for (``notify`` forces or silences a channel)."""
    program = program or current_program(session, portal_id)
    notices.plan_for_entries(session, portal_id, program, entries, language, now, forced=notify)
    webhooks.owe_movements(session, portal_id, entries, now)  # the administrator's registered URLs
    rows = [row for entry in entries for row in _mirror_rows(portal_id, entry, language, now)]
    added = outbox.add_many(session, rows)  # one statement for every row the entries owe
    for balance in (row for row in rows if row["kind"] == "balance" and row["key"] not in added):
        _rearm_taken(session, portal_id, balance["key"], now)
        added.add(balance["key"])  # a second entry of the same owner: re-armed once is enough


def _mirror_rows(portal_id: int, entry: EntryView, language: str, now: datetime) -> list[dict[str, Any]]:
    """The outbox rows one entry owes: its registry item, its owner's balance field, its comments."""
    owner = f"{entry.owner_type}:{entry.owner_id}"
    rows = [
        outbox.row(portal_id, "registry_item", f"item:{entry.id}", {"entry_id": entry.id}, now),
        outbox.row(portal_id, "balance", f"balance:{owner}", {"owner": owner}, now),
    ]
    for target, text in texts.comments(entry, language).items():
        payload = {"entity_type": text.entity_type, "entity_id": text.entity_id, "text": text.body}
        rows.append(outbox.row(portal_id, "comment", f"comment:{target}:{entry.id}", payload, now))
    return rows


def rearm(
    session: Session, portal_id: int, kind: str, *, key: str, payload: dict[str, Any], now: datetime
) -> None:
    """Owe a "set it to the current value" write (balance field, item stage) once more.

    Keyed per target: after delivery the row is armed again, so a burst of changes to one owner
    costs one write. Lanes run one job per portal, so no delivery of this row can be in flight
    while we re-arm it.
    """
    if not outbox.add(session, portal_id=portal_id, kind=kind, key=key, payload=payload, now=now):
        _rearm_taken(session, portal_id, key, now)


def _rearm_taken(session: Session, portal_id: int, key: str, now: datetime) -> None:
    """The row of ``key`` exists (delivered, failed or still pending): make it pending again."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.portal_id == portal_id, OutboxMessage.key == key)
        .values(status="pending", attempts=0, next_attempt_at=now, first_failure_at=None, last_error=None)
    )


def owe_balance(session: Session, portal_id: int, owner_type: str, owner_id: int, now: datetime) -> None:
    """The owner's balance field is to be written again (from the ledger, when it is sent)."""
    owner = f"{owner_type}:{owner_id}"
    rearm(session, portal_id, "balance", key=f"balance:{owner}", payload={"owner": owner}, now=now)


def owe_stage(session: Session, portal_id: int, entry_id: int, now: datetime) -> None:
    rearm(session, portal_id, "item_stage", key=f"stage:{entry_id}", payload={"entry_id": entry_id}, now=now)


def shown_balance(session: Session, portal_id: int, owner_type: str, owner_id: int) -> Decimal:
    """What the card's balance field shows for one owner (``shown_balances``)."""
    return shown_balances(session, portal_id, [(owner_type, owner_id)])[(owner_type, owner_id)]


def shown_balances(session: Session, portal_id: int, owners: Sequence[OwnerKey]) -> dict[OwnerKey, Decimal]:
    """What the card's balance field shows: the ledger balance without bonuses on hold, less the
    owner's debt when the program's ``debt_mode`` is ``negative_balance`` (then it may be negative).
    Every owner in one read."""
    found = standings(session, portal_id, owners)
    if debt_mode_of(session, portal_id) == "negative_balance":
        return {owner: standing.balance - standing.debt for owner, standing in found.items()}
    return {owner: standing.balance for owner, standing in found.items()}
