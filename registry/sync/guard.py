"""Registry items read back for the tamper guard (50 ids to a list command, 50 commands to a request,
original UF names, as the ledger's projection names them) and the names of the users who edited them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from b24app.gateway import Command, PortalClient
from registry.bonuses.target import RegistryTarget
from registry.program.values import bounded_id

IDS_PER_COMMAND = 50
# crm-item-list.md: select takes the item's fields; useOriginalUfNames=Y keeps UF_CRM_{id}_* as we write them.
SYSTEM_FIELDS = (
    "id",
    "title",
    "xmlId",
    "stageId",
    "contactId",
    "companyId",
    "parentId2",
    "updatedBy",
    "updatedTime",
)


def read_items(client: PortalClient, target: RegistryTarget, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The items among ``ids`` the portal still has (a missing one was deleted)."""
    select = [*SYSTEM_FIELDS, *target.fields.values()]
    commands: dict[str, Command] = {}
    for start in range(0, len(ids), IDS_PER_COMMAND):
        params = {
            "entityTypeId": target.entity_type_id,
            "filter": {"@id": list(ids[start : start + IDS_PER_COMMAND])},
            "select": select,
            "start": -1,
            "useOriginalUfNames": "Y",
        }
        commands[f"items{start}"] = Command("crm.item.list", params)
    if not commands:
        return {}
    result = client.batch_all(commands)
    found: dict[int, dict[str, Any]] = {}
    for label in commands:
        for item in (result.get(label) or {}).get("items") or []:
            item_id = bounded_id(item.get("id"))
            if item_id is not None:
                found[item_id] = dict(item)
    return found


def changed_since(client: PortalClient, target: RegistryTarget, since: str) -> list[int]:
    """Ids of the registry items changed at ``since`` (ISO) or later (``>=updatedTime``, crm-item-list.md)."""
    params = {"entityTypeId": target.entity_type_id, "filter": {">=updatedTime": since}, "select": ["id"]}
    rows = client.list_all("crm.item.list", params, "items")
    return [i for i in (bounded_id(row.get("id")) for row in rows) if i is not None]


def user_names(client: PortalClient, user_ids: Sequence[int]) -> dict[int, str]:
    """user id -> "Name Last name" (user.get by ID; a user the portal does not show stays unnamed)."""
    if not user_ids:
        return {}
    commands = {f"u{uid}": Command("user.get", {"ID": uid}) for uid in sorted(set(user_ids))}
    result = client.batch_all(commands)
    names: dict[int, str] = {}
    for label in commands:
        rows = result.get(label)
        for row in rows if isinstance(rows, list) else []:
            name = " ".join(str(row.get(k) or "") for k in ("NAME", "LAST_NAME")).strip()
            if name and (uid := bounded_id(row.get("ID"))) is not None:
                names[uid] = name[:100]
    return names
