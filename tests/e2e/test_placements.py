"""The "Bonuses" card tab: verified by the application token, rendered from the ledger."""

from __future__ import annotations

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


def test_tab_refuses_a_wrong_token(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> None:
    portal.apps[CLIENT_ID].application_token = "forged"
    page = driver.open_placement(emulator, portal, CLIENT_ID, "CRM_CONTACT_DETAIL_TAB", 1)
    assert page.status == 401
