"""Smart processes: crm.type.*, crm.item.*, categories, stages and userfieldconfig.*."""

from __future__ import annotations

import re
from typing import Any

from tests.emulator import item_events, productrows
from tests.emulator.filters import as_page
from tests.emulator.item_events import SYSTEM_ITEMS
from tests.emulator.portal import SPA_STAGES, Portal, now_iso
from tests.emulator.protocol import B24Error, CallContext, method

DEAL_CAMEL = {
    "ID": "id",
    "TITLE": "title",
    "STAGE_ID": "stageId",
    "STAGE_SEMANTIC_ID": "stageSemanticId",
    "CATEGORY_ID": "categoryId",
    "OPPORTUNITY": "opportunity",
    "CURRENCY_ID": "currencyId",
    "CONTACT_ID": "contactId",
    "COMPANY_ID": "companyId",
    "DATE_MODIFY": "updatedTime",
    "DATE_CREATE": "createdTime",
    "ASSIGNED_BY_ID": "assignedById",
    "CLOSED": "closed",
}
INT_FIELDS = {"contactId", "companyId", "parentId2", "assignedById"}  # typed like the portal answers
SYSTEM = {
    "id",
    "title",
    "xmlId",
    "stageId",
    "categoryId",
    "contactId",
    "companyId",
    "parentId2",
    "assignedById",
    "opportunity",
    "currencyId",
    "createdTime",
    "updatedTime",
    "entityTypeId",
    "stageSemanticId",
}


def _int(value: Any, name: str) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError) as exc:
        raise B24Error("INVALID_ARG_VALUE", f"{name} is required") from exc


def _camel_uf(name: str) -> str:
    # UF_CRM_16_AMOUNT -> ufCrm16Amount (the documented rule for letter suffixes)
    parts = name.lower().split("_")
    return parts[0] + "".join(p.capitalize() for p in parts[1:])


def _type_by_etid(portal: Portal, etid: int) -> dict[str, Any]:
    for t in portal.types.values():
        if t["entityTypeId"] == etid:
            return t
    raise B24Error("NOT_FOUND", f"Smart process {etid} not found", 400)


