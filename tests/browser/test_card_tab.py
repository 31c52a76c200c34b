"""The "Bonuses" card tab in a real browser: the balance in ru and en, the frame fitted, deal links."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PortalWindow
from tests.browser.look import contrast_failures, fits_width
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness

pytestmark = pytest.mark.browser

TAB = "CRM_CONTACT_DETAIL_TAB"
SHOWN = {"ru": ("50,00", "Начисление", "Баланс"), "en": ("50.00", "Accrual", "Balance")}


def client_with_an_accrual(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> tuple[int, int]:
    """A contact whose won deal of 1000 earned 5 % (the default program)."""
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    deal = driver.create_deal(
        emulator, portal, TITLE="Sofa", OPPORTUNITY="1000", CONTACT_ID=contact, STAGE_ID="WON"
    )
    app.drain()
    return contact, deal


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_card_tab_shows_the_balance_in_the_users_language_and_fits_the_frame(
    portal_window: Callable[..., PortalWindow],
    app: AppHarness,
    emulator: Emulator,
    portal: EmuPortal,
    lang: str,
) -> None:
    contact, _ = client_with_an_accrual(app, emulator, portal)
    window = portal_window()
    frame = window.open(driver.placement_frame(emulator, portal, CLIENT_ID, TAB, contact), lang=lang)
    balance, operation, label = SHOWN[lang]
    expect(frame.locator("#balance")).to_have_text(balance)
    expect(frame.locator("tr.entry")).to_have_count(1)
    expect(frame.locator("tr.entry")).to_contain_text(operation)
    expect(frame.locator("html")).to_have_attribute("lang", lang)
    expect(frame.get_by_text(label, exact=True).first).to_be_visible()
    expect(frame.locator("html")).to_have_attribute("data-bx24", "ready")
    names = window.call_names(frame)
    assert names[0] == "init" and "fitWindow" in names
    # The stub resized the iframe to the page as the portal would: nothing is cut off.
    frame_height = window.page.locator("#app").bounding_box()
    assert frame_height is not None
    assert frame_height["height"] >= frame.evaluate("document.body.getBoundingClientRect().height") - 1
    assert contrast_failures(frame) == []
    window.screenshot(f"tab-contact-{lang}")
    assert window.external_requests == []


def test_card_tab_is_readable_at_380_pixels(
    portal_window: Callable[..., PortalWindow], app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    contact, _ = client_with_an_accrual(app, emulator, portal)
    window = portal_window(width=380)
    frame = window.open(driver.placement_frame(emulator, portal, CLIENT_ID, TAB, contact))
    expect(frame.locator("#balance")).to_be_visible()
    assert fits_width(frame)
    font_size = frame.locator("tr.entry td").first.evaluate(
        "cell => parseFloat(getComputedStyle(cell).fontSize)"
    )
    assert font_size >= 14
    window.screenshot("tab-contact-ru-380")


def test_deal_link_on_the_card_tab_opens_the_deal_in_the_portals_slider_and_titles_reach_the_portal(
    portal_window: Callable[..., PortalWindow], app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    contact, deal = client_with_an_accrual(app, emulator, portal)
    window = portal_window()
    frame = window.open(driver.placement_frame(emulator, portal, CLIENT_ID, TAB, contact))
    before = frame.url
    frame.get_by_role("link", name="Sofa").click()
    expect(frame.locator("#balance")).to_be_visible()
    calls = window.calls(frame)
    assert {"name": "openPath", "args": [f"/crm/deal/details/{deal}/"]} in calls
    assert frame.url == before and len(window.page.context.pages) == 1  # the frame stayed
    frame.evaluate("AppFrame.setTitle('Ann')")
    assert window.calls(frame)[-1] == {"name": "setTitle", "args": ["Ann"]}


def test_deal_tab_without_movements_shows_an_empty_state(
    portal_window: Callable[..., PortalWindow], app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    contact = driver.create_contact(emulator, portal, NAME="Bob")
    deal = driver.create_deal(emulator, portal, TITLE="New", OPPORTUNITY="10", CONTACT_ID=contact)
    app.drain()
    window = portal_window()
    frame = window.open(driver.placement_frame(emulator, portal, CLIENT_ID, "CRM_DEAL_DETAIL_TAB", deal))
    expect(frame.locator(".empty")).to_contain_text("бонусов пока не было")
    window.screenshot("tab-deal-empty-ru")
