"""The portal mirror of the ledger: registry items, the balance field and timeline comments.

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

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from b24app import outbox
from b24app.gateway import Command
from b24app.models import OutboxMessage
from registry import notices, texts
from registry.ledger_view import EntryView, current_balance, entry_view
from registry.target import RegistryTarget, load_target

OWNER_ENTITY_TYPE = {"contact": 3, "company": 4}
OWNER_FIELD = {"contact": "contactId", "company": "companyId"}


def enqueue_entries(
    session: Session,
    portal_id: int,
    entries: Sequence[EntryView],
    language: str,
    now: datetime,
    notify: str | None = None,
) -> None:
    """Owe the portal everything that mirrors these new entries (same transaction as the ledger),
    and the client the notifications they call for (``notify`` forces or silences a channel)."""
    notices.plan_for_entries(session, portal_id, entries, language, now, forced=notify)
    for entry in entries:
        outbox.add(
            session,
            portal_id=portal_id,
            kind="registry_item",
            key=f"item:{entry.id}",
            payload={"entry_id": entry.id},
            now=now,
        )
        owe_balance(session, portal_id, entry.owner_type, entry.owner_id, now)
        for target, text in texts.comments(entry, language).items():
            outbox.add(
                session,
                portal_id=portal_id,
                kind="comment",
                key=f"comment:{target}:{entry.id}",
                payload={"entity_type": text.entity_type, "entity_id": text.entity_id, "text": text.body},
                now=now,
            )


def rearm(
    session: Session, portal_id: int, kind: str, *, key: str, payload: dict[str, Any], now: datetime
) -> None:
    """Owe a "set it to the current value" write (balance field, item stage) once more.

    Keyed per target: after delivery the row is armed again, so a burst of changes to one owner
    costs one write. Lanes run one job per portal, so no delivery of this row can be in flight
    while we re-arm it.
    """
    if outbox.add(session, portal_id=portal_id, kind=kind, key=key, payload=payload, now=now):
        return
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.portal_id == portal_id, OutboxMessage.key == key)
        .values(status="pending", attempts=0, next_attempt_at=now, first_failure_at=None, last_error=None)
    )


class RegistryItemKind:
    """One smart-process item per ledger entry."""

    kind = "registry_item"

    def _target(self, session: Session, message: OutboxMessage) -> RegistryTarget:
        target = load_target(session, message.portal_id)
        if target is None:
            raise outbox.NotReady("the registry smart process is not provisioned yet")
        return target

    def lookup(self, session: Session, message: OutboxMessage) -> Command | None:
        target = self._target(session, message)
        params = {
            "entityTypeId": target.entity_type_id,
            "filter": {"=xmlId": f"entry:{message.payload['entry_id']}"},
            "select": ["id"],
        }
        return Command("crm.item.list", params)

    def found(self, message: OutboxMessage, result: Any) -> str | None:
        items = result.get("items") if isinstance(result, dict) else None
        return str(items[0]["id"]) if items else None

    def write(self, session: Session, message: OutboxMessage) -> Command | None:
        target = self._target(session, message)
        entry = entry_view(session, int(message.payload["entry_id"]))
        language = texts.portal_language(session, message.portal_id)
        return Command(
            "crm.item.add",
            {
                "entityTypeId": target.entity_type_id,
                "useOriginalUfNames": "Y",
                "fields": item_fields(entry, target, language),
            },
        )

    def written(self, message: OutboxMessage, result: Any) -> str | None:
        item = result.get("item") if isinstance(result, dict) else None
        return str(item["id"]) if item else None


def item_fields(entry: EntryView, target: RegistryTarget, language: str) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": texts.item_title(entry, language),
        "xmlId": f"entry:{entry.id}",
        OWNER_FIELD[entry.owner_type]: entry.owner_id,
        "stageId": target.stages[entry.state],
        "opportunity": abs(entry.amount),
        target.fields["OPERATION"]: texts.operation_label(entry.kind, language),
        target.fields["AMOUNT"]: entry.amount,
        target.fields["BALANCE_AFTER"]: entry.balance_after,
        target.fields["REASON"]: entry.reason or "",
    }
    if entry.deal_id:
        fields["parentId2"] = entry.deal_id
    if entry.expires_at is not None:
        fields[target.fields["EXPIRES_AT"]] = entry.expires_at.date().isoformat()
    return fields


class BalanceKind:
    """``UF_CRM_BONUS_BALANCE`` on the owner, always the ledger's current balance."""

    kind = "balance"

    def lookup(self, session: Session, message: OutboxMessage) -> Command | None:
        return None  # setting a field to the current value is idempotent

    def found(self, message: OutboxMessage, result: Any) -> str | None:
        return None

    def write(self, session: Session, message: OutboxMessage) -> Command | None:
        owner_type, owner_id = str(message.payload["owner"]).split(":")
        balance: Decimal = current_balance(session, message.portal_id, owner_type, int(owner_id))
        return Command(
            f"crm.{owner_type}.update",
            {
                "id": int(owner_id),
                "fields": {"UF_CRM_BONUS_BALANCE": balance},
                "params": {"REGISTER_SONET_EVENT": "N"},
            },
        )

    def written(self, message: OutboxMessage, result: Any) -> str | None:
        return str(message.payload["owner"])


