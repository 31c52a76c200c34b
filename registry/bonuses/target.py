"""Where the registry lives on a portal: the smart process, its stages and field names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app.db import once_per_transaction
from b24app.models import ProvisionedObject

TARGET_KIND, TARGET_KEY = "smart_process", "registry"
REQUESTS_KEY = "requests"  # the "Bonus requests" smart process (approvals)


@dataclass(frozen=True)
class RegistryTarget:
    """The provisioned smart process: ids, stage ids per registry state and UF names."""

    entity_type_id: int
    type_id: int
    category_id: int
    stages: dict[str, str]  # pending|active|written_off|cancelled|expired -> DT{etid}_{cat}:CODE
    fields: dict[str, str]  # OPERATION|AMOUNT|BALANCE_AFTER|EXPIRES_AT|REASON -> UF_CRM_{id}_...

    def to_details(self) -> dict[str, Any]:
        return {
            "entity_type_id": self.entity_type_id,
            "type_id": self.type_id,
            "category_id": self.category_id,
            "stages": self.stages,
            "fields": self.fields,
        }

    @classmethod
    def from_details(cls, details: dict[str, Any]) -> RegistryTarget:
        return cls(
            int(details["entity_type_id"]),
            int(details["type_id"]),
            int(details["category_id"]),
            dict(details["stages"]),
            dict(details["fields"]),
        )


def load_target(session: Session, portal_id: int) -> RegistryTarget | None:
    """The portal's registry smart process, or None before provisioning finished (read once per
    transaction: the mirror asks it for every registry item it writes)."""
    return once_per_transaction(
        session, ("registry_target", portal_id), lambda: _read_target(session, portal_id)
    )


def _read_target(session: Session, portal_id: int) -> RegistryTarget | None:
    details = _provisioned(session, portal_id, TARGET_KEY)
    return None if details is None else RegistryTarget.from_details(details)


def _provisioned(session: Session, portal_id: int, key: str) -> dict[str, Any] | None:
    """The details of a smart process provisioning recorded with its stages (None: not yet)."""
    row = session.execute(
        select(ProvisionedObject).where(
            ProvisionedObject.portal_id == portal_id,
            ProvisionedObject.kind == TARGET_KIND,
            ProvisionedObject.key == key,
        )
    ).scalar_one_or_none()
    if row is None or "stages" not in row.details:
        return None
    return row.details


@dataclass(frozen=True)
class RequestsTarget:
    """The provisioned "Bonus requests" smart process: its type and a stage per request status."""

    entity_type_id: int
    category_id: int
    stages: dict[str, str]  # pending|approved|cancelled -> DT{etid}_{cat}:CODE

    def status_of(self, stage_id: str) -> str | None:
        return next((status for status, stage in self.stages.items() if stage == stage_id), None)


def load_requests_target(session: Session, portal_id: int) -> RequestsTarget | None:
    """The portal's requests smart process, or None before provisioning made it."""
    d = _provisioned(session, portal_id, REQUESTS_KEY)
    if d is None:
        return None
    return RequestsTarget(int(d["entity_type_id"]), int(d["category_id"]), dict(d["stages"]))
