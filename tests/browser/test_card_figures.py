"""The card tab for a client with pending, active, expiring and spent bonuses, and the manager's
write-off from the tab reaching the ledger once (a re-posted form changes nothing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from b24app.clock import FrozenClock
from b24app.i18n import date_time, day, points
from registry.ledger.models import LedgerEntry
from tests.browser.conftest import History, PortalWindow
from tests.browser.look import contrast_failures, fits_width
from tests.emulator import driver, driver_setup
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness

pytestmark = pytest.mark.browser
TAB = "CRM_CONTACT_DETAIL_TAB"
ZONE = "Europe/Moscow"


@pytest.fixture
def app_clock(clock: FrozenClock) -> FrozenClock:
    return clock


def _client(history: History) -> tuple[int, int]:
    """Sofa (50, expires first, 20 of it spent), Table (100), Lamp (20, pending 14 days)."""
    contact = driver.create_contact(history.emulator, history.portal, NAME="Ann")
    history.program(lifetime_days=30)
    history.won(contact, "1000", "Sofa")
    history.later(10)
    history.program(lifetime_days=60)
    table = history.won(contact, "2000", "Table")
    history.spend(contact, 20, "gift card")
    history.program(lifetime_days=60, hold_days=14)
    history.won(contact, "400", "Lamp")
    return contact, table


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_card_tab_shows_pending_active_expiring_and_spent_bonuses(
    portal_window: Callable[..., PortalWindow],
    app: AppHarness,
    emulator: Emulator,
    portal: EmuPortal,
    clock: FrozenClock,
    history: History,
    lang: str,
) -> None:
    contact, table = _client(history)
    driver_setup.set_time_zone(emulator, portal, 1, ZONE)
    start = clock.now() - timedelta(days=10)
    window = portal_window()
    frame = window.open(driver.placement_frame(emulator, portal, CLIENT_ID, TAB, contact), lang=lang)
    expect(frame.locator("#balance")).to_have_text(points(Decimal(150), lang))  # 50 + 100 + 20 - 20
    expect(frame.locator("#available")).to_have_text(points(Decimal(130), lang))  # the Lamp's 20 wait
    expect(frame.locator("#pending")).to_contain_text(points(Decimal(20), lang))
    expect(frame.locator("#pending")).to_contain_text(day(clock.now() + timedelta(days=14), lang, ZONE))
    expect(frame.locator("#next-expiry")).to_contain_text(points(Decimal(30), lang))  # Sofa's 50 - 20
    expect(frame.locator("#next-expiry")).to_contain_text(day(start + timedelta(days=30), lang, ZONE))
    rows = frame.locator("tr.entry")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text("Lamp")
    expect(rows.nth(1)).to_contain_text("gift card")
    expect(rows.nth(3)).to_contain_text(date_time(start, lang, ZONE))  # the portal user's zone
    expect(rows.nth(3)).to_contain_text("5% " + ("от" if lang == "ru" else "of"))  # the rule in words
    expect(frame.get_by_role("link", name="Table")).to_have_attribute(
        "data-portal-path", f"/crm/deal/details/{table}/"
    )
    assert "deal_not_won" not in frame.locator("body").inner_text()
    assert contrast_failures(frame) == []
    window.screenshot(f"tab-figures-{lang}")
    assert window.external_requests == []


def test_write_off_from_the_card_tab_reaches_the_ledger_once(
    portal_window: Callable[..., PortalWindow],
    app: AppHarness,
    emulator: Emulator,
    portal: EmuPortal,
    history: History,
) -> None:
    contact, _ = _client(history)
    window = portal_window(width=380)
    frame = window.open(driver.placement_frame(emulator, portal, CLIENT_ID, TAB, contact), lang="en")
    expect(frame.locator("#allowed")).to_contain_text("130.00")
    frame.locator("#amount").fill("500")
    frame.get_by_role("button", name="Write off").click()
    expect(frame.locator("#amount-error")).to_contain_text("Allowed now: 130.00")
    key = frame.locator("input[name=key]").input_value()
    frame.locator("#amount").fill("15")
    frame.get_by_role("button", name="Write off").click()
    expect(frame.locator("#notice")).to_contain_text("15.00")
    expect(frame.locator("#balance")).to_have_text("135.00")
    # The same form posted again (a double click, a reload): the ledger already has it.
    frame.evaluate(
        """key => { const form = document.getElementById('writeoff');
                    form.querySelector('input[name=key]').value = key;
                    form.querySelector('#amount').value = '15'; form.submit(); }""",
        key,
    )
    expect(frame.locator("#notice")).to_contain_text("15.00")
    expect(frame.locator("#balance")).to_have_text("135.00")
    with app.db.transaction() as session:
        keys = session.execute(select(LedgerEntry.business_key).where(LedgerEntry.kind == "write_off")).all()
    assert [k for (k,) in keys if k.startswith("card:")] == [f"card:writeoff:{key}"]
    assert fits_width(frame)
    window.screenshot("tab-writeoff-en-380")


def test_deal_tab_shows_the_clients_balance_and_what_an_open_deal_will_earn(
    portal_window: Callable[..., PortalWindow],
    app: AppHarness,
    emulator: Emulator,
    portal: EmuPortal,
    history: History,
) -> None:
    contact, table = _client(history)
    open_deal = driver.create_deal(emulator, portal, TITLE="Chair", OPPORTUNITY="600", CONTACT_ID=contact)
    app.drain()
    window = portal_window()
    frame = window.open(
        driver.placement_frame(emulator, portal, CLIENT_ID, "CRM_DEAL_DETAIL_TAB", open_deal), lang="en"
    )
    expect(frame.locator("#balance")).to_have_text("150.00")
    expect(frame.locator("#deal .card-title")).to_have_text("Chair")
    expect(frame.locator("#preview")).to_contain_text("30.00")  # 5 % of 600 by the current program
    expect(frame.locator("#empty")).to_contain_text("won")
    window.screenshot("tab-deal-open-en")
    frame = window.open(driver.placement_frame(emulator, portal, CLIENT_ID, "CRM_DEAL_DETAIL_TAB", table))
    expect(frame.locator("#earned")).to_contain_text("100,00")
    expect(frame.locator("tr.entry")).to_have_count(1)
