"""The new driver actions through the HTTP control API (``POST /_emulator/portal/{member_id}/{action}``)."""

from __future__ import annotations

from typing import Any

import requests

from tests.emulator.server import Emulator
from tests.emulator.tests.calls import call, installed_portal


def _act(emu: Emulator, member_id: str, action: str, **payload: Any) -> Any:
    answer = requests.post(f"{emu.base_url}/_emulator/portal/{member_id}/{action}", json=payload, timeout=10)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert "error" not in body, body
    return body["result"]


def test_clients_invoices_and_items_are_driven_over_http(emulator: Emulator) -> None:
    portal = installed_portal(emulator)
    member = portal.member_id
    contact = _act(emulator, member, "create_client", entity="contact", name="Ann", user_id=None)
    assert _act(emulator, member, "set_birthdate", contact_id=contact, birthdate="1990-05-17") is True
    _act(emulator, member, "set_created_time", entity="contact", client_id=contact, when="2020-01-01")
    assert portal.contacts[contact]["DATE_CREATE"] == "2020-01-01T00:00:00+00:00"
    rows = [{"productName": "Gym", "price": 10, "quantity": 3}]
    invoice = _act(emulator, member, "create_invoice", contact_id=contact, rows=rows)
    assert _act(emulator, member, "pay_invoice", invoice_id=invoice, user_id=2) is True
    item = call(emulator, portal, "crm.item.get", entityTypeId=31, id=invoice).result["item"]
    assert item["opportunity"] == 30 and item["stageId"].endswith(":P") and item["movedBy"] == 2
    assert _act(emulator, member, "update_client", entity="contact", client_id=contact, name="Anna") is True
    _act(emulator, member, "delete_item", etid=31, item_id=invoice)
    _act(emulator, member, "delete_client", entity="contact", client_id=contact)
    assert portal.contacts == {} and portal.items[31] == {}


def test_catalog_and_people_are_set_up_over_http(emulator: Emulator) -> None:
    portal = installed_portal(emulator)
    member = portal.member_id
    section = _act(emulator, member, "add_section", name="Plans")
    day = _act(emulator, member, "ensure_unit", unit="day")
    product = _act(emulator, member, "add_product", name="Day pass", section=section, measure_code=day)
    _act(emulator, member, "add_measure", code=5, measureTitle="Box", symbol="box")
    department = _act(emulator, member, "add_department", name="Sales", head=2)
    user = _act(emulator, member, "add_user", name="Sam", departments=[department])
    _act(emulator, member, "set_admin", user_id=user, admin=True)
    _act(emulator, member, "grant_catalog", user_id=2, level="read")
    _act(emulator, member, "set_departments", user_id=2, departments=[1, department])
    _act(emulator, member, "set_active", user_id=user, active=False)
    chat = _act(emulator, member, "add_chat", entity_type="contact", entity_id=5)
    assert (
        call(emulator, portal, "catalog.product.get", id=product, user=2).result["product"]["iblockSectionId"]
        == section
    )
    assert call(emulator, portal, "user.admin", user=user).result is True
    in_sales = call(emulator, portal, "user.get", UF_DEPARTMENT=department).result
    assert [u["ID"] for u in in_sales] == ["2", str(user)] and in_sales[1]["ACTIVE"] is False
    assert call(
        emulator, portal, "imopenlines.crm.chat.getLastId", CRM_ENTITY_TYPE="contact", CRM_ENTITY=5
    ).result == int(chat)


def test_a_bad_action_payload_is_a_clear_error(emulator: Emulator) -> None:
    portal = installed_portal(emulator)
    url = f"{emulator.base_url}/_emulator/portal/{portal.member_id}/create_client"
    answer = requests.post(url, json={"entity": "lead", "name": "x"}, timeout=10)
    assert answer.status_code == 400 and answer.json()["error"] == "INVALID_ARG_VALUE"
