"""Frames: the card tab and the main page learn their user from the portal, by the frame's AUTH_ID."""

from __future__ import annotations

import requests

from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness


def test_contact_and_deal_tabs_show_the_ledger(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    deal = driver.create_deal(
        emulator, portal, TITLE="d", OPPORTUNITY="1000", CONTACT_ID=contact, STAGE_ID="WON"
    )
    quiet = driver.create_deal(emulator, portal, TITLE="q", OPPORTUNITY="10", CONTACT_ID=contact)
    app.drain()
    page = driver.open_placement(emulator, portal, CLIENT_ID, "CRM_CONTACT_DETAIL_TAB", contact)
    assert page.status == 200
    assert '<div class="balance" id="balance">50,00</div>' in page.body and "Начисление" in page.body
    page = driver.open_placement(emulator, portal, CLIENT_ID, "CRM_DEAL_DETAIL_TAB", deal)
    assert page.status == 200 and page.body.count('class="entry"') == 1
    page = driver.open_placement(emulator, portal, CLIENT_ID, "CRM_DEAL_DETAIL_TAB", quiet)
    assert "бонусов пока не было" in page.body


def test_tab_refuses_a_wrong_application_token(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    portal.apps[CLIENT_ID].application_token = "forged"
    page = driver.open_placement(emulator, portal, CLIENT_ID, "CRM_CONTACT_DETAIL_TAB", 1)
    assert page.status == 401 and "Не удалось подтвердить" in page.body


def _frame(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, path: str, auth_id: str, **extra: str
) -> requests.Response:
    """What the portal posts when a user opens one of our frames, with the AUTH_ID we choose."""
    form = {
        "AUTH_ID": auth_id,
        "AUTH_EXPIRES": "3600",
        "REFRESH_ID": "r",
        "member_id": portal.member_id,
        "APPLICATION_TOKEN": portal.apps[CLIENT_ID].application_token,
        **extra,
    }
    query = {"DOMAIN": emulator.ui_domain(portal), "PROTOCOL": "0", "LANG": portal.lang}
    return requests.post(app.base_url + path, data=form, params=query, timeout=10)


TAB = {"PLACEMENT": "CRM_CONTACT_DETAIL_TAB", "PLACEMENT_OPTIONS": '{"ID": "1"}'}


def test_a_forged_auth_id_gets_a_friendly_page_in_the_portals_language(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    other = emulator.add_portal(domain="attacker.bitrix24.test")
    foreign = emulator.issue_tokens(other, CLIENT_ID, 1).access_token
    for auth_id in ("f" * 32, foreign):
        page = _frame(app, emulator, portal, "/placements/tab", auth_id, **TAB)
        assert page.status_code == 401 and page.headers["Content-Type"].startswith("text/html")
        assert "Не удалось подтвердить, кто открыл эту страницу" in page.text
        assert "balance" not in page.text


def test_a_frame_token_is_asked_about_once_for_its_lifetime(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    auth_id = emulator.issue_tokens(portal, CLIENT_ID, 2).access_token
    emulator.reset_stats()
    pages = [_frame(app, emulator, portal, "/placements/tab", auth_id, **TAB) for _ in range(3)]
    assert [p.status_code for p in pages] == [200, 200, 200]
    assert emulator.stats.http_requests == 1  # one batch: user.current and user.admin
    assert emulator.stats.per_method["user.current"] == 1 == emulator.stats.per_method["user.admin"]


def test_a_silent_portal_gets_a_try_again_page(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    emulator.faults.fail_next(1, status=503, code="INTERNAL_SERVER_ERROR", method="batch")
    page = _frame(
        app,
        emulator,
        portal,
        "/placements/tab",
        emulator.issue_tokens(portal, CLIENT_ID, 1).access_token,
        **TAB,
    )
    assert page.status_code == 503 and "не ответил вовремя" in page.text


def test_the_main_page_shows_the_installation_status_to_administrators_only(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    admin = _frame(app, emulator, portal, "/", emulator.issue_tokens(portal, CLIENT_ID, 1).access_token)
    manager = _frame(app, emulator, portal, "/", emulator.issue_tokens(portal, CLIENT_ID, 2).access_token)
    assert admin.status_code == 200 == manager.status_code
    assert "Здравствуйте, Admin" in admin.text and 'id="health"' in admin.text
    assert 'data-status="installed"' in admin.text
    assert "Здравствуйте, Manager" in manager.text and 'id="health"' not in manager.text
    outside = requests.get(app.base_url + "/", timeout=5)  # not opened from a portal at all
    assert outside.status_code == 401 and outside.headers["Content-Type"].startswith("text/html")
