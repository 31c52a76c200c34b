"""Outbox kinds of the tamper guard: a registry item put back to the ledger's values (computed when
sent, so it is always the latest), the timeline note about it and the administrator's notification."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from b24app import outbox
from b24app.gateway import Command
from b24app.models import OutboxMessage
from registry.bonuses import guard_texts, texts
from registry.bonuses.echoes import ITEM_ECHO, echo_expected
from registry.bonuses.items import item_fields
from registry.bonuses.target import load_target
from registry.ledger.views import entry_view
from registry.messages.mirror import item_written


class NoLookup:
    """Absolute writes: sending one again changes nothing worth looking up first."""

    def lookup(self, session: Session, message: OutboxMessage) -> Command | None:
        return None

    def found(self, message: OutboxMessage, result: Any) -> str | None:
        return None

    def written(self, message: OutboxMessage, result: Any) -> str | None:
        return None


class RevertKind(NoLookup):
    """``crm.item.update`` with every field the entry gives its item (an unchanged item is not saved)."""

    kind = "registry_revert"

    def write(self, session: Session, message: OutboxMessage) -> Command | None:
        target = load_target(session, message.portal_id)
        if target is None:
            raise outbox.NotReady("the registry smart process is not provisioned")
        entry = entry_view(session, int(message.payload["entry_id"]))
        fields = item_fields(entry, target, texts.portal_language(session, message.portal_id))
        params = {
            "entityTypeId": target.entity_type_id,
            "id": int(message.payload["item_id"]),
            "useOriginalUfNames": "Y",
            "fields": fields,
        }
        return Command("crm.item.update", params)

    def written(self, message: OutboxMessage, result: Any) -> str | None:
        return item_written(result)

    def remembered(self, message: OutboxMessage, remote_id: str) -> outbox.ObjectNote:
        """The put-back's own update event is expected (not read back)."""
        return echo_expected(ITEM_ECHO, remote_id)


class TamperNoteKind(NoLookup):
    """``crm.timeline.logmessage.add`` on the item (or the client, for a re-created item)."""

    kind = "tamper_note"

    def write(self, session: Session, message: OutboxMessage) -> Command | None:
        p = message.payload
        fields = {
            "entityTypeId": int(p["entity_type_id"]),
            "entityId": int(p["entity_id"]),
            "title": p["title"],
            "text": p["text"],
            "iconCode": guard_texts.ICON,
        }
        return Command("crm.timeline.logmessage.add", {"fields": fields})


class TamperNoticeKind(NoLookup):
    """``im.notify.system.add`` to the administrator who installed the app."""

    kind = "tamper_notice"

    def write(self, session: Session, message: OutboxMessage) -> Command | None:
        p = message.payload
        return Command("im.notify.system.add", {"USER_ID": int(p["user_id"]), "MESSAGE": p["text"]})


GUARD_KINDS = (RevertKind(), TamperNoteKind(), TamperNoticeKind())
