"""Smart-process items: ONCRMDYNAMICITEM* (base, per type), who changed them, no-op updates, `events`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator import driver_crm
from tests.emulator.portal import Portal
from tests.emulator.server import Emulator
from tests.emulator.tests.calls import bind, call, hook_call, installed_portal
from tests.emulator.tests.conftest import Receiver


@pytest.fixture
def portal(emulator: Emulator) -> Portal:
    return installed_portal(emulator)


def _type(emu: Emulator, portal: Portal) -> int:
    return int(call(emu, portal, "crm.type.add", fields={"title": "Bonuses"}).result["type"]["entityTypeId"])


def _item(emu: Emulator, portal: Portal, etid: int, user: int = 1, **fields: Any) -> dict[str, Any]:
    item: dict[str, Any] = call(
        emu, portal, "crm.item.add", entityTypeId=etid, fields={"title": "b", **fields}, user=user
    ).result["item"]
    return item


def _forms(receiver: Receiver) -> list[dict[str, str]]:
    return [dict(g.form) for g in receiver.got]


def test_the_apps_own_update_fires_both_event_forms_with_its_token(
    emulator: Emulator, portal: Portal, receiver: Receiver
) -> None:
    etid = _type(emulator, portal)
    bind(emulator, portal, "ONCRMDYNAMICITEMUPDATE", receiver.url + "/base")
    bind(emulator, portal, f"ONCRMDYNAMICITEMUPDATE_{etid}", receiver.url + "/typed")
    item = _item(emulator, portal, etid)
    call(emulator, portal, "crm.item.update", entityTypeId=etid, id=item["id"], fields={"title": "c"})
    forms = _forms(receiver)
    assert [f["event"] for f in forms] == ["ONCRMDYNAMICITEMUPDATE", f"ONCRMDYNAMICITEMUPDATE_{etid}"]
    assert [g.path for g in receiver.got] == ["/base", "/typed"]
    for form in forms:
        assert (form["data[FIELDS][ID]"], form["data[FIELDS][ENTITY_TYPE_ID]"]) == (
            str(item["id"]),
            str(etid),
        )
        assert form["auth[user_id]"] == "1" and form["auth[access_token]"]


def test_an_update_that_changes_nothing_is_not_saved_and_fires_nothing(
    emulator: Emulator, portal: Portal, receiver: Receiver
) -> None:
    etid = _type(emulator, portal)
    bind(emulator, portal, "ONCRMDYNAMICITEMUPDATE", receiver.url + "/ev")
    item = _item(emulator, portal, etid, opportunity=50)
    stored = dict(portal.items[etid][item["id"]])
    same = {
        "title": "b",
        "opportunity": "50.0",
        "stageId": item["stageId"],
        "updatedTime": "2000-01-01T00:00:00+00:00",
    }
    answer = call(emulator, portal, "crm.item.update", entityTypeId=etid, id=item["id"], fields=same, user=2)
    assert answer.result["item"]["updatedBy"] == 1 and portal.items[etid][item["id"]] == stored
    assert receiver.got == []


def test_a_manager_moving_an_item_is_recorded_and_reported_with_their_token(
    emulator: Emulator, portal: Portal, receiver: Receiver
) -> None:
    etid = _type(emulator, portal)
    bind(emulator, portal, f"ONCRMDYNAMICITEMUPDATE_{etid}", receiver.url + "/ev")
    item = _item(emulator, portal, etid)
    success = item["stageId"].replace(":NEW", ":SUCCESS")
    assert driver_crm.move_item(emulator, portal, etid, item["id"], success, user_id=2) is True
    moved = call(emulator, portal, "crm.item.get", entityTypeId=etid, id=item["id"]).result["item"]
    assert (moved["stageId"], moved["previousStageId"], moved["movedBy"], moved["updatedBy"]) == (
        success,
        item["stageId"],
        2,
        2,
    )
    assert moved["movedTime"] >= item["movedTime"] and moved["createdBy"] == 1
    [form] = _forms(receiver)
    assert form["auth[user_id]"] == "2"


def test_automation_changes_carry_no_tokens(emulator: Emulator, portal: Portal, receiver: Receiver) -> None:
    etid = _type(emulator, portal)
    bind(emulator, portal, "ONCRMDYNAMICITEMUPDATE", receiver.url + "/ev")
    bind(emulator, portal, "ONCRMDYNAMICITEMDELETE", receiver.url + "/ev")
    item = _item(emulator, portal, etid)
    driver_crm.update_item(emulator, portal, etid, item["id"], user_id=None, title="by robot")
    driver_crm.delete_item(emulator, portal, etid, item["id"], user_id=None)
    forms = _forms(receiver)
    assert [f["event"] for f in forms] == ["ONCRMDYNAMICITEMUPDATE", "ONCRMDYNAMICITEMDELETE"]
    assert not any("auth[access_token]" in f for f in forms) and all(
        f["auth[application_token]"] for f in forms
    )


def test_add_and_delete_through_rest_fire_their_events(
    emulator: Emulator, portal: Portal, receiver: Receiver
) -> None:
    etid = _type(emulator, portal)
    for event in ("ONCRMDYNAMICITEMADD", f"ONCRMDYNAMICITEMDELETE_{etid}"):
        bind(emulator, portal, event, receiver.url + "/ev")
    item = _item(emulator, portal, etid, user=2)
    assert hook_call(emulator, portal, "crm.item.delete", entityTypeId=etid, id=item["id"]).result == []
    forms = _forms(receiver)
    assert [(f["event"], f["auth[user_id]"]) for f in forms] == [
        ("ONCRMDYNAMICITEMADD", "2"),
        (f"ONCRMDYNAMICITEMDELETE_{etid}", "1"),
    ]


def test_offline_bindings_queue_the_item_with_its_type(emulator: Emulator, portal: Portal) -> None:
    etid = _type(emulator, portal)
    bind(emulator, portal, f"ONCRMDYNAMICITEMUPDATE_{etid}", offline=True)
    portal.offline_event_data = True  # the lenient shape: the object's id in the record
    item = _item(emulator, portal, etid)
    for title in ("x", "y"):
        driver_crm.update_item(emulator, portal, etid, item["id"], user_id=2, title=title)
    [queued] = call(emulator, portal, "event.offline.list").result
    assert queued["EVENT_DATA"] == {"FIELDS": {"ID": item["id"], "ENTITY_TYPE_ID": etid}}


def test_the_events_method_lists_what_can_be_bound(emulator: Emulator, portal: Portal) -> None:
    etid = _type(emulator, portal)
    everything = call(emulator, portal, "events").result
    assert {
        f"ONCRMDYNAMICITEMUPDATE_{etid}",
        "ONCRMCONTACTDELETE",
        "ONCRMCOMPANYADD",
        "ONAPPUNINSTALL",
    } <= set(everything)
    crm = call(emulator, portal, "events", SCOPE="crm").result
    assert "ONAPPUNINSTALL" not in crm and f"ONCRMDYNAMICITEMDELETE_{etid}" in crm
    assert hook_call(emulator, portal, "events").error == "ACCESS_DENIED"  # application context only
    assert (
        bind(emulator, portal, "ONCRMDYNAMICITEMUPDATE_999999", "http://x/").error == "ERROR_EVENT_NOT_FOUND"
    )


def test_feature_get_answers_the_offline_queue_features(emulator: Emulator, portal: Portal) -> None:
    assert call(emulator, portal, "feature.get", CODE="rest_offline_extended").result == {"value": "Y"}
    assert call(emulator, portal, "feature.get", CODE="rest_auth_connector").result == {"value": "N"}
    missing = call(emulator, portal, "feature.get")
    assert (missing.error, missing.body["error_description"]) == ("CODE_EMPTY", "CODE can't be empty")