class CommentKind:
    """A timeline comment; its text is fixed when owed, so a retry can find it by text."""

    kind = "comment"

    def lookup(self, session: Session, message: OutboxMessage) -> Command | None:
        p = message.payload
        return Command(
            "crm.timeline.comment.list",
            {
                "filter": {"ENTITY_ID": p["entity_id"], "ENTITY_TYPE": p["entity_type"]},
                "select": ["ID", "COMMENT"],
                "order": {"ID": "DESC"},
            },
        )

    def found(self, message: OutboxMessage, result: Any) -> str | None:
        rows = result if isinstance(result, list) else []
        return next((str(r["ID"]) for r in rows if r.get("COMMENT") == message.payload["text"]), None)

    def write(self, session: Session, message: OutboxMessage) -> Command | None:
        p = message.payload
        return Command(
            "crm.timeline.comment.add",
            {"fields": {"ENTITY_ID": p["entity_id"], "ENTITY_TYPE": p["entity_type"], "COMMENT": p["text"]}},
        )

    def written(self, message: OutboxMessage, result: Any) -> str | None:
        return str(result)


class ItemStageKind:
    """Moves an entry's registry item to the stage its entry is in now (pending -> active -> expired)."""

    kind = "item_stage"

    def lookup(self, session: Session, message: OutboxMessage) -> Command | None:
        return None  # setting the current stage again is harmless

    def found(self, message: OutboxMessage, result: Any) -> str | None:
        return None

    def write(self, session: Session, message: OutboxMessage) -> Command | None:
        entry_id = int(message.payload["entry_id"])
        item_id = session.execute(
            select(OutboxMessage.remote_id).where(
                OutboxMessage.portal_id == message.portal_id,
                OutboxMessage.key == f"item:{entry_id}",
                OutboxMessage.status == "done",
            )
        ).scalar_one_or_none()
        target = load_target(session, message.portal_id)
        if item_id is None or target is None:
            raise outbox.NotReady("the entry's registry item is not on the portal yet")
        stage = target.stages[entry_view(session, entry_id).state]
        params = {"entityTypeId": target.entity_type_id, "id": int(item_id), "fields": {"stageId": stage}}
        return Command("crm.item.update", params)

    def written(self, message: OutboxMessage, result: Any) -> str | None:
        return None


def owe_balance(session: Session, portal_id: int, owner_type: str, owner_id: int, now: datetime) -> None:
    """The owner's balance field is to be written again (from the ledger, when it is sent)."""
    owner = f"{owner_type}:{owner_id}"
    rearm(session, portal_id, "balance", key=f"balance:{owner}", payload={"owner": owner}, now=now)


def owe_stage(session: Session, portal_id: int, entry_id: int, now: datetime) -> None:
    rearm(session, portal_id, "item_stage", key=f"stage:{entry_id}", payload={"entry_id": entry_id}, now=now)


MIRROR_KINDS = (RegistryItemKind(), BalanceKind(), CommentKind(), ItemStageKind())
