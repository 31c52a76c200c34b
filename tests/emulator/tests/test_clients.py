"""crm.item.* for contacts (3) and companies (4): fields, filters, paging, no-op updates, events."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator import driver, driver_crm
from tests.emulator.portal import Portal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.emulator.tests.calls import bind, call, installed_portal
from tests.emulator.tests.conftest import Receiver


@pytest.fixture
def portal(emulator: Emulator) -> Portal:
    return installed_portal(emulator)


def test_a_contact_added_as_an_item_is_the_same_record_as_crm_contact(
    emulator: Emulator, portal: Portal
) -> None:
    company = call(emulator, portal, "crm.item.add", entityTypeId=4, fields={"title": "ACME"}).result["item"]
    fields = {
        "name": "Ann",
        "lastName": "Lee",
        "birthdate": "1990-05-17",
        "companyId": company["id"],
        "typeId": "CLIENT",
    }
    item = call(emulator, portal, "crm.item.add", entityTypeId=3, fields=fields, user=2).result["item"]
    assert item["birthdate"] == "1990-05-17T00:00:00+00:00" and item["companyIds"] == [company["id"]]
    assert (item["createdBy"], item["updatedBy"], item["assignedById"], item["entityTypeId"]) == (2, 2, 2, 3)
    assert item["createdTime"] == item["updatedTime"] and item["opened"] == "Y"
    old = call(emulator, portal, "crm.contact.get", id=item["id"]).result
    assert (old["NAME"], old["LAST_NAME"], old["TYPE_ID"]) == ("Ann", "Lee", "CLIENT")


def test_records_of_the_old_methods_read_as_items_with_user_fields(
    emulator: Emulator, portal: Portal
) -> None:
    call(
        emulator,
        portal,
        "crm.contact.userfield.add",
        fields={"FIELD_NAME": "BONUS_BALANCE", "USER_TYPE_ID": "double"},
    )
    contact = driver.create_contact(
        emulator,
        portal,
        NAME="Bo",
        UF_CRM_BONUS_BALANCE=12.5,
        PHONE=[{"VALUE": "+100", "VALUE_TYPE": "WORK"}],
    )
    item = call(emulator, portal, "crm.item.get", entityTypeId=3, id=contact).result["item"]
    assert item["name"] == "Bo" and item["ufCrmBonusBalance"] == 12.5 and item["hasPhone"] == "Y"
    assert item["fm"] == [{"id": "phone0", "typeId": "PHONE", "valueType": "WORK", "value": "+100"}]
    original = call(
        emulator, portal, "crm.item.get", entityTypeId=3, id=contact, useOriginalUfNames="Y"
    ).result["item"]
    assert original["UF_CRM_BONUS_BALANCE"] == 12.5 and "ufCrmBonusBalance" not in original
    call(emulator, portal, "crm.item.update", entityTypeId=3, id=contact, fields={"ufCrmBonusBalance": 20})
    assert portal.contacts[contact]["UF_CRM_BONUS_BALANCE"] == 20


def test_contacts_page_by_id_without_a_count(emulator: Emulator, portal: Portal) -> None:
    made = [driver_crm.create_client(emulator, portal, "contact", name=f"c{n}") for n in range(120)]
    seen: list[int] = []
    last = 0
    while True:
        params: dict[str, Any] = {
            "select": ["id"],
            "filter": {">id": last},
            "order": {"id": "ASC"},
            "start": -1,
        }
        page = call(emulator, portal, "crm.item.list", entityTypeId=3, **params)
        assert "total" not in page.body and "next" not in page.body
        items = page.result["items"]
        seen += [i["id"] for i in items]
        if len(items) < 50:
            break
        last = items[-1]["id"]
    assert seen == made
    counted = call(emulator, portal, "crm.item.list", entityTypeId=3, select=["id"])
    assert (
        counted.body["total"] == 120 and counted.body["next"] == 50 and "fm" not in counted.result["items"][0]
    )


def test_contact_filters_by_type_date_and_set(emulator: Emulator, portal: Portal) -> None:
    ann = driver_crm.create_client(
        emulator, portal, "contact", name="Ann", birthdate="1990-05-17", typeId="CLIENT"
    )
    bob = driver_crm.create_client(
        emulator, portal, "contact", name="Bob", birthdate="1985-05-17", typeId="PARTNER"
    )
    driver_crm.create_client(emulator, portal, "contact", name="Cy", birthdate="1990-06-01")
    driver_crm.set_created_time(emulator, portal, "contact", bob, "2020-01-01")

    def ids(**filter_: object) -> list[int]:
        return [
            i["id"]
            for i in call(emulator, portal, "crm.item.list", entityTypeId=3, filter=filter_).result["items"]
        ]

    assert ids(**{"@birthdate": ["1990-05-17", "1985-05-17"]}) == [ann, bob]
    assert ids(**{"=typeId": "CLIENT"}) == [ann]
    assert ids(**{"<=createdTime": "2021-01-01"}) == [bob]
    assert ids(**{"@id": [bob, ann]}) == [ann, bob]
    assert ids(**{"%name": "o"}) == [bob]
    assert ids(**{"0": {"logic": "OR", "0": {"=name": "Ann"}, "1": {"=name": "Cy"}}}) == [ann, ann + 2]


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"filter": {"nope": 1}}, "Invalid filter: field 'nope' is not allowed in filter"),
        ({"filter": {">=updatedTime": "yesterday"}}, "Invalid filter: field 'updatedTime' has invalid value"),
        ({"order": {"nope": "ASC"}}, "Invalid order: field 'nope' is not allowed in order"),
        (
            {"order": {"id": "UP"}},
            "Invalid order: allowed sort directions are ASC, DESC. But got 'UP' for field 'id'",
        ),
    ],
)
def test_bad_filters_and_orders_are_refused(
    emulator: Emulator, portal: Portal, params: dict[str, Any], description: str
) -> None:
    answer = call(emulator, portal, "crm.item.list", entityTypeId=3, **params)
    assert answer.error == "INVALID_ARG_VALUE" and answer.body["error_description"] == description


def test_my_companies_are_found_by_the_flag(emulator: Emulator, portal: Portal) -> None:
    mine = driver_crm.create_client(emulator, portal, "company", title="Us", isMyCompany="Y")
    driver_crm.create_client(emulator, portal, "company", title="Them")
    found = call(emulator, portal, "crm.item.list", entityTypeId=4, filter={"isMyCompany": "Y"}).result[
        "items"
    ]
    assert [c["id"] for c in found] == [mine]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"birthdate": "the fifth of May"}, "CRM_FIELD_ERROR_VALUE_NOT_VALID"),
        ({"companyId": 987654}, "CRM_FIELD_ERROR_VALUE_NOT_VALID"),
        ({"assignedById": 987654}, "CRM_FIELD_ERROR_VALUE_NOT_VALID"),
        ({"opened": "maybe"}, "CRM_FIELD_ERROR_VALUE_NOT_VALID"),
    ],
)
def test_invalid_values_are_refused(
    emulator: Emulator, portal: Portal, fields: dict[str, Any], error: str
) -> None:
    assert call(emulator, portal, "crm.item.add", entityTypeId=3, fields=fields).error == error
    assert portal.contacts == {}


def test_missing_records_and_unknown_fields(emulator: Emulator, portal: Portal) -> None:
    assert call(emulator, portal, "crm.item.get", entityTypeId=3, id=424242).error == "NOT_FOUND"
    assert call(emulator, portal, "crm.item.delete", entityTypeId=4, id=424242).error == "NOT_FOUND"
    item = call(
        emulator, portal, "crm.item.add", entityTypeId=3, fields={"name": "A", "madeUp": 1, "id": 7}
    ).result["item"]
    assert "madeUp" not in item and item["id"] != 7


def test_rest_changes_fire_contact_events_with_the_users_tokens(
    emulator: Emulator, portal: Portal, receiver: Receiver
) -> None:
    for event in ("ONCRMCONTACTADD", "ONCRMCONTACTUPDATE", "ONCRMCONTACTDELETE"):
        assert bind(emulator, portal, event, receiver.url + "/ev").result is True
    contact = call(emulator, portal, "crm.item.add", entityTypeId=3, fields={"name": "A"}, user=2).result[
        "item"
    ]["id"]
    same = call(emulator, portal, "crm.item.update", entityTypeId=3, id=contact, fields={"name": "A"}, user=2)
    assert same.result["item"]["updatedTime"] == portal.contacts[contact]["DATE_MODIFY"]
    call(emulator, portal, "crm.item.update", entityTypeId=3, id=contact, fields={"name": "B"}, user=2)
    call(emulator, portal, "crm.item.delete", entityTypeId=3, id=contact, user=2)
    forms = [dict(g.form) for g in receiver.got]
    assert [f["event"] for f in forms] == ["ONCRMCONTACTADD", "ONCRMCONTACTUPDATE", "ONCRMCONTACTDELETE"]
    assert all(f["data[FIELDS][ID]"] == str(contact) and f["auth[user_id]"] == "2" for f in forms)
    assert not any(k.startswith("data[FIELDS]") and k != "data[FIELDS][ID]" for f in forms for k in f)


def test_company_events_by_a_user_and_by_automation(
    emulator: Emulator, portal: Portal, receiver: Receiver
) -> None:
    for event in ("ONCRMCOMPANYADD", "ONCRMCOMPANYUPDATE", "ONCRMCOMPANYDELETE"):
        bind(emulator, portal, event, receiver.url + "/ev")
    company = driver_crm.create_client(emulator, portal, "company", title="ACME", user_id=None)
    assert driver_crm.update_client(emulator, portal, "company", company, title="ACME") is False
    driver_crm.update_client(emulator, portal, "company", company, user_id=2, title="ACME Ltd")
    driver_crm.delete_client(emulator, portal, "company", company, user_id=None)
    forms = [dict(g.form) for g in receiver.got]
    assert [f["event"] for f in forms] == ["ONCRMCOMPANYADD", "ONCRMCOMPANYUPDATE", "ONCRMCOMPANYDELETE"]
    assert ["auth[access_token]" in f for f in forms] == [False, True, False]


def test_offline_bindings_queue_contact_changes(emulator: Emulator, portal: Portal) -> None:
    bind(emulator, portal, "ONCRMCONTACTUPDATE", offline=True)
    portal.offline_event_data = True  # the lenient shape: the object's id in the record
    contact = driver_crm.create_client(emulator, portal, "contact", name="A")
    driver_crm.set_birthdate(emulator, portal, contact, "1990-01-02")
    driver_crm.set_birthdate(emulator, portal, contact, "1990-01-03", user_id=None)
    queued = call(emulator, portal, "event.offline.list").result
    assert [(e["EVENT_NAME"], e["EVENT_DATA"]) for e in queued] == [
        ("ONCRMCONTACTUPDATE", {"FIELDS": {"ID": contact}})
    ]
    assert portal.contacts[contact]["BIRTHDATE"] == "1990-01-03T00:00:00+00:00"


def test_contacts_work_inside_a_batch(emulator: Emulator, portal: Portal) -> None:
    cmd = {
        "add": "crm.item.add?entityTypeId=3&fields[name]=Zed&fields[birthdate]=2000-02-29",
        "get": "crm.item.get?entityTypeId=3&id=$result[add][item][id]",
        "list": "crm.item.list?entityTypeId=3&filter[>=id]=$result[add][item][id]&start=-1",
    }
    result = call(emulator, portal, "batch", cmd=cmd).result
    assert result["result"]["get"]["item"]["birthdate"] == "2000-02-29T00:00:00+00:00"
    assert len(result["result"]["list"]["items"]) == 1 and "list" not in result["result_total"]
    assert emulator.app_install(portal, CLIENT_ID).installed
