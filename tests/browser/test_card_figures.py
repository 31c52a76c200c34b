"""The card tab for a client with pending, active, expiring and spent bonuses, and the manager's
write-off from the tab reaching the ledger once (a re-posted form changes nothing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from b24app.clock import FrozenClock
from b24app.i18n import date_time, day, points
from registry.ledger.models import LedgerEntry
from registry.ledger.posting import Owner
from registry.program.document import save_program
from registry.services.support import move
from tests.browser.conftest import PortalWindow
from tests.browser.look import contrast_failures, fits_width
from tests.emulator import driver, driver_setup
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of

pytestmark = pytest.mark.browser
TAB = "CRM_CONTACT_DETAIL_TAB"
ZONE = "Europe/Moscow"


@pytest.fixture
def app_clock(clock: FrozenClock) -> FrozenClock:
    return clock


def _program(app: AppHarness, **settings: Any) -> None:
    with app.db.transaction() as session:
        save_program(session, portal_id_of(app), settings, "test", app.container.clock.now())


def _later(app: AppHarness, clock: FrozenClock, days: int) -> None:
    clock.advance(days=days)
    app.skew += timedelta(days=days)


def _won(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, contact: int, title: str, amount: str
) -> int:
    deal = driver.create_deal(
        emulator, portal, TITLE=title, OPPORTUNITY=amount, CONTACT_ID=contact, STAGE_ID="WON"
    )
    app.drain()
    return deal


def _client(app: AppHarness, emulator: Emulator, portal: EmuPortal, clock: FrozenClock) -> tuple[int, int]:
    """Sofa (50, expires first, 20 of it spent), Table (100), Lamp (20, pending 14 days)."""
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    _program(app, lifetime_days=30)
    _won(app, emulator, portal, contact, "Sofa", "1000")
    _later(app, clock, 10)
    _program(app, lifetime_days=60)
    table = _won(app, emulator, portal, contact, "Table", "2000")
    spent = move(
        app.container, portal_id_of(app), Owner("contact", contact), Decimal(20), "gift card", "writeoff"
    )
    assert spent["ok"]
    _program(app, lifetime_days=60, hold_days=14)
    _won(app, emulator, portal, contact, "Lamp", "400")
    return contact, table


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_card_tab_shows_pending_active_expiring_and_spent_bonuses(
    portal_window: Callable[..., PortalWindow],
    app: AppHarness,
    emulator: Emulator,
    portal: EmuPortal,
    clock: FrozenClock,
    lang: str,
) -> None:
    contact, table = _client(app, emulator, portal, clock)
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
    clock: FrozenClock,
) -> None:
    contact, _ = _client(app, emulator, portal, clock)
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
    clock: FrozenClock,
) -> None:
    contact, table = _client(app, emulator, portal, clock)
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
