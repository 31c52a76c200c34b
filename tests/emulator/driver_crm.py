"""Playing users and automation on the CRM: contacts, companies, smart-process items, smart invoices.

``user_id`` is who acts in the portal's UI (their tokens travel with the event); ``None`` is
automation (a robot, a workflow, an import), whose events carry no tokens. Field names are
crm.item.*'s camelCase ones.
"""

from __future__ import annotations

from typing import Any

from tests.emulator import (
    item_events,
    methods_crm,
    methods_invoices,
    methods_requisites,
    productrows,
    rowcalc,
)
from tests.emulator.methods_contacts import COMPANIES, CONTACTS, ClientKind
from tests.emulator.portal import Portal
from tests.emulator.server import Emulator

CLIENTS = {"contact": CONTACTS, "company": COMPANIES}


def _kind(entity: str) -> ClientKind:
    if entity not in CLIENTS:
        raise ValueError(f"entity is 'contact' or 'company', not {entity!r}")
    return CLIENTS[entity]


# -- contacts and companies ----------------------------------------------------------------------------
def create_client(
    emu: Emulator, portal: Portal, entity: str, *, user_id: int | None = 1, **fields: Any
) -> int:
    """A contact or company created in the UI (``user_id``) or by automation (``None``): ONCRM*ADD."""
    with emu.lock:
        return int(_kind(entity).create(portal, fields, user_id)["ID"])


def update_client(
    emu: Emulator, portal: Portal, entity: str, client_id: int, *, user_id: int | None = 1, **fields: Any
) -> bool:
    """Edit a contact or company; ONCRM*UPDATE fires only when something really changed."""
    with emu.lock:
        record = _kind(entity).store(portal).get(client_id)
        if record is None:
            raise KeyError(f"no {entity} {client_id}")
        return _kind(entity).change(portal, record, fields, user_id)


def delete_client(
    emu: Emulator, portal: Portal, entity: str, client_id: int, *, user_id: int | None = 1
) -> None:
    with emu.lock:
        methods_crm.delete_entity(portal, _kind(entity).entity, client_id, user_id)


def set_birthdate(
    emu: Emulator, portal: Portal, contact_id: int, birthdate: str, *, user_id: int | None = 1
) -> bool:
    """Someone types a contact's date of birth (``YYYY-MM-DD``)."""
    return update_client(emu, portal, "contact", contact_id, user_id=user_id, birthdate=birthdate)


def set_created_time(emu: Emulator, portal: Portal, entity: str, client_id: int, when: str) -> None:
    """Backdate a record's creation (an imported base, a long-standing client); no event, as no one acted."""
    with emu.lock:
        record = _kind(entity).store(portal)[client_id]
        record["DATE_CREATE"] = f"{when}T00:00:00+00:00" if len(when) == 10 else when


# -- smart-process items and smart invoices ----------------------------------------------------------
def _dynamic_item(portal: Portal, etid: int, item_id: int) -> dict[str, Any]:
    item = portal.items.get(etid, {}).get(item_id)
    if item is None:
        raise KeyError(f"no item {item_id} of type {etid}")
    return item


def update_item(
    emu: Emulator, portal: Portal, etid: int, item_id: int, *, user_id: int | None = 1, **fields: Any
) -> bool:
    """A manager edits an item in the UI (or a robot does, ``user_id=None``); a no-op fires nothing."""
    with emu.lock:
        item = _dynamic_item(portal, etid, item_id)
        if etid == methods_invoices.INVOICE:
            return methods_invoices.change(portal, item, fields, user_id)
        changed = item_events.changes(item, fields)
        if changed:
            item_events.apply(item, changed, user_id)
            item_events.emit(portal, "UPDATE", etid, item_id, user_id)
        return bool(changed)


def move_item(
    emu: Emulator, portal: Portal, etid: int, item_id: int, stage_id: str, *, user_id: int | None = 1
) -> bool:
    """A manager drags an item to another stage on the kanban."""
    return update_item(emu, portal, etid, item_id, user_id=user_id, stageId=stage_id)


def delete_item(emu: Emulator, portal: Portal, etid: int, item_id: int, *, user_id: int | None = 1) -> None:
    """A manager deletes an item in the UI: ONCRMDYNAMICITEMDELETE (and the per-type form)."""
    with emu.lock:
        if etid == methods_invoices.INVOICE:
            methods_invoices.remove(portal, item_id, user_id)
            return
        _dynamic_item(portal, etid, item_id)
        del portal.items[etid][item_id]
        productrows.drop_rows(portal, f"T{etid:x}", item_id)
        item_events.emit(portal, "DELETE", etid, item_id, user_id)


def create_invoice(
    emu: Emulator,
    portal: Portal,
    *,
    contact_id: int | None = None,
    company_id: int | None = None,
    rows: list[dict[str, Any]] | None = None,
    user_id: int | None = 1,
    **fields: Any,
) -> int:
    """A smart invoice for a client, with product rows (crm.item.productrow field names) if given."""
    if contact_id is not None:
        fields["contactIds"] = [contact_id]
    if company_id is not None:
        fields["companyId"] = company_id
    with emu.lock:
        invoice = methods_invoices.create(portal, fields, user_id)
        if rows:
            owner = productrows.resolve_owner(portal, "SI", invoice["id"])
            productrows.replace_rows(portal, owner, [rowcalc.clean(r) for r in rows], strict=True)
        return int(invoice["id"])


def pay_invoice(emu: Emulator, portal: Portal, invoice_id: int, *, user_id: int | None = 1) -> bool:
    """The invoice reaches its paid stage (the pipeline's success stage)."""
    with emu.lock:
        item = _dynamic_item(portal, methods_invoices.INVOICE, invoice_id)
        paid = methods_invoices.stage_of(portal, int(item["categoryId"]), "S")
    return update_item(emu, portal, methods_invoices.INVOICE, invoice_id, user_id=user_id, stageId=paid)


def actions(emu: Emulator, portal: Portal, payload: dict[str, Any]) -> dict[str, Any]:
    """Control-API actions of this module (``POST /_emulator/portal/{member_id}/{action}``)."""
    return {
        "create_client": lambda: create_client(emu, portal, **payload),
        "update_client": lambda: update_client(emu, portal, **payload),
        "delete_client": lambda: delete_client(emu, portal, **payload),
        "set_birthdate": lambda: set_birthdate(emu, portal, **payload),
        "set_created_time": lambda: set_created_time(emu, portal, **payload),
        "update_item": lambda: update_item(emu, portal, **payload),
        "move_item": lambda: move_item(emu, portal, **payload),
        "delete_item": lambda: delete_item(emu, portal, **payload),
        "create_invoice": lambda: create_invoice(emu, portal, **payload),
        "pay_invoice": lambda: pay_invoice(emu, portal, **payload),
    }


def link_my_company(emu: Emulator, portal: Portal, deal_id: int, my_company_id: int) -> int:
    """The deal sells on behalf of ``my_company_id`` (an IS_MY_COMPANY company): a requisite of it,
    linked to the deal as MC_REQUISITE_ID (crm.requisite.link.register). Returns the requisite id."""
    with emu.lock:
        requisite = methods_requisites.add_requisite(portal, 4, my_company_id, "Organization")
        _, links = methods_requisites.stores(portal)
        values = {"REQUISITE_ID": "0", "BANK_DETAIL_ID": "0", "MC_REQUISITE_ID": requisite["ID"]}
        links[(2, deal_id)] = {"ENTITY_TYPE_ID": 2, "ENTITY_ID": deal_id, **values, "MC_BANK_DETAIL_ID": "0"}
        return int(requisite["ID"])
