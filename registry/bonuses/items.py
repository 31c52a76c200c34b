"""A ledger entry's registry item as the portal should show it: the fields the mirror writes and the
tamper guard compares (the ledger is the source of truth; the item is its projection)."""

from __future__ import annotations

from typing import Any

from registry.bonuses import texts
from registry.bonuses.target import RegistryTarget
from registry.ledger.views import EntryView

OWNER_FIELD = {"contact": "contactId", "company": "companyId"}


def item_fields(entry: EntryView, target: RegistryTarget, language: str) -> dict[str, Any]:
    """The registry item's fields. No ``opportunity``: the portal ignores it on a smart process that
    links no products (crm-item-add.md), so the amount lives in our own field only."""
    fields: dict[str, Any] = {
        "title": texts.item_title(entry, language),
        "xmlId": f"entry:{entry.id}",
        OWNER_FIELD[entry.owner_type]: entry.owner_id,
        "stageId": target.stages[entry.state],
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
