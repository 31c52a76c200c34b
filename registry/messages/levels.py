"""The outbox kind that writes a client's level (its name, or empty) into the program's tiers field."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from b24app.gateway import Command
from b24app.models import OutboxMessage
from b24app.outbox import ObjectNote
from registry.bonuses.echoes import LEVEL_ECHO, echo_expected
from registry.bonuses.tiers import FIELD_KIND


class LevelFieldKind:
    """``crm.{contact|company}.update`` of the field; the value is fixed when owed (one per change)."""

    kind = FIELD_KIND

    def lookup(self, session: Session, message: OutboxMessage) -> Command | None:
        return None  # setting a field to a value is idempotent

    def found(self, message: OutboxMessage, result: Any) -> str | None:
        return None

    def write(self, session: Session, message: OutboxMessage) -> Command | None:
        owner_type, owner_id = str(message.payload["owner"]).split(":")
        return Command(
            f"crm.{owner_type}.update",
            {
                "id": int(owner_id),
                "fields": {str(message.payload["field"]): str(message.payload["value"])},
                "params": {"REGISTER_SONET_EVENT": "N"},
            },
        )

    def written(self, message: OutboxMessage, result: Any) -> str | None:
        return str(message.payload["owner"])

    def remembered(self, message: OutboxMessage, remote_id: str) -> ObjectNote:
        """The owner's update event that our write fires is expected (not read back)."""
        return echo_expected(LEVEL_ECHO, str(message.payload["owner"]))
