"""CRM methods: deals, contacts, companies, user fields and the timeline."""

from __future__ import annotations

from typing import Any

from tests.emulator import clients, productrows, rowcalc
from tests.emulator.filters import as_page
from tests.emulator.portal import Portal, now_iso
from tests.emulator.protocol import B24Error, CallContext, method

ENTITIES = {"deal": "deals", "contact": "contacts", "company": "companies"}
EVENTS = {"deal": "ONCRMDEAL", "contact": "ONCRMCONTACT", "company": "ONCRMCOMPANY"}


def _id(params: dict[str, Any], key: str = "id") -> int:
    raw = params.get(key, params.get(key.upper()))
    try:
        return int(str(raw))
    except (TypeError, ValueError) as exc:
        raise B24Error("INVALID_ARG_VALUE", f"{key} is required") from exc


def _store(portal: Portal, entity: str) -> dict[int, dict[str, Any]]:
    store: dict[int, dict[str, Any]] = getattr(portal, ENTITIES[entity])
    return store


def _normalise_deal(portal: Portal, deal: dict[str, Any]) -> None:
    category = int(deal.get("CATEGORY_ID") or 0)
    entity = "DEAL_STAGE" if category == 0 else f"DEAL_STAGE_{category}"
    deal["CATEGORY_ID"] = str(category)
    deal.setdefault("STAGE_ID", "NEW" if category == 0 else f"C{category}:NEW")
    deal["STAGE_SEMANTIC_ID"] = portal.stage_semantic(entity, str(deal["STAGE_ID"]))
    deal["CLOSED"] = "N" if deal["STAGE_SEMANTIC_ID"] == "P" else "Y"
    deal["OPPORTUNITY"] = f"{float(deal.get('OPPORTUNITY') or 0):.2f}"
    deal.setdefault("CURRENCY_ID", "RUB")


def add_entity(portal: Portal, entity: str, fields: dict[str, Any], user_id: int | None) -> int:
    new_id = portal.next_id()
    row = {**{str(k).upper(): v for k, v in fields.items()}, "ID": str(new_id), "DATE_CREATE": now_iso()}
    row["DATE_MODIFY"] = row["DATE_CREATE"]
    if entity == "deal":
        _normalise_deal(portal, row)
    _store(portal, entity)[new_id] = row
    portal.emit(EVENTS[entity] + "ADD", new_id, user_id)
    return new_id


def update_entity(
    portal: Portal, entity: str, entity_id: int, fields: dict[str, Any], user_id: int | None
) -> None:
    store = _store(portal, entity)
    if entity_id not in store:
        raise B24Error("", "Not found.")
    row = store[entity_id]
    row.update({str(k): v for k, v in fields.items()})
    row["DATE_MODIFY"] = now_iso()
    if entity == "deal":
        _normalise_deal(portal, row)
    portal.emit(EVENTS[entity] + "UPDATE", entity_id, user_id)


def delete_entity(portal: Portal, entity: str, entity_id: int, user_id: int | None) -> None:
    if _store(portal, entity).pop(entity_id, None) is None:
        raise B24Error("", "Not found.")
    portal.emit(EVENTS[entity] + "DELETE", entity_id, user_id)


def _filter_fields(portal: Portal, entity: str) -> set[str] | None:
    """What crm.contact.list / crm.company.list filter on: the fields crm.{entity}.fields lists (the
    record's keys, its user fields and multifields); another name is refused, the stricter reading
    (api-reference/crm/contacts/crm-contact-list.md, companies/crm-company-list.md: "the list of
    available fields for filtering" is crm.*.fields). Deals keep the lenient filter."""
    if entity == "deal":
        return None
    fields = clients.CONTACT if entity == "contact" else clients.COMPANY
    known = {key for key, _ in fields.values()} | set(clients.MULTIFIELDS)
    return known | set(clients.user_fields(portal, entity))


