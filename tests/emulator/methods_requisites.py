"""crm.requisite.add/get and crm.requisite.link.register/get: requisites of companies (my companies
among them) and which requisites a deal or invoice uses (api-reference/crm/requisites/)."""

from __future__ import annotations

from typing import Any

from tests.emulator.portal import Portal, now_iso
from tests.emulator.protocol import B24Error, CallContext, method

LINK_TYPES = {2, 5, 7, 31}  # links/crm-requisite-link-get.md: deal, old invoice, estimate, new invoice
OWNER_TYPES = {3: "contacts", 4: "companies"}  # universal/crm-requisite-add.md: contact or company


def stores(portal: Portal) -> tuple[dict[int, dict[str, Any]], dict[tuple[int, int], dict[str, Any]]]:
    """The portal's requisites by id and links by (entityTypeId, entityId), made on first use."""
    if not hasattr(portal, "requisites"):
        portal.requisites = {}  # type: ignore[attr-defined]
        portal.requisite_links = {}  # type: ignore[attr-defined]
    return portal.requisites, portal.requisite_links  # type: ignore[attr-defined]


def _positive(value: Any, message: str) -> int:
    try:
        number = int(str(value))
    except ValueError as exc:
        raise B24Error("", message) from exc
    if number <= 0:
        raise B24Error("", message)
    return number


def add_requisite(portal: Portal, entity_type_id: int, entity_id: int, name: str) -> dict[str, Any]:
    """A requisite of a contact (3) or company (4) that exists (crm-requisite-add.md)."""
    owners = getattr(portal, OWNER_TYPES.get(entity_type_id, ""), None)
    if owners is None or entity_id not in owners:
        raise B24Error("", "The field ENTITY_ID is not defined or invalid")
    requisites, _ = stores(portal)
    requisite_id = portal.seq.next("requisite")
    # crm-requisite-get.md answers every field as a string
    requisites[requisite_id] = {
        "ID": str(requisite_id),
        "ENTITY_TYPE_ID": str(entity_type_id),
        "ENTITY_ID": str(entity_id),
        "PRESET_ID": "1",
        "NAME": name,
        "ACTIVE": "Y",
        "DATE_CREATE": now_iso(),
    }
    return requisites[requisite_id]


@method("crm.requisite.add")  # api-reference/crm/requisites/universal/crm-requisite-add.md
def requisite_add(ctx: CallContext, params: dict[str, Any]) -> int:
    fields = params.get("fields") if isinstance(params.get("fields"), dict) else {}
    assert isinstance(fields, dict)
    entity_type = _positive(
        fields.get("ENTITY_TYPE_ID"), "The field ENTITY_TYPE_ID is not defined or invalid"
    )
    entity_id = _positive(fields.get("ENTITY_ID"), "The field ENTITY_ID is not defined or invalid")
    if not str(fields.get("NAME") or "").strip():  # NAME is required (stricter: a blank one too)
        raise B24Error("", "The field NAME is required")
    return int(add_requisite(ctx.portal, entity_type, entity_id, str(fields["NAME"]))["ID"])


@method("crm.requisite.get")  # api-reference/crm/requisites/universal/crm-requisite-get.md
def requisite_get(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    requisite_id = _positive(params.get("id"), "ID is not defined or invalid")
    found = stores(ctx.portal)[0].get(requisite_id)
    if found is None:
        raise B24Error("", f"The Requisite with ID '{requisite_id}' is not found")
    return dict(found)


def _entity(ctx: CallContext, type_value: Any, id_value: Any) -> tuple[int, int]:
    entity_type = _positive(type_value, "entityTypeId is not defined or invalid")
    if entity_type not in LINK_TYPES and entity_type not in ctx.portal.items:
        raise B24Error("", "entityTypeId is not defined or invalid")
    return entity_type, _positive(id_value, "entityId is not defined or invalid")


@method("crm.requisite.link.register")  # api-reference/crm/requisites/links/crm-requisite-link-register.md
def link_register(ctx: CallContext, params: dict[str, Any]) -> None:
    fields = params.get("fields") if isinstance(params.get("fields"), dict) else {}
    assert isinstance(fields, dict)
    key = _entity(ctx, fields.get("ENTITY_TYPE_ID"), fields.get("ENTITY_ID"))
    requisites, links = stores(ctx.portal)
    values: dict[str, Any] = {"ENTITY_TYPE_ID": key[0], "ENTITY_ID": key[1]}
    for name in ("REQUISITE_ID", "BANK_DETAIL_ID", "MC_REQUISITE_ID", "MC_BANK_DETAIL_ID"):
        if fields.get(name) in (None, ""):  # every one of the four is marked required
            raise B24Error("", f"The parameter {name} is not defined or invalid")
        values[name] = str(int(str(fields[name])))
    mine = requisites.get(int(values["MC_REQUISITE_ID"]))
    if int(values["MC_REQUISITE_ID"]) and (mine is None or mine["ENTITY_TYPE_ID"] != "4"):
        raise B24Error("", "The parameter MC_REQUISITE_ID is not defined or invalid")  # stricter
    links[key] = values
    return None


@method("crm.requisite.link.get")  # api-reference/crm/requisites/links/crm-requisite-link-get.md
def link_get(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    key = _entity(ctx, params.get("entityTypeId"), params.get("entityId"))
    found = stores(ctx.portal)[1].get(key)
    if found is None:
        raise B24Error("", "Not found")
    return dict(found)
