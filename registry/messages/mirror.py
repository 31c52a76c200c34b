"""Outbox kinds of the portal mirror: the registry item of an entry (looked up by ``xmlId`` before a
retry re-creates it), the owner's balance field (always the ledger's current value), timeline
comments (found by their text) and an item's stage."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from b24app import outbox
from b24app.db import once_per_transaction
from b24app.gateway import Command
from b24app.models import OutboxMessage
from registry.bonuses import texts
from registry.bonuses.echoes import BALANCE_ECHO, ITEM_ECHO, echo_expected
from registry.bonuses.items import item_fields
from registry.bonuses.mirror import shown_balance, shown_balances
from registry.bonuses.target import RegistryTarget, load_target
from registry.ledger.views import entry_view, entry_views

ITEM = "registry_item"  # the portal object kind of a registry item (key entry:{id})


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

    def prefetch(self, session: Session, messages: list[OutboxMessage]) -> None:
        """The entries of a batch's items in one read, kept for ``write`` in this transaction."""
        ids = [int(m.payload["entry_id"]) for m in messages]
        for view in entry_views(session, ids):
            _keep(session, ("entry_view", view.id), view)

    def write(self, session: Session, message: OutboxMessage) -> Command | None:
        target = self._target(session, message)
        entry_id = int(message.payload["entry_id"])
        entry = once_per_transaction(session, ("entry_view", entry_id), lambda: entry_view(session, entry_id))
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

    def remembered(self, message: OutboxMessage, remote_id: str) -> outbox.ObjectNote:
        """Stage moves and healing find the item here, after its message is pruned."""
        return outbox.ObjectNote(ITEM, f"entry:{message.payload['entry_id']}", remote_id)


class BalanceKind:
    """``UF_CRM_BONUS_BALANCE`` on the owner, always the ledger's current balance."""

    kind = "balance"

    def lookup(self, session: Session, message: OutboxMessage) -> Command | None:
        return None  # setting a field to the current value is idempotent

    def found(self, message: OutboxMessage, result: Any) -> str | None:
        return None

    def prefetch(self, session: Session, messages: list[OutboxMessage]) -> None:
        """A batch's balances in one read, kept for ``write`` in this transaction."""
        owners = [_owner(m) for m in messages]
        for owner, balance in shown_balances(session, messages[0].portal_id, owners).items():
            _keep(session, ("shown_balance", messages[0].portal_id, *owner), balance)

    def write(self, session: Session, message: OutboxMessage) -> Command | None:
        owner_type, owner_id = _owner(message)
        balance: Decimal = once_per_transaction(
            session,
            ("shown_balance", message.portal_id, owner_type, owner_id),
            lambda: shown_balance(session, message.portal_id, owner_type, owner_id),
        )
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

    def remembered(self, message: OutboxMessage, remote_id: str) -> outbox.ObjectNote:
        """The owner's update event that our write fires is expected (not read back)."""
        return echo_expected(BALANCE_ECHO, str(message.payload["owner"]))


def _keep(session: Session, key: tuple[object, ...], value: object) -> None:
    """What a batch's read found, for each message's ``write`` in the same transaction."""
    once_per_transaction(session, key, lambda: value)


def _owner(message: OutboxMessage) -> tuple[str, int]:
    """The (type, id) of the owner whose balance field a message writes."""
    owner_type, owner_id = str(message.payload["owner"]).split(":")
    return owner_type, int(owner_id)


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
        item_id = outbox.remote_id_of(session, message.portal_id, ITEM, f"entry:{entry_id}")
        target = load_target(session, message.portal_id)
        if item_id is None or target is None:
            raise outbox.NotReady("the entry's registry item is not on the portal yet")
        stage = target.stages[entry_view(session, entry_id).state]
        params = {"entityTypeId": target.entity_type_id, "id": int(item_id), "fields": {"stageId": stage}}
        return Command("crm.item.update", params)

    def written(self, message: OutboxMessage, result: Any) -> str | None:
        return item_written(result)

    def remembered(self, message: OutboxMessage, remote_id: str) -> outbox.ObjectNote:
        """The item's update event that our move fires is expected (not read back)."""
        return echo_expected(ITEM_ECHO, remote_id)


def item_written(result: Any) -> str | None:
    """The id of an item ``crm.item.update`` answered with (its echo is then expected)."""
    item = result.get("item") if isinstance(result, dict) else None
    return str(item["id"]) if isinstance(item, dict) and item.get("id") is not None else None


MIRROR_KINDS = (RegistryItemKind(), BalanceKind(), CommentKind(), ItemStageKind())
