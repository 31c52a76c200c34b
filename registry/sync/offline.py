"""The portal's offline event queue (``event.offline.get`` / ``event.offline.clear``): deal
deletions kept for us while we were not told.

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


def unreadable(events: list[dict[str, Any]]) -> int:
    """Records that name no deal we can read (the docs' samples: ``"EVENT_DATA": false``)."""
    return len(events) - len(deals_in(events))


def deals_in(events: list[dict[str, Any]]) -> list[OfflineDeal]:
    """The records we can act on: those naming a deal by an id a deal can have."""
    found: list[OfflineDeal] = []
    for event in events:
        data = event.get("EVENT_DATA") if isinstance(event.get("EVENT_DATA"), dict) else {}
        fields = (data or {}).get("FIELDS")
        deal_id = bounded_id(fields.get("ID") if isinstance(fields, dict) else None)
        if deal_id is not None:
            name = f"OFFLINE:{str(event.get('EVENT_NAME'))[:50]}"
            found.append(OfflineDeal(deal_id, name, event.get("MESSAGE_ID"), event.get("TIMESTAMP_X")))
    return found
