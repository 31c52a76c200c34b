"""Employee notifications, timeline log entries and the open-line chat helpers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator import driver, driver_crm, driver_setup
from tests.emulator.methods_messages import notifications_for
from tests.emulator.methods_timeline import log_messages_on
from tests.emulator.portal import Portal
from tests.emulator.server import Emulator
from tests.emulator.tests.calls import call, hook_call, installed_portal


@pytest.fixture
def portal(emulator: Emulator) -> Portal:
    return installed_portal(emulator)


def test_notifications_are_recorded_per_user(emulator: Emulator, portal: Portal) -> None:
    personal = call(emulator, portal, "im.notify.personal.add", USER_ID=2, MESSAGE="  Approve #42  ")
    call(emulator, portal, "im.notify.system.add", USER_ID=2, MESSAGE="System note")
    call(emulator, portal, "im.notify.personal.add", USER_ID=1, MESSAGE="For the admin")
    mine = notifications_for(portal, 2)
    assert [n["MESSAGE"] for n in mine] == ["Approve #42", "System note"]
    assert mine[0]["ID"] == personal.result and mine[0]["FROM_USER_ID"] == 1


def test_a_tag_replaces_the_notifications_that_carried_it(emulator: Emulator, portal: Portal) -> None:
    call(emulator, portal, "im.notify.personal.add", USER_ID=2, MESSAGE="old", TAG="approval-7")
    hook_call(
        emulator, portal, "im.notify.personal.add", USER_ID=2, MESSAGE="new", TAG="approval-7", CLIENT_ID="x"
    )
    assert [n["MESSAGE"] for n in notifications_for(portal, 2)] == ["new"]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"MESSAGE": "x"}, "USER_ID_EMPTY"),
        ({"USER_ID": 0, "MESSAGE": "x"}, "USER_ID_EMPTY"),
        ({"USER_ID": 2, "MESSAGE": "   "}, "MESSAGE_EMPTY"),
        ({"USER_ID": 2, "MESSAGE": "x", "ATTACH": "a" * 60_001}, "ATTACH_OVERSIZE"),
    ],
)
def test_personal_notifications_need_a_user_and_a_message(
    emulator: Emulator, portal: Portal, params: dict[str, Any], error: str
) -> None:
    assert call(emulator, portal, "im.notify.personal.add", **params).error == error
    assert portal.notifications == []


def test_log_messages_are_recorded_on_the_entity(emulator: Emulator, portal: Portal) -> None:
    contact = driver_crm.create_client(emulator, portal, "contact", name="Ann")
    fields = {
        "entityTypeId": 3,
        "entityId": contact,
        "title": "Bonus",
        "text": "+100 points",
        "iconCode": "info",
    }
    logged = call(emulator, portal, "crm.timeline.logmessage.add", fields=fields, user=2).result["logMessage"]
    assert (
        set(logged) == {"id", "created", "authorId", "title", "text", "iconCode"} and logged["authorId"] == 2
    )
    assert [e["text"] for e in log_messages_on(portal, 3, contact)] == ["+100 points"]
    assert (
        call(emulator, portal, "crm.timeline.logmessage.get", id=logged["id"]).result["logMessage"] == logged
    )
    listed = call(emulator, portal, "crm.timeline.logmessage.list", entityTypeId=3, entityId=contact)
    assert listed.result == [logged] and listed.body["total"] == 1


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"title": ""}, "100"),
        ({"iconCode": None}, "100"),
        ({"entityId": 987654}, "OWNER_NOT_FOUND"),
        ({"entityTypeId": 1}, "OWNER_NOT_FOUND"),
        ({"iconCode": "rocket"}, "0"),
    ],
)
def test_log_messages_need_every_field_and_an_owner(
    emulator: Emulator, portal: Portal, change: dict[str, Any], error: str
) -> None:
    deal = driver.create_deal(emulator, portal, TITLE="d")
    fields = {"entityTypeId": 2, "entityId": deal, "title": "t", "text": "x", "iconCode": "info", **change}
    assert call(emulator, portal, "crm.timeline.logmessage.add", fields=fields).error == error
    assert portal.log_messages == []


def test_log_message_list_pages_by_ten_newest_first(emulator: Emulator, portal: Portal) -> None:
    deal = driver.create_deal(emulator, portal, TITLE="d")
    for n in range(12):
        fields = {"entityTypeId": 2, "entityId": deal, "title": "t", "text": str(n), "iconCode": "info"}
        call(emulator, portal, "crm.timeline.logmessage.add", fields=fields)
    first = call(emulator, portal, "crm.timeline.logmessage.list", entityTypeId=2, entityId=deal)
    assert [e["text"] for e in first.result][:2] == ["11", "10"] and first.body["next"] == 10
    assert call(emulator, portal, "crm.timeline.logmessage.list", entityTypeId=2).error == "100"
    icons = call(emulator, portal, "crm.timeline.icon.list").result["icons"]
    assert "info" in {i["code"] for i in icons}


def test_get_last_id_answers_the_newest_chat(emulator: Emulator, portal: Portal) -> None:
    driver.add_chat(portal, "contact", 55, "telegram")
    newest = driver.add_chat(portal, "contact", 55)
    assert call(
        emulator, portal, "imopenlines.crm.chat.getLastId", CRM_ENTITY_TYPE="contact", CRM_ENTITY=55
    ).result == int(newest)
    empty = call(emulator, portal, "imopenlines.crm.chat.getLastId", CRM_ENTITY_TYPE="contact", CRM_ENTITY=56)
    assert (empty.error, empty.body["error_description"]) == (
        "CRM_CHAT_EMPTY_CRM_DATA",
        "Could not find CRM object",
    )
    assert (
        call(emulator, portal, "imopenlines.crm.chat.getLastId").body["error_description"] == "Empty CRM data"
    )
    bad = call(emulator, portal, "imopenlines.crm.chat.getLastId", CRM_ENTITY_TYPE="contact", CRM_ENTITY="x")
    assert bad.error == "ERROR_ARGUMENT"


def test_chat_user_add_adds_a_participant_once(emulator: Emulator, portal: Portal) -> None:
    chat = driver.add_chat(portal, "contact", 55)
    where: dict[str, Any] = {"CRM_ENTITY_TYPE": "contact", "CRM_ENTITY": 55}
    assert call(emulator, portal, "imopenlines.crm.chat.user.add", USER_ID=2, **where).result == int(chat)
    assert portal.chat_members[chat] == {2}
    assert (
        call(emulator, portal, "imopenlines.crm.chat.user.add", USER_ID=2, CHAT_ID=chat, **where).error
        == "WRONG_REQUEST"
    )
    nobody: dict[str, Any] = {"CRM_ENTITY_TYPE": "contact", "CRM_ENTITY": 77}
    assert call(emulator, portal, "imopenlines.crm.chat.user.add", USER_ID=2, **nobody).result == 0


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"CRM_ENTITY": 55, "USER_ID": 2}, "ERROR_ARGUMENT"),
        ({"CRM_ENTITY_TYPE": "contact", "USER_ID": 2}, "ERROR_ARGUMENT"),
        ({"CRM_ENTITY_TYPE": "contact", "CRM_ENTITY": 55}, "ERROR_ARGUMENT"),
        (
            {"CRM_ENTITY_TYPE": "contact", "CRM_ENTITY": 56, "USER_ID": 2, "CHAT_ID": "chat"},
            "CHAT_NOT_IN_CRM",
        ),
        ({"CRM_ENTITY_TYPE": "contact", "CRM_ENTITY": 55, "USER_ID": 999}, "CRM_CHAT_USER_NOT_ACTIVE"),
        (
            {"CRM_ENTITY_TYPE": "contact", "CRM_ENTITY": 55, "USER_ID": "dismissed"},
            "CRM_CHAT_USER_NOT_ACTIVE",
        ),
    ],
)
def test_chat_user_add_errors(emulator: Emulator, portal: Portal, params: dict[str, Any], error: str) -> None:
    chat = driver.add_chat(portal, "contact", 55)
    dismissed = driver_setup.add_user(emulator, portal, "Gone", active=False)
    resolved: dict[str, Any] = {
        k: (chat if v == "chat" else dismissed if v == "dismissed" else v) for k, v in params.items()
    }
    assert call(emulator, portal, "imopenlines.crm.chat.user.add", **resolved).error == error
    assert portal.chat_members.get(chat, set()) == set()


def test_messages_and_log_entries_work_in_a_batch(emulator: Emulator, portal: Portal) -> None:
    deal = driver.create_deal(emulator, portal, TITLE="d")
    log = (
        f"fields[entityTypeId]=2&fields[entityId]={deal}&fields[title]=t&fields[text]=x&fields[iconCode]=info"
    )
    cmd = {
        "log": f"crm.timeline.logmessage.add?{log}",
        "tell": "im.notify.personal.add?USER_ID=2&MESSAGE=logged $result[log][logMessage][id]",
    }
    result = call(emulator, portal, "batch", cmd=cmd).result
    entry = result["result"]["log"]["logMessage"]
    assert [n["MESSAGE"] for n in notifications_for(portal, 2)] == [f"logged {entry['id']}"]
