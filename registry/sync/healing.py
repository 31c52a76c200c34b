"""What the portal shows of the ledger, read for the healing pass and the guard: every owner's
balance field (and the level field when the program has one; 50 owners per list command, 50
commands per request) and the registry items' ``xmlId``s."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from b24app.gateway import Command, PortalClient
from registry.bonuses.target import RegistryTarget
from registry.program.values import bounded_id
from registry.sync.clients import moment

IDS_PER_COMMAND = 50


BALANCE_FIELD = "UF_CRM_BONUS_BALANCE"


@dataclass(frozen=True)
class ShownFields:
    """What one client's card shows: the balance (None: empty or no number) and the level field's
    text (None: the program or the portal has no level field)."""

    balance: Decimal | None
    level: str | None


def balance_fields(
    client: PortalClient, owners: list[tuple[str, int]]
) -> dict[tuple[str, int], Decimal | None]:
    """(owner type, id) -> the ``UF_CRM_BONUS_BALANCE`` the card shows (None: empty or no number)."""
    return {owner: shown.balance for owner, shown in client_fields(client, owners, None).items()}


def client_fields(
    client: PortalClient, owners: list[tuple[str, int]], level_field: str | None
) -> dict[tuple[str, int], ShownFields]:
    """(owner type, id) -> the balance field and, when the program has one, the level field."""
    select = ["ID", BALANCE_FIELD, *([level_field] if level_field else [])]
    reads: dict[str, Command] = {}
    for kind in ("contact", "company"):
        ids = [owner_id for owner_type, owner_id in owners if owner_type == kind]
        for start in range(0, len(ids), IDS_PER_COMMAND):
            chunk = ids[start : start + IDS_PER_COMMAND]
            params = {"filter": {"@ID": chunk}, "select": select, "start": -1}
            reads[f"{kind}{start}"] = Command(f"crm.{kind}.list", params)
    if not reads:
        return {}
    result = client.batch_all(reads)
    shown: dict[tuple[str, int], ShownFields] = {}
    for label, rows in result.results.items():
        kind = "contact" if label.startswith("contact") else "company"
        for row in rows if isinstance(rows, list) else []:
            # a field the portal does not have is not in the row: nothing to compare
            level = str(row.get(level_field) or "") if level_field and level_field in row else None
            shown[(kind, int(row["ID"]))] = ShownFields(_number(row.get(BALANCE_FIELD)), level)
    return shown


def item_keys(client: PortalClient, target: RegistryTarget, since: datetime) -> tuple[set[str], list[int]]:
    """The ``xmlId`` of every registry item on the portal, and the ids of those changed at ``since`` or
    later (``updatedTime``): the tamper guard compares those with the ledger."""
    params = {"entityTypeId": target.entity_type_id, "select": ["id", "xmlId", "updatedTime"]}
    keys: set[str] = set()
    changed: list[int] = []
    for row in client.list_all("crm.item.list", params, "items"):
        keys.add(str(row.get("xmlId")))
        updated = moment(row.get("updatedTime"))
        if updated is not None and updated >= since and (item_id := bounded_id(row.get("id"))) is not None:
            changed.append(item_id)
    return keys, changed


def _number(raw: Any) -> Decimal | None:
    try:
        return Decimal(str(raw)).quantize(Decimal("0.01")) if raw not in (None, "") else None
    except InvalidOperation:
        return None