def _register_entity(entity: str) -> None:
    @method(f"crm.{entity}.add")
    def add(ctx: CallContext, params: dict[str, Any]) -> int:
        return add_entity(ctx.portal, entity, dict(params.get("fields") or {}), ctx.user_id)

    @method(f"crm.{entity}.get")
    def get(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        row = _store(ctx.portal, entity).get(_id(params))
        if row is None:
            raise B24Error("", "Not found.")
        return dict(row)

    @method(f"crm.{entity}.update")
    def update(ctx: CallContext, params: dict[str, Any]) -> bool:
        update_entity(ctx.portal, entity, _id(params), dict(params.get("fields") or {}), ctx.user_id)
        return True

    @method(f"crm.{entity}.delete")
    def delete(ctx: CallContext, params: dict[str, Any]) -> bool:
        delete_entity(ctx.portal, entity, _id(params), ctx.user_id)
        return True

    @method(f"crm.{entity}.list")
    def list_(ctx: CallContext, params: dict[str, Any]) -> Any:
        allowed = _filter_fields(ctx.portal, entity)
        return as_page(None, list(_store(ctx.portal, entity).values()), params, allowed=allowed)

    @method(f"crm.{entity}.userfield.add")
    def uf_add(ctx: CallContext, params: dict[str, Any]) -> int:
        fields = dict(params.get("fields") or {})
        name = str(fields.get("FIELD_NAME") or "")
        if not name:
            raise B24Error("", "FIELD_NAME is required")
        full = name if name.startswith("UF_CRM_") else "UF_CRM_" + name.removeprefix("UF_")
        store = ctx.portal.userfields[f"CRM_{entity.upper()}"]
        if any(f["FIELD_NAME"] == full for f in store):
            raise B24Error("", f"Field {full} already exists")
        new_id = ctx.portal.next_id()
        store.append({**fields, "ID": str(new_id), "ENTITY_ID": f"CRM_{entity.upper()}", "FIELD_NAME": full})
        return new_id

    @method(f"crm.{entity}.userfield.list")
    def uf_list(ctx: CallContext, params: dict[str, Any]) -> Any:
        return as_page(None, ctx.portal.userfields[f"CRM_{entity.upper()}"], params).result


for _entity in ENTITIES:
    _register_entity(_entity)


def set_product_rows(portal: Portal, deal_id: int, rows: list[dict[str, Any]]) -> None:
    """Replace a deal's product rows; the deal's OPPORTUNITY becomes their sum, as on a portal.

    The rows live in the store crm.item.productrow.* uses too (productrows.py), so both views agree.
    """
    if deal_id not in portal.deals:
        raise B24Error("", "Not found.")
    owner = productrows.resolve_owner(portal, "D", deal_id)
    cleaned = [
        rowcalc.clean({rowcalc.LEGACY[k]: v for k, v in r.items() if k in rowcalc.LEGACY}) for r in rows
    ]
    productrows.replace_rows(portal, owner, cleaned, strict=False)


@method("crm.deal.productrows.set")
def productrows_set(ctx: CallContext, params: dict[str, Any]) -> bool:
    rows = params.get("rows") or []
    set_product_rows(ctx.portal, _id(params), list(rows.values() if isinstance(rows, dict) else rows))
    return True


@method("crm.deal.productrows.get")
def productrows_get(ctx: CallContext, params: dict[str, Any]) -> list[dict[str, Any]]:
    deal_id = _id(params)
    if deal_id not in ctx.portal.deals:
        raise B24Error("", "Not found.")
    owner = productrows.resolve_owner(ctx.portal, "D", deal_id)
    return [rowcalc.legacy_view(r) for r in productrows.rows_of(ctx.portal, owner)]


@method("crm.timeline.comment.add")
def comment_add(ctx: CallContext, params: dict[str, Any]) -> int:
    if "fields" not in params:
        raise B24Error("100", "Required fields: fields")  # since crm 23.100 only lowercase `fields`
    fields = params["fields"]
    if not str(fields.get("COMMENT") or "").strip():
        raise B24Error("INVALID_ARG_VALUE", "Comment is empty")
    entity_type, entity_id = str(fields.get("ENTITY_TYPE", "")).lower(), int(fields.get("ENTITY_ID") or 0)
    if entity_type in ENTITIES and entity_id not in _store(ctx.portal, entity_type):
        raise B24Error("OWNER_NOT_FOUND", "Owner not found")
    new_id = ctx.portal.next_id()
    ctx.portal.comments.append(
        {
            "ID": str(new_id),
            "ENTITY_TYPE": entity_type,
            "ENTITY_ID": str(entity_id),
            "COMMENT": fields["COMMENT"],
            "CREATED": now_iso(),
            "AUTHOR_ID": str(ctx.user_id),
        }
    )
    return new_id


@method("crm.timeline.comment.list")
def comment_list(ctx: CallContext, params: dict[str, Any]) -> Any:
    return as_page(None, ctx.portal.comments, params)
