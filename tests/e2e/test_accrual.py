"""Won deals accrue exactly once and the portal mirrors the ledger; changes reverse or adjust."""

from __future__ import annotations

import threading
from decimal import Decimal

import requests
from sqlalchemy import select

from b24app.db import Database
from registry.ledger.audit import audit
from registry.ledger.models import LedgerEntry
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of


def _entries(app: AppHarness) -> list[tuple[str, Decimal, Decimal]]:
    with app.db.transaction() as session:
        rows = session.execute(select(LedgerEntry).order_by(LedgerEntry.id)).scalars()
        return [(e.kind, e.amount, e.balance_after) for e in rows]


def _registry_items(portal: EmuPortal) -> list[dict[str, object]]:
    etid = next(iter(portal.types.values()))["entityTypeId"]
    return list(portal.items[etid].values())


def test_won_deal_accrues_once_and_is_mirrored(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    company = driver.create_company(emulator, portal, TITLE="ACME")
    deal = driver.create_deal(
        emulator, portal, TITLE="d", OPPORTUNITY="1000", CURRENCY_ID="RUB", COMPANY_ID=company
    )
    driver.update_deal(emulator, portal, deal, STAGE_ID="WON")
    app.drain()
    assert _entries(app) == [("accrual", Decimal("50.00"), Decimal("50.00"))]
    items = _registry_items(portal)
    assert len(items) == 1 and items[0]["companyId"] == company and items[0]["parentId2"] == deal
    assert str(items[0]["stageId"]).endswith(":PREPARATION") and str(items[0]["xmlId"]).startswith("entry:")
    assert float(portal.companies[company]["UF_CRM_BONUS_BALANCE"]) == 50.0
    texts = sorted((c["ENTITY_TYPE"], c["COMMENT"]) for c in portal.comments)
    expected = "Начислено 50,00 бонусов: 5% от 1\xa0000,00\xa0₽. Баланс: 50,00"
    assert texts == [("company", expected), ("deal", expected)]


def test_fifty_concurrent_duplicates_accrue_once(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    deal = driver.create_deal(
        emulator, portal, TITLE="d", OPPORTUNITY="200", CONTACT_ID=contact, STAGE_ID="WON"
    )
    token = portal.apps[CLIENT_ID].application_token
    form = {
        "event": "ONCRMDEALUPDATE",
        "data[FIELDS][ID]": str(deal),
        "auth[member_id]": portal.member_id,
        "auth[application_token]": token,
    }
    barrier = threading.Barrier(50)
    codes: list[int] = []

    def send() -> None:
        barrier.wait()
        codes.append(requests.post(app.base_url + "/events", data=form, timeout=10).status_code)

    threads = [threading.Thread(target=send) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 50
    app.drain()
    assert _entries(app) == [("accrual", Decimal("10.00"), Decimal("10.00"))]
    assert len(_registry_items(portal)) == 1


def test_reopen_win_again_edit_and_delete(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> None:
    contact = driver.create_contact(emulator, portal, NAME="Bob")
    deal = driver.create_deal(
        emulator, portal, TITLE="d", OPPORTUNITY="1000", CONTACT_ID=contact, STAGE_ID="WON"
    )
    app.drain()
    driver.update_deal(emulator, portal, deal, STAGE_ID="EXECUTING")  # reopened
    app.drain()
    driver.update_deal(emulator, portal, deal, STAGE_ID="WON")  # won again
    app.drain()
    driver.update_deal(emulator, portal, deal, OPPORTUNITY="1200")  # amount edited while won
    app.drain()
    driver.delete_deal(emulator, portal, deal)
    app.drain()
    assert _entries(app) == [
        ("accrual", Decimal("50.00"), Decimal("50.00")),
        ("reversal", Decimal("-50.00"), Decimal("0.00")),
        ("accrual", Decimal("50.00"), Decimal("50.00")),
        ("deal_adjustment", Decimal("10.00"), Decimal("60.00")),
        ("reversal", Decimal("-60.00"), Decimal("0.00")),
    ]
    assert float(portal.contacts[contact]["UF_CRM_BONUS_BALANCE"]) == 0.0
    assert len(_registry_items(portal)) == 5
    with app.db.transaction() as session:
        assert audit(session, 1) == []


def test_deal_without_client_is_skipped(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> None:
    driver.create_deal(emulator, portal, TITLE="nobody", OPPORTUNITY="500", STAGE_ID="WON")
    app.drain()
    assert _entries(app) == []
    from registry.bonuses.models import DealState

    with app.db.transaction() as session:
        assert session.execute(select(DealState.skipped_reason)).scalar_one() == "no_client"


def test_dropped_events_are_recovered_by_reconciliation(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    contact = driver.create_contact(emulator, portal, NAME="Cy")
    emulator.faults.drop_deliveries(10)
    driver.create_deal(emulator, portal, TITLE="d", OPPORTUNITY="100", CONTACT_ID=contact, STAGE_ID="WON")
    app.drain()
    assert _entries(app) == []  # the portal's event never reached us
    from registry.services.reconcile_step import request_reconciliation

    with app.db.transaction() as session:
        request_reconciliation(session, portal_id_of(app), app.container.clock.now())
    app.container.jobs.enqueue_lane(portal_id_of(app), force=True)
    app.drain()
    assert _entries(app) == [("accrual", Decimal("5.00"), Decimal("5.00"))]


def test_lost_responses_leave_each_item_once(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> None:
    contact = driver.create_contact(emulator, portal, NAME="Di")
    emulator.faults.lose_response_next(1, method="batch")
    driver.create_deal(emulator, portal, TITLE="d", OPPORTUNITY="100", CONTACT_ID=contact, STAGE_ID="WON")
    app.drain()
    app.skew = app.skew.__class__(minutes=30)
    for _ in range(3):
        app.container.jobs.enqueue_lane(1, force=True)
        app.drain()
    assert len(_registry_items(portal)) == 1
    assert len([c for c in portal.comments if c["ENTITY_TYPE"] == "contact"]) == 1


def test_portal_failures_then_recovery_leave_each_item_once(database: Database, emulator: Emulator) -> None:
    app = AppHarness(database.url, oauth_url=emulator.oauth_url(), overrides={"portal_timeout": 1.0})
    try:
        portal = emulator.add_portal()
        driver.install_api(emulator, portal, CLIENT_ID, app.base_url + "/install")
        app.drain()
        contacts = [driver.create_contact(emulator, portal, NAME=f"c{i}") for i in range(3)]
        emulator.faults.fail_next(2, status=503, code="INTERNAL_SERVER_ERROR", method="batch")
        emulator.faults.timeout_next(1, seconds=2.0, method="batch")
        emulator.faults.lose_response_next(1, method="batch")
        for i, contact in enumerate(contacts):
            driver.create_deal(
                emulator, portal, TITLE=f"d{i}", OPPORTUNITY="100", CONTACT_ID=contact, STAGE_ID="WON"
            )
        for minutes in range(1, 12):
            app.skew = app.skew.__class__(minutes=10 * minutes)
            app.container.jobs.enqueue_lane(1, force=True)
            app.drain()
        assert len(_entries(app)) == 3
        assert len(_registry_items(portal)) == 3  # nothing lost, nothing doubled
        assert sorted(float(portal.contacts[c]["UF_CRM_BONUS_BALANCE"]) for c in contacts) == [5.0] * 3
    finally:
        app.close()


def test_deletion_with_a_dropped_event_comes_from_the_offline_queue(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    from sqlalchemy import update

    from b24app.models import PortalCursor

    contact = driver.create_contact(emulator, portal, NAME="Eve")
    deal = driver.create_deal(
        emulator, portal, TITLE="d", OPPORTUNITY="100", CONTACT_ID=contact, STAGE_ID="WON"
    )
    app.drain()
    emulator.faults.drop_deliveries(1)
    driver.delete_deal(emulator, portal, deal)
    app.drain()
    assert [k for k, _, _ in _entries(app)] == ["accrual"]  # the online event never came
    with app.db.transaction() as session:  # the schedule comes round
        session.execute(update(PortalCursor).values(next_run_at=app.container.clock.now()))
    app.container.jobs.enqueue_lane(portal_id_of(app), force=True)
    app.drain()
    assert _entries(app) == [
        ("accrual", Decimal("5.00"), Decimal("5.00")),
        ("reversal", Decimal("-5.00"), Decimal("0.00")),
    ]
    assert portal.offline == []  # reserved, then cleared after our commit
