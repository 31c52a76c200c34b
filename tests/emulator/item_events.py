"""Dynamic items (smart processes, smart invoices): who/when stamps, no-op updates and their events.

api-reference/crm/universal/events/index.md: ``ONCRMDYNAMICITEM{ADD,UPDATE,DELETE}`` fire for every
smart process and for new invoices, with ``data.FIELDS = {ID, ENTITY_TYPE_ID}``; a smart process also
has the per-type ``..._{entityTypeId}`` forms. The acting user's tokens travel in ``auth``; a change
made by automation carries none (api-reference/events/index.md).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Protocol

from tests.emulator.portal import now_iso
from tests.emulator.protocol import CallContext

if TYPE_CHECKING:
    from tests.emulator.portal import Portal

INVOICE = 31
# Kept by the portal, never taken from a caller (object-fields.md lists them as the item's history).
READ_ONLY = frozenset(
    {
        "id",
        "entityTypeId",
        "createdTime",
        "updatedTime",
        "createdBy",
        "updatedBy",
        "movedBy",
        "movedTime",
        "previousStageId",
    }
)
AUTOMATION = 0  # [unverified] the user a change by automation is attributed to


class ItemKind(Protocol):
    """crm.item.* for one system entity type (contacts, companies, smart invoices)."""

    def add(self, ctx: CallContext, params: dict[str, Any]) -> Any: ...

    def get(self, ctx: CallContext, params: dict[str, Any]) -> Any: ...

    def list(self, ctx: CallContext, params: dict[str, Any]) -> Any: ...

    def update(self, ctx: CallContext, params: dict[str, Any]) -> Any: ...

    def delete(self, ctx: CallContext, params: dict[str, Any]) -> Any: ...


# entityTypeId -> its crm.item.* handlers; methods_contacts.py and methods_invoices.py register here.
SYSTEM_ITEMS: dict[int, ItemKind] = {}
Handler = Callable[[CallContext, dict[str, Any]], Any]


def _actor(user_id: int | None) -> int:
    return AUTOMATION if user_id is None else user_id


def stamp_new(item: dict[str, Any], user_id: int | None) -> None:
    """createdBy/updatedBy/movedBy and their times for a new item (crm-item-add.md defaults)."""
    now, actor = now_iso(), _actor(user_id)
    item.update(createdTime=now, updatedTime=now, createdBy=actor, updatedBy=actor)
    item.setdefault("assignedById", actor)  # "By default, the identifier of the user calling the method"
    if item.get("stageId"):
        item.update(movedBy=actor, movedTime=now)


def same(have: Any, want: Any) -> bool:
    """Equal as the portal would store them: numbers by value, ids and numbers as strings alike."""
    if have == want:
        return True
    if isinstance(have, list) or isinstance(want, list):
        return [str(x) for x in have or []] == [str(x) for x in want or []]
    try:
        return Decimal(str(have)) == Decimal(str(want))
    except (InvalidOperation, ValueError):
        return str(have if have is not None else "") == str(want if want is not None else "")


def changes(item: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """The fields that would really change (read-only ones are ignored, as the portal ignores them)."""
    return {k: v for k, v in fields.items() if k not in READ_ONLY and not same(item.get(k), v)}


def apply(item: dict[str, Any], changed: dict[str, Any], user_id: int | None) -> None:
    """Save changes with updatedBy/updatedTime; a stage change also sets previousStageId/movedBy/movedTime."""
    now, actor = now_iso(), _actor(user_id)
    if "stageId" in changed:
        item.update(previousStageId=item.get("stageId"), movedBy=actor, movedTime=now)
    item.update(changed)
    item.update(updatedBy=actor, updatedTime=now)


def events_for(verb: str, etid: int) -> list[str]:
    """The base event and, for a smart process, its per-type form (events/index.md)."""
    base = f"ONCRMDYNAMICITEM{verb}"
    # Stricter: the per-type form is documented for smart processes only, not for invoices (31).
    return [base] if etid == INVOICE else [base, f"{base}_{etid}"]


def emit(portal: Portal, verb: str, etid: int, item_id: int, user_id: int | None) -> None:
    for event in events_for(verb, etid):
        portal.emit(event, item_id, user_id, {"ENTITY_TYPE_ID": etid})
