"""The portal's offline event queue (``event.offline.get`` / ``event.offline.clear``): deal
deletions and registry item changes kept for us while we were not told.

Read with ``clear=0`` (reserve, then ``event.offline.clear`` after our commit: at least once);
a plan that does not allow reserving gets ``clear=1`` (the read deletes; a crash between the read
and our commit could lose a record, the price of the smaller plan).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from b24app.gateway import PortalCallError, PortalClient
from registry.program.values import bounded_id

RESERVE, DELETE = "reserve", "delete"
DEAL_PREFIX, ITEM_PREFIX = "ONCRMDEAL", "ONCRMDYNAMICITEM"
PAGE = 50


@dataclass(frozen=True)
class OfflineDeal:
    """One offline record that names a deal."""

    deal_id: int
    event: str
    message_id: Any
    at: Any


def read_page(client: PortalClient, mode: str) -> tuple[str, dict[str, Any]]:
    """One page of records and the mode that worked (``reserve`` falls back to ``delete``)."""
    if mode == RESERVE:
        try:
            return mode, client.call("event.offline.get", {"clear": 0, "limit": PAGE})
        except PortalCallError:
            mode = DELETE  # reserving is not on this plan
    return mode, client.call("event.offline.get", {"clear": 1, "limit": PAGE})


def release(client: PortalClient, page: dict[str, Any]) -> None:
    """Clear the records of a reserved page once they are stored on our side."""
    ids = [e["MESSAGE_ID"] for e in page["events"]]
    client.call("event.offline.clear", {"process_id": page["process_id"], "message_id": ids})


def _of(events: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    return [e for e in events if str(e.get("EVENT_NAME") or "").upper().startswith(prefix)]


def unreadable(events: list[dict[str, Any]]) -> int:
    """Deal records that name no deal we can read (the docs' samples: ``"EVENT_DATA": false``)."""
    return len(_of(events, DEAL_PREFIX)) - len(deals_in(events))


def _named_id(event: dict[str, Any]) -> int | None:
    data = event.get("EVENT_DATA") if isinstance(event.get("EVENT_DATA"), dict) else {}
    fields = (data or {}).get("FIELDS")
    return bounded_id(fields.get("ID") if isinstance(fields, dict) else None)


def items_in(events: list[dict[str, Any]]) -> tuple[list[int], int]:
    """Registry item records (ONCRMDYNAMICITEM*_{type}): the item ids named, and how many name none."""
    records = _of(events, ITEM_PREFIX)
    ids = [i for i in (_named_id(e) for e in records) if i is not None]
    return ids, len(records) - len(ids)


def deals_in(events: list[dict[str, Any]]) -> list[OfflineDeal]:
    """The records we can act on: deal records naming a deal by an id a deal can have."""
    found: list[OfflineDeal] = []
    for event in _of(events, DEAL_PREFIX):
        deal_id = _named_id(event)
        if deal_id is not None:
            name = f"OFFLINE:{str(event.get('EVENT_NAME'))[:50]}"
            found.append(OfflineDeal(deal_id, name, event.get("MESSAGE_ID"), event.get("TIMESTAMP_X")))
    return found
