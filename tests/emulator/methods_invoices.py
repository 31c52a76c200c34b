"""crm.item.* for smart invoices (entityTypeId 31, api-reference/crm/universal/invoice.md).

Stages are ``DT31_{categoryId}:{code}`` in ``SMART_INVOICE_STAGE_{categoryId}`` (crm-item-add.md,
tutorials/crm/how-to-get-lists/how-to-get-stages-with-semantics.md); rows use ownerType ``SI``;
changes fire ONCRMDYNAMICITEM* with ENTITY_TYPE_ID 31 (universal/events/on-crm-dynamic-item-update.md:
"When new invoices are modified, the event onCrmDynamicItemUpdate will trigger").
"""

from __future__ import annotations

import builtins
from datetime import timedelta
from typing import Any

from tests.emulator import clients, item_events, listing, productrows
from tests.emulator.portal import Portal, now_iso
from tests.emulator.protocol import B24Error, CallContext, Page

INVOICE = 31
FIELDS = {  # object-fields.md#invoice plus the common fields
    "id": "integer",
    "entityTypeId": "integer",
    "title": "string",
    "xmlId": "string",
    "accountNumber": "string",
    "assignedById": "integer",
    "opened": "boolean",
    "begindate": "date",
    "closedate": "date",
    "companyId": "integer",
    "contactId": "integer",
    "contactIds": "integer[]",
    "mycompanyId": "integer",
    "parentId2": "integer",
    "categoryId": "integer",
    "stageId": "string",
    "previousStageId": "string",
    "sourceId": "string",
    "sourceDescription": "string",
    "currencyId": "string",
    "isManualOpportunity": "boolean",
    "opportunity": "double",
    "taxValue": "double",
    "comments": "string",
    "createdTime": "datetime",
    "updatedTime": "datetime",
    "createdBy": "integer",
    "updatedBy": "integer",
    "movedBy": "integer",
    "movedTime": "datetime",
}


def _int(value: Any, name: str) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError) as exc:
        raise B24Error("INVALID_ARG_VALUE", f"{name} is required") from exc


def stages(portal: Portal, category_id: int) -> list[dict[str, Any]]:
    """The pipeline's stages in order (crm.status.list with SMART_INVOICE_STAGE_{categoryId})."""
    entity = f"SMART_INVOICE_STAGE_{category_id}"
    return sorted((s for s in portal.statuses if s["ENTITY_ID"] == entity), key=lambda s: int(s["SORT"]))


def stage_of(portal: Portal, category_id: int, semantics: str | None) -> str:
    """The first stage with these semantics (None: in progress, "S": paid, "F": failed)."""
    return next(str(s["STATUS_ID"]) for s in stages(portal, category_id) if s["SEMANTICS"] == semantics)


def _invalid(name: str) -> B24Error:
    return B24Error("CRM_FIELD_ERROR_VALUE_NOT_VALID", f'Invalid value for field "{name}"')


def _check_links(portal: Portal, values: dict[str, Any]) -> None:
    """Stricter (undocumented): links must point at existing records of the right kind."""
    if values.get("assignedById") is not None and values["assignedById"] not in portal.users:
        raise _invalid("assignedById")
    if values.get("companyId") is not None and values["companyId"] not in portal.companies:
        raise _invalid("companyId")
    if any(c not in portal.contacts for c in values.get("contactIds") or []):
        raise _invalid("contactIds")
    if values.get("parentId2") is not None and values["parentId2"] not in portal.deals:
        raise _invalid("parentId2")
    my_company = portal.companies.get(values["mycompanyId"]) if values.get("mycompanyId") else None
    if values.get("mycompanyId") is not None and (my_company or {}).get("IS_MY_COMPANY") != "Y":
        raise _invalid("mycompanyId")  # invoice.md: mycompanyId is one of "my" companies


def _contacts(values: dict[str, Any]) -> None:
    """contactId is the first of contactIds (invoice.md: "Multiple contacts can be specified")."""
    if "contactIds" in values:
        values["contactId"] = (values["contactIds"] or [None])[0]
    elif values.get("contactId") is not None:
        values["contactIds"] = [values["contactId"]]


