"""Messaging, offline events, deal contacts, limits profiles and the remaining fault kinds."""

from __future__ import annotations

import time

import requests

from tests.emulator import driver
from tests.emulator.portal import Portal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator


def _call(emu: Emulator, portal: Portal, method: str, **params: object) -> requests.Response:
    token = emu.issue_tokens(portal, CLIENT_ID, 1).access_token
    return requests.post(emu.rest_base(portal) + method, json={"auth": token, **params}, timeout=10)


def test_email_is_sent_only_with_all_three_flags(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    emulator.app_install(portal, CLIENT_ID)
    comm = [{"VALUE": "a@example.com", "ENTITY_ID": 1, "ENTITY_TYPE_ID": 3}]
    base = {"OWNER_TYPE_ID": 3, "OWNER_ID": 1, "SUBJECT": "s", "COMMUNICATIONS": comm, "RESPONSIBLE_ID": 1}
    _call(
        emulator, portal, "crm.activity.add", fields={**base, "TYPE_ID": 4, "DIRECTION": 2, "COMPLETED": "N"}
    )
    assert portal.sent_emails == []
    _call(
        emulator, portal, "crm.activity.add", fields={**base, "TYPE_ID": 4, "DIRECTION": 2, "COMPLETED": "Y"}
    )
    assert len(portal.sent_emails) == 1
    nobody = _call(
        emulator,
        portal,
        "crm.activity.add",
        fields={**base, "COMMUNICATIONS": [], "TYPE_ID": 4, "DIRECTION": 2, "COMPLETED": "Y"},
    )
    assert nobody.json()["error_description"] == 'Email send error. "To" is not found'


def test_open_line_messages_need_an_existing_chat(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    emulator.app_install(portal, CLIENT_ID)
    chat = driver.add_chat(portal, "contact", 55)
    chats = _call(
        emulator, portal, "imopenlines.crm.chat.get", CRM_ENTITY_TYPE="contact", CRM_ENTITY=55
    ).json()
    assert chats["result"][0]["CHAT_ID"] == chat
    portal.chat_members[chat] = {1}  # the sender is a participant (message-add.md)
    ok = _call(
        emulator,
        portal,
        "imopenlines.crm.message.add",
        CRM_ENTITY_TYPE="contact",
        CRM_ENTITY=55,
        USER_ID=1,
        CHAT_ID=chat,
        MESSAGE="hi",
    )
    assert ok.status_code == 200 and portal.chat_messages[0]["MESSAGE"] == "hi"
    bad = _call(
        emulator,
        portal,
        "imopenlines.crm.message.add",
        CRM_ENTITY_TYPE="contact",
        CRM_ENTITY=56,
        USER_ID=1,
        CHAT_ID=chat,
        MESSAGE="hi",
    )
    assert bad.json()["error"] == "CHAT_NOT_IN_CRM"


def test_offline_queue_keeps_latest_state_and_process_id_flow(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    app = emulator.app_install(portal, CLIENT_ID)
    app.installed = True
    assert (
        _call(emulator, portal, "event.bind", event="ONCRMDEALUPDATE", event_type="offline").status_code
        == 200
    )
    deal = driver.create_deal(emulator, portal, TITLE="x")
    for amount in (1, 2, 3):
        driver.update_deal(emulator, portal, deal, OPPORTUNITY=amount)
    reserved = _call(emulator, portal, "event.offline.get", clear=0).json()["result"]
    assert len(reserved["events"]) == 1 and reserved["process_id"]
    assert _call(emulator, portal, "event.offline.get", clear=0).json()["result"]["events"] == []
    _call(emulator, portal, "event.offline.clear", process_id=reserved["process_id"])
    assert _call(emulator, portal, "event.offline.list").json()["result"] == []


def test_offline_queue_is_for_administrators_only(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    emulator.app_install(portal, CLIENT_ID).installed = True
    portal.users[1]["ADMIN"] = False  # the user whose tokens the app holds was demoted
    for method in ("event.offline.get", "event.offline.list", "event.offline.clear"):
        refused = _call(emulator, portal, method)
        assert refused.status_code == 403 and refused.json()["error"] == "ACCESS_DENIED"


def test_deal_contacts_and_product_rows(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    emulator.app_install(portal, CLIENT_ID)
    deal = driver.create_deal(emulator, portal, TITLE="x", CONTACT_ID=55)
    items = _call(emulator, portal, "crm.deal.contact.items.get", id=deal).json()["result"]
    assert items == [{"CONTACT_ID": 55, "SORT": 100, "ROLE_ID": 0, "IS_PRIMARY": "Y"}]
    missing = _call(emulator, portal, "crm.deal.contact.items.get", id=999999)
    assert missing.status_code == 400 and missing.json() == {"error": "", "error_description": "Not found."}
    _call(
        emulator,
        portal,
        "crm.deal.productrows.set",
        id=deal,
        rows=[{"PRODUCT_NAME": "A", "PRICE": 10, "QUANTITY": 2}],
    )
    rows = _call(
        emulator, portal, "crm.item.productrow.list", filter={"=ownerType": "D", "=ownerId": deal}
    ).json()
    assert rows["result"]["productRows"][0]["quantity"] == 2


def test_enterprise_profile_and_operating_time(limited_emulator: Emulator) -> None:
    emu = limited_emulator
    portal = emu.add_portal(plan="enterprise")
    emu.app_install(portal, CLIENT_ID)
    token = emu.issue_tokens(portal, CLIENT_ID, 1).access_token
    url = emu.rest_base(portal) + "profile"
    codes = [requests.post(url, json={"auth": token}, timeout=5).status_code for _ in range(251)]
    assert codes.count(200) == 250 and codes[-1] == 503
    emu.clock.advance(600)
    emu.limiter.charge(portal.member_id, "profile", 480.0)
    blocked = requests.post(url, json={"auth": token}, timeout=5)
    assert blocked.status_code == 429 and blocked.json()["error"] == "OPERATION_TIME_LIMIT"


def test_timeout_and_down_faults(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    emulator.app_install(portal, CLIENT_ID)
    emulator.faults.timeout_next(1, seconds=1.5, method="crm.contact.add")
    started = time.monotonic()
    try:
        _call(emulator, portal, "crm.contact.add", fields={"NAME": "x"}).raise_for_status()
    except requests.RequestException:
        pass
    assert time.monotonic() - started >= 1.4 and portal.contacts == {}  # not executed
    emulator.faults.down_for(60, emulator.now())
    assert _call(emulator, portal, "profile").status_code == 503


def test_control_endpoints_drive_the_portal(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    control = f"{emulator.base_url}/_emulator"
    made = requests.post(
        f"{control}/portal/{portal.member_id}/create_deal", json={"TITLE": "via http"}, timeout=5
    )
    assert portal.deals[made.json()["result"]]["TITLE"] == "via http"
    assert requests.post(f"{control}/faults", json={"kind": "fail", "n": 1, "status": 502}, timeout=5).ok
    assert _call(emulator, portal, "profile").status_code == 502
    stats = requests.get(f"{control}/stats", timeout=5).json()
    assert stats["http_requests"] == 1 and stats["per_method"] == {"profile": 1}


def test_user_admin_answers_for_the_tokens_user(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    emulator.app_install(portal, CLIENT_ID)
    admin = emulator.issue_tokens(portal, CLIENT_ID, 1).access_token
    manager = emulator.issue_tokens(portal, CLIENT_ID, 2).access_token
    url = emulator.rest_base(portal) + "user.admin"
    assert requests.post(url, json={"auth": admin}, timeout=5).json()["result"] is True
    assert requests.post(url, json={"auth": manager}, timeout=5).json()["result"] is False


def test_uninstall_revokes_the_apps_tokens_before_telling_it(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    app = emulator.app_install(portal, CLIENT_ID)
    app.installed = True
    tokens = emulator.issue_tokens(portal, CLIENT_ID, 1)
    driver.uninstall(emulator, portal, CLIENT_ID, clean=True)
    info = requests.post(
        emulator.rest_base(portal) + "app.info", json={"auth": tokens.access_token}, timeout=5
    )
    assert info.status_code == 401 and info.json()["error"] == "invalid_token"
    params = {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": "test-secret",
        "refresh_token": tokens.refresh_token,
    }
    assert requests.get(emulator.oauth_url(), params=params, timeout=5).json()["error"] == "invalid_grant"
