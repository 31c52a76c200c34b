"""Smart invoices (entityTypeId 31): pipeline and stages, links, defaults, rows, paying, events."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator import driver, driver_crm
from tests.emulator.portal import Portal
from tests.emulator.server import Emulator
from tests.emulator.tests.calls import bind, call, installed_portal
from tests.emulator.tests.conftest import Receiver


@pytest.fixture
def portal(emulator: Emulator) -> Portal:
    return installed_portal(emulator)


def _category(emu: Emulator, portal: Portal) -> int:
    [category] = call(emu, portal, "crm.category.list", entityTypeId=31).result["categories"]
    return int(category["id"])


def test_the_invoice_pipeline_has_stages_with_semantics(emulator: Emulator, portal: Portal) -> None:
    category = _category(emulator, portal)
    stages = call(
        emulator, portal, "crm.status.list", filter={"ENTITY_ID": f"SMART_INVOICE_STAGE_{category}"}
    ).result
    assert [(s["STATUS_ID"], s["SEMANTICS"]) for s in stages] == [
        (f"DT31_{category}:N", None),
        (f"DT31_{category}:S", None),
        (f"DT31_{category}:P", "S"),
        (f"DT31_{category}:D", "F"),
    ]


def test_an_invoice_links_client_deal_and_my_company(emulator: Emulator, portal: Portal) -> None:
    mine = driver_crm.create_client(emulator, portal, "company", title="Us", isMyCompany="Y")
    client = driver_crm.create_client(emulator, portal, "company", title="Client")
    contact = driver_crm.create_client(emulator, portal, "contact", name="Ann")
    deal = driver.create_deal(emulator, portal, TITLE="d")
    fields = {"companyId": client, "contactId": contact, "parentId2": deal}
    item = call(emulator, portal, "crm.item.add", entityTypeId=31, fields=fields, user=2).result["item"]
    category = _category(emulator, portal)
    assert (item["stageId"], item["categoryId"], item["mycompanyId"]) == (
        f"DT31_{category}:N",
        category,
        mine,
    )
    assert (item["contactIds"], item["parentId2"], item["title"]) == (
        [contact],
        deal,
        f"Invoice #{item['id']}",
    )
    assert (item["createdBy"], item["movedBy"], item["assignedById"], item["entityTypeId"]) == (2, 2, 2, 31)
    listed = call(
        emulator,
        portal,
        "crm.item.list",
        entityTypeId=31,
        filter={"companyId": client, "@stageId": [item["stageId"]]},
    )
    assert [i["id"] for i in listed.result["items"]] == [item["id"]]


@pytest.mark.parametrize(
    "fields",
    [
        {"mycompanyId": "not-mine"},
        {"companyId": 987654},
        {"contactIds": [987654]},
        {"parentId2": 987654},
        {"stageId": "DT31_1:NOPE"},
        {"closedate": "soon"},
    ],
)
def test_invoice_links_and_values_are_checked(
    emulator: Emulator, portal: Portal, fields: dict[str, Any]
) -> None:
    other = driver_crm.create_client(emulator, portal, "company", title="Not mine")
    fields = {k: (other if v == "not-mine" else v) for k, v in fields.items()}
    assert (
        call(emulator, portal, "crm.item.add", entityTypeId=31, fields=fields).error
        == "CRM_FIELD_ERROR_VALUE_NOT_VALID"
    )
    assert portal.items[31] == {}


def test_paying_an_invoice_moves_it_and_fires_the_dynamic_item_event(
    emulator: Emulator, portal: Portal, receiver: Receiver
) -> None:
    bind(emulator, portal, "ONCRMDYNAMICITEMUPDATE", receiver.url + "/ev")
    assert (
        bind(emulator, portal, "ONCRMDYNAMICITEMUPDATE_31", receiver.url + "/ev").error
        == "ERROR_EVENT_NOT_FOUND"
    )
    contact = driver_crm.create_client(emulator, portal, "contact", name="Ann")
    rows = [{"productName": "Gym", "price": 30, "quantity": 2}]
    invoice = driver_crm.create_invoice(emulator, portal, contact_id=contact, rows=rows)
    assert portal.items[31][invoice]["opportunity"] == 60
    assert driver_crm.pay_invoice(emulator, portal, invoice, user_id=2) is True
    assert driver_crm.pay_invoice(emulator, portal, invoice, user_id=2) is False  # already paid: a no-op
    item = call(emulator, portal, "crm.item.get", entityTypeId=31, id=invoice).result["item"]
    category = _category(emulator, portal)
    assert (item["stageId"], item["previousStageId"], item["movedBy"]) == (
        f"DT31_{category}:P",
        f"DT31_{category}:N",
        2,
    )
    [form] = [dict(g.form) for g in receiver.got]
    assert (form["data[FIELDS][ID]"], form["data[FIELDS][ENTITY_TYPE_ID]"], form["auth[user_id]"]) == (
        str(invoice),
        "31",
        "2",
    )


def test_invoice_rows_use_owner_type_si_and_go_with_the_invoice(emulator: Emulator, portal: Portal) -> None:
    invoice = call(emulator, portal, "crm.item.add", entityTypeId=31, fields={"title": "t"}).result["item"][
        "id"
    ]
    call(
        emulator,
        portal,
        "crm.item.productrow.set",
        ownerType="SI",
        ownerId=invoice,
        productRows=[{"productName": "x", "price": 9}],
    )
    assert (
        call(emulator, portal, "crm.item.get", entityTypeId=31, id=invoice).result["item"]["opportunity"] == 9
    )
    assert call(emulator, portal, "crm.item.delete", entityTypeId=31, id=invoice).result == []
    assert (
        portal.rows == {}
        and call(emulator, portal, "crm.item.get", entityTypeId=31, id=invoice).error == "NOT_FOUND"
    )


def test_an_invoice_update_that_changes_nothing_saves_nothing(emulator: Emulator, portal: Portal) -> None:
    invoice = driver_crm.create_invoice(emulator, portal, title="same")
    before = dict(portal.items[31][invoice])
    answer = call(
        emulator,
        portal,
        "crm.item.update",
        entityTypeId=31,
        id=invoice,
        fields={"title": "same", "opportunity": "0"},
    )
    assert (
        answer.result["item"]["updatedTime"] == before["updatedTime"] and portal.items[31][invoice] == before
    )


def test_invoices_page_by_id_and_work_in_a_batch(emulator: Emulator, portal: Portal) -> None:
    company = driver_crm.create_client(emulator, portal, "company", title="Client")
    made = [driver_crm.create_invoice(emulator, portal, company_id=company) for _ in range(55)]
    first = call(emulator, portal, "crm.item.list", entityTypeId=31, select=["id"], order={"id": "ASC"})
    assert first.body["total"] == 55 and first.body["next"] == 50
    tail = call(emulator, portal, "crm.item.list", entityTypeId=31, filter={">id": made[49]}, start=-1)
    assert [i["id"] for i in tail.result["items"]] == made[50:] and "total" not in tail.body
    newest = f"crm.item.list?entityTypeId=31&filter[companyId]={company}&order[id]=DESC&select[]=id&start=-1"
    cmd = {  # "=" in a key is URL-encoded, as PHP's parse_str would otherwise split there
        "open": newest,
        "rows": "crm.item.productrow.list?filter[%3DownerType]=SI"
        "&filter[%3DownerId]=$result[open][items][0][id]",
    }
    result = call(emulator, portal, "batch", cmd=cmd).result
    assert (
        result["result"]["open"]["items"][0]["id"] == made[-1]
        and result["result"]["rows"]["productRows"] == []
    )