@method("crm.type.add")
def type_add(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    portal, fields = ctx.portal, dict(params.get("fields") or {})
    if not fields.get("title"):
        raise B24Error("INVALID_ARG_VALUE", "title is required")
    type_id = len(portal.types) + 1
    etid = int(fields.get("entityTypeId") or 1030 + 2 * (type_id + 2))
    info = {**fields, "id": type_id, "entityTypeId": etid, "createdTime": now_iso()}
    portal.types[type_id] = info
    portal.items[etid] = {}
    category_id = portal.next_id() + 6  # a real, non-zero default category id
    portal.categories[etid] = [
        {"id": category_id, "name": "Default", "isDefault": "Y", "entityTypeId": etid, "sort": 500}
    ]
    for code, name, semantics, sort in SPA_STAGES:
        portal.add_status(
            f"DYNAMIC_{etid}_STAGE_{category_id}",
            f"DT{etid}_{category_id}:{code}",
            name,
            semantics,
            sort,
            category_id,
        )
    return {"type": info}


@method("crm.type.list")
def type_list(ctx: CallContext, params: dict[str, Any]) -> Any:
    return as_page("types", list(ctx.portal.types.values()), params, id_field="id")


@method("crm.type.get")
def type_get(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    info = ctx.portal.types.get(_int(params.get("id"), "id"))
    if info is None:
        raise B24Error("NOT_FOUND", "Type not found")
    return {"type": info}


@method("crm.category.list")
def category_list(ctx: CallContext, params: dict[str, Any]) -> Any:
    etid = _int(params.get("entityTypeId"), "entityTypeId")
    return {"categories": ctx.portal.categories.get(etid, [])}


@method("crm.status.list")
def status_list(ctx: CallContext, params: dict[str, Any]) -> Any:
    return as_page(
        None, ctx.portal.statuses, {**params, "order": params.get("order") or {"SORT": "ASC"}}
    ).result


@method("crm.status.add")
def status_add(ctx: CallContext, params: dict[str, Any]) -> int:
    fields = dict(params.get("fields") or {})
    entity_id, status_id = str(fields.get("ENTITY_ID") or ""), str(fields.get("STATUS_ID") or "")
    if not entity_id or not status_id:
        raise B24Error(
            "", "The field ENTITY_ID is required." if not entity_id else "The field STATUS_ID is required."
        )
    match = re.fullmatch(r"DYNAMIC_(\d+)_STAGE_(\d+)", entity_id)
    if match and ":" not in status_id:  # the pipeline prefix is added automatically
        status_id = f"DT{match.group(1)}_{match.group(2)}:{status_id}"
    row = ctx.portal.add_status(
        entity_id,
        status_id,
        str(fields.get("NAME") or status_id),
        str(fields.get("SEMANTICS") or "") or None,
        int(fields.get("SORT") or 100),
    )
    return int(row["ID"])


@method("crm.status.update")
def status_update(ctx: CallContext, params: dict[str, Any]) -> bool:
    status_id = str(params.get("id"))
    for row in ctx.portal.statuses:
        if row["ID"] == status_id:
            row.update(
                {k: v for k, v in dict(params.get("fields") or {}).items() if k in ("NAME", "SORT", "COLOR")}
            )
            return True
    raise B24Error("", "Not found.")


@method("userfieldconfig.add")
def ufc_add(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    field = dict(params.get("field") or {})
    entity_id, name = str(field.get("entityId") or ""), str(field.get("fieldName") or "")
    match = re.fullmatch(r"CRM_(\d+)", entity_id)
    if entity_id not in ctx.portal.userfields and (not match or int(match.group(1)) not in ctx.portal.types):
        raise B24Error("ERROR_CORE", "You cannot create custom fields")
    if not re.fullmatch(r"UF_[A-Z0-9_]{1,47}", name):
        raise B24Error("ERROR_CORE", f"Wrong field name {name}")
    store = ctx.portal.userfields.setdefault(entity_id, [])
    if any(f["fieldName"] == name for f in store):
        raise B24Error("ERROR_CORE", f"Field {name} already exists")
    row = {**field, "id": str(ctx.portal.next_id())}
    store.append(row)
    return {"field": row}


@method("userfieldconfig.list")
def ufc_list(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    entity_id = str((params.get("filter") or {}).get("entityId") or "")
    return {"fields": list(ctx.portal.userfields.get(entity_id, []))}


def _deal_item(deal: dict[str, Any]) -> dict[str, Any]:
    item = {camel: deal.get(upper) for upper, camel in DEAL_CAMEL.items()}
    item.update({k: v for k, v in deal.items() if k.startswith("UF_")})
    return item


def _out(item: dict[str, Any], original: bool) -> dict[str, Any]:
    kept = SYSTEM | item_events.READ_ONLY
    return item if original else {(k if k in kept else _camel_uf(k)): v for k, v in item.items()}


# crm-item-add.md (SPA fields): currencyId, isManualOpportunity and opportunity are "only available if
# the isLinkWithProductsEnabled setting is enabled", and "an incorrect field in fields will be ignored".
PRODUCT_FIELDS = frozenset({"opportunity", "currencyId", "isManualOpportunity"})


def _accepted(info: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """The fields the portal keeps: product-linked ones only when the smart process links products."""
    if str(info.get("isLinkWithProductsEnabled", "")).strip().lower() in ("y", "true", "1"):
        return fields
    return {k: v for k, v in fields.items() if k not in PRODUCT_FIELDS}


def _item_store(portal: Portal, etid: int) -> dict[int, dict[str, Any]]:
    _type_by_etid(portal, etid)
    return portal.items[etid]


@method("crm.item.add")  # api-reference/crm/universal/crm-item-add.md
def item_add(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    etid = _int(params.get("entityTypeId"), "entityTypeId")
    if etid in SYSTEM_ITEMS:  # contacts, companies, smart invoices: their own modules
        return dict(SYSTEM_ITEMS[etid].add(ctx, params))
    store, info = _item_store(ctx.portal, etid), _type_by_etid(ctx.portal, etid)
    fields = _accepted(info, dict(params.get("fields") or {}))
    category = ctx.portal.categories[etid][0]["id"]
    allowed = SYSTEM | {f["fieldName"] for f in ctx.portal.userfields.get(f"CRM_{info['id']}", [])}
    item = {k: v for k, v in fields.items() if k in allowed}  # unknown fields are silently ignored
    for key in INT_FIELDS & set(item):
        item[key] = _int(item[key], key) if item[key] not in (None, "") else None
    item.update(
        {
            "id": ctx.portal.next_id(),
            "entityTypeId": etid,
            "categoryId": category,
            "createdTime": now_iso(),
            "updatedTime": now_iso(),
        }
    )
    item.setdefault("stageId", f"DT{etid}_{category}:NEW")
    item_events.stamp_new(item, ctx.user_id)
    store[item["id"]] = item
    item_events.emit(ctx.portal, "ADD", etid, item["id"], ctx.user_id)
    return {"item": _out(dict(item), params.get("useOriginalUfNames") in ("Y", True))}


@method("crm.item.get")  # api-reference/crm/universal/crm-item-get.md
def item_get(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    etid, item_id = _int(params.get("entityTypeId"), "entityTypeId"), _int(params.get("id"), "id")
    if etid == 2:
        deal = ctx.portal.deals.get(item_id)
        if deal is None:
            raise B24Error("NOT_FOUND", "Element not found", 400)
        return {"item": _deal_item(deal)}
    if etid in SYSTEM_ITEMS:
        return dict(SYSTEM_ITEMS[etid].get(ctx, params))
    item = _item_store(ctx.portal, etid).get(item_id)
    if item is None:
        raise B24Error("NOT_FOUND", "Element not found", 400)
    return {"item": _out(dict(item), params.get("useOriginalUfNames") in ("Y", True))}


@method("crm.item.list")  # api-reference/crm/universal/crm-item-list.md
def item_list(ctx: CallContext, params: dict[str, Any]) -> Any:
    etid = _int(params.get("entityTypeId"), "entityTypeId")
    if etid == 2:
        rows = [_deal_item(d) for d in ctx.portal.deals.values()]
    elif etid in SYSTEM_ITEMS:
        return SYSTEM_ITEMS[etid].list(ctx, params)
    else:
        original = params.get("useOriginalUfNames") in ("Y", True)
        rows = [_out(dict(i), original) for i in _item_store(ctx.portal, etid).values()]
    return as_page("items", rows, params, id_field="id")


@method("crm.item.update")  # api-reference/crm/universal/crm-item-update.md
def item_update(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    etid, item_id = _int(params.get("entityTypeId"), "entityTypeId"), _int(params.get("id"), "id")
    if etid in SYSTEM_ITEMS:
        return dict(SYSTEM_ITEMS[etid].update(ctx, params))
    item = _item_store(ctx.portal, etid).get(item_id)
    if item is None:
        raise B24Error("NOT_FOUND", "Element not found", 400)
    # crm-item-update.md: "if it is determined before saving that no field values have changed, the
    # save is not performed" -- no new updatedTime, no event.
    fields = _accepted(_type_by_etid(ctx.portal, etid), dict(params.get("fields") or {}))
    changed = item_events.changes(item, fields)
    if changed:
        item_events.apply(item, changed, ctx.user_id)
        item_events.emit(ctx.portal, "UPDATE", etid, item_id, ctx.user_id)
    return {"item": _out(dict(item), params.get("useOriginalUfNames") in ("Y", True))}


@method("crm.item.delete")  # api-reference/crm/universal/crm-item-delete.md
def item_delete(ctx: CallContext, params: dict[str, Any]) -> list[Any]:
    etid, item_id = _int(params.get("entityTypeId"), "entityTypeId"), _int(params.get("id"), "id")
    if etid in SYSTEM_ITEMS:
        return list(SYSTEM_ITEMS[etid].delete(ctx, params))
    if _item_store(ctx.portal, etid).pop(item_id, None) is None:
        raise B24Error("NOT_FOUND", "Element not found", 400)
    productrows.drop_rows(ctx.portal, f"T{etid:x}", item_id)
    item_events.emit(ctx.portal, "DELETE", etid, item_id, ctx.user_id)
    return []
