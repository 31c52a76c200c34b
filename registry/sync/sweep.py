"""Which deals we still hold accruals for are gone from the portal: the id sweep that catches a
deletion whose event never reached us (the offline queue's records may carry no id at all:
api-reference/events/event-offline-get.md shows ``"EVENT_DATA": false``)."""

from __future__ import annotations

from collections.abc import Sequence

from b24app.gateway import Command, PortalClient
from b24app.gateway.client import BATCH_LIMIT
from registry.program.values import bounded_id


def missing_deals(client: PortalClient, deal_ids: Sequence[int]) -> set[int]:
    """The ids of ``deal_ids`` the portal no longer has: 50 ids to a list command, 50 to a batch."""
    chunks = [list(deal_ids[i : i + BATCH_LIMIT]) for i in range(0, len(deal_ids), BATCH_LIMIT)]
    commands = {
        f"s{n}": Command(
            "crm.item.list",
            {"entityTypeId": 2, "select": ["id"], "filter": {"@id": chunk}, "start": -1},
        )
        for n, chunk in enumerate(chunks)
    }
    if not commands:
        return set()
    result = client.batch_all(commands)
    limit = result.limited()
    if limit is not None:
        raise limit
    present: set[int] = set()
    for label in commands:
        for row in (result.get(label) or {}).get("items") or []:  # a refused listing raises: no guess
            deal_id = bounded_id(row.get("id"))
            if deal_id is not None:
                present.add(deal_id)
    return set(deal_ids) - present
