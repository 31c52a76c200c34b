"""Timeline log entries: crm.timeline.logmessage.add/get/list and crm.timeline.icon.list."""

from __future__ import annotations

from typing import Any

from tests.emulator import listing
from tests.emulator.portal import Portal, now_iso
from tests.emulator.protocol import B24Error, CallContext, Page, method

# The icons crm.timeline.icon.list shows in its doc example (api-reference/crm/timeline/logmessage/icons/).
ICONS = [
    {"code": "call", "isSystem": True, "fileUri": ""},
    {"code": "arrow-down", "isSystem": True, "fileUri": ""},
    {"code": "info", "isSystem": False, "fileUri": "/upload/crm/icons/info.svg"},
]
LOG_TYPES = {"id": "integer", "created": "datetime"}
LOG_PAGE = 10  # crm-timeline-logmessage-list.md: "The page size of results is always static: 10 entries"


def owner_exists(portal: Portal, entity_type_id: int, entity_id: int) -> bool:
    """Deals, contacts, companies, smart invoices and smart-process items the portal has."""
    stores: dict[int, dict[int, Any]] = {2: portal.deals, 3: portal.contacts, 4: portal.companies}
    store = stores.get(entity_type_id, portal.items.get(entity_type_id, {}))
    return entity_id in store


def _int(value: Any, name: str) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError) as exc:
        raise B24Error("INVALID_ARG_VALUE", f"Invalid value for field '{name}'") from exc


def _public(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: entry[k] for k in ("id", "created", "authorId", "title", "text", "iconCode")}


@method("crm.timeline.logmessage.add")  # api-reference/crm/timeline/logmessage/crm-timeline-logmessage-add.md
def logmessage_add(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    fields = params.get("fields")
    required = ("entityTypeId", "entityId", "title", "text", "iconCode")  # all five are marked required
    missing = [n for n in required if not isinstance(fields, dict) or fields.get(n) in (None, "")]
    if missing:
        raise B24Error("100", f"Required fields: {', '.join(missing)}")
    assert isinstance(fields, dict)
    entity_type_id, entity_id = (
        _int(fields["entityTypeId"], "entityTypeId"),
        _int(fields["entityId"], "entityId"),
    )
    if not owner_exists(ctx.portal, entity_type_id, entity_id):
        raise B24Error("OWNER_NOT_FOUND", "Owner not found")
    if not any(icon["code"] == fields["iconCode"] for icon in ICONS):
        # Undocumented: an icon crm.timeline.icon.list does not have is refused (stricter).
        raise B24Error("0", "Could not find value")
    entry = {
        "id": ctx.portal.seq.next("timeline"),
        "created": now_iso(),
        "authorId": ctx.user_id,
        "title": str(fields["title"]),
        "text": str(fields["text"]),
        "iconCode": str(fields["iconCode"]),
        "entityTypeId": entity_type_id,
        "entityId": entity_id,
    }
    ctx.portal.log_messages.append(entry)
    return {"logMessage": _public(entry)}


@method("crm.timeline.logmessage.get")  # api-reference/crm/timeline/logmessage/crm-timeline-logmessage-get.md
def logmessage_get(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("id") in (None, ""):
        raise B24Error("100", "Required fields: id")
    wanted = _int(params["id"], "id")
    entry = next((e for e in ctx.portal.log_messages if e["id"] == wanted), None)
    if entry is None:
        raise B24Error("NOT_FOUND", "Not found")
    return {"logMessage": _public(entry)}


# api-reference/crm/timeline/logmessage/crm-timeline-logmessage-list.md
@method("crm.timeline.logmessage.list")
def logmessage_list(ctx: CallContext, params: dict[str, Any]) -> Page:
    if params.get("entityTypeId") in (None, "") or params.get("entityId") in (None, ""):
        raise B24Error("100", "Required fields: entityTypeId, entityId")
    entity_type_id, entity_id = (
        _int(params["entityTypeId"], "entityTypeId"),
        _int(params["entityId"], "entityId"),
    )
    rows = [
        _public(e)
        for e in ctx.portal.log_messages
        if e["entityTypeId"] == entity_type_id and e["entityId"] == entity_id
    ]
    order = params.get("order") or {"id": "DESC"}  # "By default, desc is used"
    return listing.page(
        rows, {"order": order, "start": params.get("start")}, LOG_TYPES, result_key=None, size=LOG_PAGE
    )


@method("crm.timeline.icon.list")  # api-reference/crm/timeline/logmessage/icons/crm-timeline-icon-list.md
def icon_list(ctx: CallContext, params: dict[str, Any]) -> Page:
    return Page({"icons": [dict(i) for i in ICONS]}, len(ICONS), None)


def log_messages_on(portal: Portal, entity_type_id: int, entity_id: int) -> list[dict[str, Any]]:
    """Test helper: the log entries written on one CRM record, oldest first."""
    return [
        e for e in portal.log_messages if e["entityTypeId"] == entity_type_id and e["entityId"] == entity_id
    ]