def written(portal: Portal, fields: Any, category_id: int) -> dict[str, Any]:
    """Typed values of the known writable fields; others are ignored (crm-item-add.md)."""
    if not isinstance(fields, dict):
        raise B24Error("100", "Required fields: fields")
    values = {
        name: clients.typed(name, FIELDS[name], value)
        for name, value in fields.items()
        if name in FIELDS and name not in item_events.READ_ONLY | {"categoryId", "previousStageId"}
    }
    stage = values.get("stageId")
    if stage is not None and stage not in {s["STATUS_ID"] for s in stages(portal, category_id)}:
        raise _invalid("stageId")  # a stage of another pipeline or none at all (stricter)
    _contacts(values)
    _check_links(portal, values)
    return values


def _defaults(portal: Portal, item: dict[str, Any], user_id: int) -> None:
    """crm-item-add.md (Invoice tab): title, stage, dates, my company, currency defaults."""
    today = now_iso()[:10]
    closes = (listing.parse_moment(today) + timedelta(days=7)).date().isoformat()
    my_companies = sorted(c for c, r in portal.companies.items() if r.get("IS_MY_COMPANY") == "Y")
    item.setdefault("title", f"Invoice #{item['id']}")
    item.setdefault("stageId", stage_of(portal, item["categoryId"], None))
    item.setdefault("begindate", f"{today}T00:00:00+00:00")
    item.setdefault("closedate", f"{closes}T00:00:00+00:00")
    item.setdefault("mycompanyId", my_companies[0] if my_companies else None)
    item.setdefault("currencyId", "RUB")
    item.setdefault("isManualOpportunity", "N")
    item.setdefault("opportunity", 0)
    item.setdefault("opened", "Y")
    item.setdefault("accountNumber", str(item["id"]))
    item.setdefault("assignedById", user_id)


class InvoiceKind:
    """crm.item.* for entityTypeId 31."""

    def record(self, portal: Portal, params: dict[str, Any]) -> dict[str, Any]:
        item = portal.items[INVOICE].get(_int(params.get("id"), "id"))
        if item is None:
            raise B24Error("NOT_FOUND", "Element not found")
        return item

    @staticmethod
    def view(item: dict[str, Any]) -> dict[str, Any]:
        return {name: clients.view_value(kind, item.get(name)) for name, kind in FIELDS.items()}

    def add(self, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"item": self.view(create(ctx.portal, params.get("fields"), ctx.user_id))}

    def get(self, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"item": self.view(self.record(ctx.portal, params))}

    def list(self, ctx: CallContext, params: dict[str, Any]) -> Page:
        rows = [self.view(i) for i in ctx.portal.items[INVOICE].values()]
        return listing.page(rows, params, FIELDS, result_key="items")

    def update(self, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        item = self.record(ctx.portal, params)
        change(ctx.portal, item, params.get("fields"), ctx.user_id)
        return {"item": self.view(item)}

    def delete(self, ctx: CallContext, params: dict[str, Any]) -> builtins.list[Any]:
        remove(ctx.portal, self.record(ctx.portal, params)["id"], ctx.user_id)
        return []


def create(portal: Portal, fields: Any, user_id: int | None) -> dict[str, Any]:
    """A new invoice (REST or driver); ``user_id`` None is automation (no tokens in the event)."""
    category_id = portal.invoice_category
    item = {
        **written(portal, fields, category_id),
        "id": portal.seq.next("invoice"),
        "categoryId": category_id,
    }
    item["entityTypeId"] = INVOICE
    _defaults(portal, item, user_id if user_id is not None else item_events.AUTOMATION)
    item_events.stamp_new(item, user_id)
    portal.items[INVOICE][item["id"]] = item
    item_events.emit(portal, "ADD", INVOICE, item["id"], user_id)
    return item


def change(portal: Portal, item: dict[str, Any], fields: Any, user_id: int | None) -> bool:
    """Apply a change; nothing changed means nothing saved and no event (crm-item-update.md)."""
    changed = item_events.changes(item, written(portal, fields, item["categoryId"]))
    if changed:
        item_events.apply(item, changed, user_id)
        item_events.emit(portal, "UPDATE", INVOICE, item["id"], user_id)
    return bool(changed)


def remove(portal: Portal, invoice_id: int, user_id: int | None) -> None:
    if portal.items[INVOICE].pop(invoice_id, None) is None:
        raise B24Error("NOT_FOUND", "Element not found")
    productrows.drop_rows(portal, "SI", invoice_id)
    item_events.emit(portal, "DELETE", INVOICE, invoice_id, user_id)


item_events.SYSTEM_ITEMS[INVOICE] = InvoiceKind()  # api-reference/crm/universal/invoice.md
