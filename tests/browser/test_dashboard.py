"""The main page in a real browser: the dashboard's figures against the ledger, the chart drawn on
the server, health for administrators only, ru and en."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from b24app.clock import FrozenClock
from b24app.i18n import points
from registry.ledger.models import Account, LedgerEntry
from tests.browser.conftest import History, PortalWindow
from tests.browser.look import contrast_failures, fits_width
from tests.e2e import approvals_support as approvals
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness

pytestmark = pytest.mark.browser


@pytest.fixture
def app_clock(clock: FrozenClock) -> FrozenClock:
    return clock


def _program_history(history: History) -> None:
    """Three clients over two weeks: accruals, a write-off, an expiry, and bonuses expiring soon."""
    ann, bob, eve = (
        driver.create_contact(history.emulator, history.portal, NAME=n) for n in ("Ann", "Bob", "Eve")
    )
    history.program(lifetime_days=3)
    history.won(ann, "1000")  # 50, expires after 3 days
    history.later(5, run_lane=True)
    history.program(lifetime_days=20)
    history.won(bob, "4000")  # 200
    history.won(eve, "600")  # 30
    history.spend(bob, 70, "gift")
    history.later(2, run_lane=True)


def _ledger(app: AppHarness) -> dict[str, Decimal]:
    with app.db.transaction() as session:

        def total(*kinds: str) -> Decimal:
            query = select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.kind.in_(kinds))
            return Decimal(session.execute(query).scalar_one())

        balances = session.execute(select(func.sum(Account.balance))).scalar_one()
        return {
            "accrued": total("accrual", "manual_accrual"),
            "spent": -total("write_off"),
            "expired": -total("expiry"),
            "outstanding": Decimal(balances),
        }


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_dashboard_figures_match_the_ledger_and_the_chart_is_drawn(
    portal_window: Callable[..., PortalWindow],
    app: AppHarness,
    emulator: Emulator,
    portal: EmuPortal,
    history: History,
    lang: str,
) -> None:
    _program_history(history)
    ledger = _ledger(app)
    assert ledger == {"accrued": 280, "spent": 70, "expired": 50, "outstanding": 160}
    window = portal_window()
    frame = window.open(
        driver.frame(emulator, portal, CLIENT_ID, app.base_url + "/", 1, [("PLACEMENT", "DEFAULT")]),
        lang=lang,
    )
    for name, value in ledger.items():
        expect(frame.locator(f"#total-{name}")).to_have_text(points(value, lang))
    for series in ("accrued", "spent", "expired", "outstanding"):
        points_attr = frame.locator(f"polyline[data-series={series}]").get_attribute("points") or ""
        assert len(points_attr.split()) == 30
    expect(frame.locator("#expiring-total")).to_have_text(points(Decimal(160), lang))  # Bob 130 + Eve 30
    expect(frame.locator(".largest-row")).to_have_count(2)
    expect(frame.locator(".largest-row").first).to_contain_text(points(Decimal(130), lang))
    bob_link = frame.locator(".largest-row").first.locator("a[data-portal-path^='/crm/contact/details/']")
    expect(bob_link).to_have_text("Bob")  # the name the worker read, still the link to the card
    expect(frame.locator("#install-status")).to_have_attribute("data-status", "installed")
    expect(frame.locator("#failed-messages")).to_have_text("0")
    expect(frame.locator("#last-repair")).to_contain_text("исправлено" if lang == "ru" else "repaired")
    assert contrast_failures(frame) == []
    assert "fitWindow" in window.call_names(frame)
    box = window.page.locator("#app").bounding_box()
    assert box is not None
    assert box["height"] >= frame.evaluate("document.documentElement.scrollHeight") - 1  # nothing cut off
    window.screenshot(f"dashboard-{lang}")
    assert window.external_requests == []


def test_a_manager_sees_the_dashboard_without_health_and_it_fits_380_pixels(
    portal_window: Callable[..., PortalWindow],
    app: AppHarness,
    emulator: Emulator,
    portal: EmuPortal,
    history: History,
) -> None:
    _program_history(history)
    window = portal_window(width=380)
    frame = window.open(driver.frame(emulator, portal, CLIENT_ID, app.base_url + "/", 2, []))
    expect(frame.locator("#total-accrued")).to_have_text("280,00")
    expect(frame.locator("#health")).to_have_count(0)
    assert fits_width(frame)
    window.screenshot("dashboard-ru-380")


def test_requests_awaiting_the_users_approval_are_on_the_main_page_and_lead_to_the_decision(
    portal_window: Callable[..., PortalWindow],
    app: AppHarness,
    emulator: Emulator,
    portal: EmuPortal,
) -> None:
    seed = approvals.seed(emulator, portal)
    approvals.program(app, {"approvals": approvals.definitions(seed)})
    deal = approvals.deal(emulator, portal, [(seed.monthly, "30", 1)])
    approvals.request(
        app, emulator, portal, deal, seed.agent, definition="complaint_monthly", amount="20", reason="late"
    )
    window = portal_window()
    agent = window.open(driver.frame(emulator, portal, CLIENT_ID, app.base_url + "/", seed.agent, []))
    expect(agent.locator("#totals")).to_be_visible()
    expect(agent.locator("#awaiting-approval")).to_have_count(0)  # not theirs to decide: no panel at all
    frame = window.open(driver.frame(emulator, portal, CLIENT_ID, app.base_url + "/", seed.supervisor, []))
    expect(frame.locator("#awaiting-count")).to_have_text("1")
    expect(frame.locator(".awaiting-row")).to_contain_text("late")
    window.screenshot("dashboard-approvals-ru")
    frame.locator("#open-approvals").click()
    expect(frame.locator("tr.request")).to_have_count(1)
