"""The emulator is as strict as the docs where the app once relied on leniency."""

from __future__ import annotations

from typing import Any

from tests.emulator import driver
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.emulator.tests.calls import call, installed_portal


def _robot(code: str, handler: str) -> dict[str, Any]:
    return {"CODE": code, "HANDLER": handler, "AUTH_USER_ID": 1, "NAME": "R", "PROPERTIES": {}}


def test_robot_and_action_codes_share_one_namespace(emulator: Emulator) -> None:
    portal = installed_portal(emulator)
    assert call(emulator, portal, "bizproc.robot.add", **_robot("x", "https://app.test/r")).result is True
    twin = call(emulator, portal, "bizproc.activity.add", **_robot("x", "https://app.test/r"))
    assert twin.status == 400 and twin.error == "ERROR_ACTIVITY_ALREADY_INSTALLED"


def test_robot_handler_must_be_on_the_apps_host(emulator: Emulator) -> None:
    portal = installed_portal(emulator)
    emulator.app_install(portal, CLIENT_ID).app_host = "app.test"
    foreign = call(emulator, portal, "bizproc.robot.add", **_robot("x", "https://elsewhere.test/r"))
    assert foreign.error == "ERROR_WRONG_HANDLER_URL"
    assert call(emulator, portal, "bizproc.robot.add", **_robot("x", "https://app.test/r")).result is True


def test_deleted_portal_answers_500_portal_deleted(emulator: Emulator) -> None:
    portal = installed_portal(emulator)
    portal.deleted = True
    answer = call(emulator, portal, "app.info")
    assert answer.status == 500 and answer.error == "PORTAL_DELETED"


def test_item_opportunity_is_ignored_without_linked_products(emulator: Emulator) -> None:
    portal = installed_portal(emulator)
    for linked in ("N", "Y"):
        fields = {"title": f"t{linked}", "isLinkWithProductsEnabled": linked}
        etid = call(emulator, portal, "crm.type.add", fields=fields).result["type"]["entityTypeId"]
        item = call(
            emulator, portal, "crm.item.add", entityTypeId=etid, fields={"title": "i", "opportunity": 5}
        )
        assert ("opportunity" in item.result["item"]) is (linked == "Y")


def test_open_line_sender_must_be_a_participant_and_chats_honour_active_only(emulator: Emulator) -> None:
    portal = installed_portal(emulator)
    closed = driver.add_chat(portal, "contact", 5, "whatsapp", active=False)
    where = {"CRM_ENTITY_TYPE": "contact", "CRM_ENTITY": 5}
    assert call(emulator, portal, "imopenlines.crm.chat.get", **where).result == []  # ACTIVE_ONLY=Y
    (chat,) = call(emulator, portal, "imopenlines.crm.chat.get", **where, ACTIVE_ONLY="N").result
    assert (chat["CHAT_ID"], chat["CONNECTOR_ID"]) == (closed, "whatsapp")
    post = {**where, "CHAT_ID": closed, "USER_ID": 1, "MESSAGE": "hi"}
    assert call(emulator, portal, "imopenlines.crm.message.add", **post).error == "CANCELED"
    call(emulator, portal, "imopenlines.crm.chat.user.add", **where, CHAT_ID=closed, USER_ID=1)
    assert call(emulator, portal, "imopenlines.crm.message.add", **post).result > 0


def test_the_control_api_sets_the_portals_fidelity_state(emulator: Emulator) -> None:
    portal = installed_portal(emulator)
    state = {"deleted": True, "crm_mailboxes": [], "shared_crm_mailbox": True, "offline_event_data": True}
    assert driver.control(portal, "set_fidelity", state) == {"result": None}
    assert portal.deleted and portal.crm_mailboxes == set() and portal.shared_crm_mailbox
    assert portal.offline_event_data
