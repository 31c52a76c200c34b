"""Deals changed since a watermark, listed from the portal (``crm.item.list`` by ``updatedTime``,
paged by ``>id`` with ``start=-1``): how the lane finds events it never got."""

from __future__ import annotations

from datetime import UTC, datetime

from b24app.gateway import PortalClient
from registry.program.values import bounded_id


def changed_deals(client: PortalClient, since: str) -> dict[int, datetime]:
    """Deal id -> when it last changed, for every deal changed at or after ``since``."""
    params = {"entityTypeId": 2, "select": ["id", "updatedTime"], "filter": {">=updatedTime": since}}
    changed: dict[int, datetime] = {}
    for row in client.list_all("crm.item.list", params, "items"):
        deal_id, updated = bounded_id(row.get("id")), _moment(row.get("updatedTime"))
        if deal_id is not None and updated is not None:  # a row we cannot read is left out
            changed[deal_id] = updated
    return changed


def _moment(raw: object) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(raw))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # compare like with like
