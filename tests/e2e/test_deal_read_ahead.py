"""A deal backlog is read ahead in one turn and accrued over the next turns without reading it again."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from sqlalchemy import func, select

from b24app.db import Database
from b24app.lanes import LaneRun
from registry.ledger.models import LedgerEntry
from registry.services.deal_step import READ_AHEAD
from tests.e2e.test_offers import SELLER, SHOP, _accruals, _catalog, _deal, _save, offers_program
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of

DEALS = 120  # three requests of reads: more than one step accrues


def _won_deals(emulator: Emulator, portal: EmuPortal, count: int) -> list[int]:
    company = driver.create_company(emulator, portal, TITLE="ACME")
    return [
        driver.create_deal(
            emulator, portal, TITLE=f"d{i}", OPPORTUNITY="100", COMPANY_ID=company, STAGE_ID="WON"
        )
        for i in range(count)
    ]


def _accrued(app: AppHarness) -> dict[int, Decimal]:
    with app.db.transaction() as session:
        rows = session.execute(
            select(LedgerEntry.deal_id, func.sum(LedgerEntry.amount))
            .where(LedgerEntry.kind == "accrual")
            .group_by(LedgerEntry.deal_id)
        ).all()
    return {int(deal_id): amount for deal_id, amount in rows}


def _first_turn(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> tuple[list[int], LaneRun]:
    """The won deals of a backlog, and the lane's first run over it (counted from here)."""
    deals = _won_deals(emulator, portal, DEALS)
    emulator.reset_stats()
    return deals, app.container.lanes.run(portal_id_of(app))


def test_a_backlog_is_read_in_one_turn_and_accrued_in_the_next(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    deals, first = _first_turn(app, emulator, portal)
    assert first.due_in == 0.0  # the turn ended after reading: other portals read theirs
    assert emulator.stats().per_method.get("crm.deal.get") == DEALS  # all of it, in one turn
    assert emulator.stats().http_requests <= READ_AHEAD and _accrued(app) == {}
    app.drain()
    assert sorted(_accrued(app)) == sorted(deals)
    assert emulator.stats().per_method.get("crm.deal.get") == DEALS  # nothing was read twice


def test_a_deal_that_changed_after_the_read_is_read_again(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    deals, _ = _first_turn(app, emulator, portal)  # reads all 120 and yields
    driver.update_deal(emulator, portal, deals[-1], OPPORTUNITY="300")  # a newer event for the last one
    app.drain()
    accrued = _accrued(app)
    assert sorted(accrued) == sorted(deals)
    assert accrued[deals[-1]] == 3 * accrued[deals[0]]  # the amount of the second read, not the first
    assert emulator.stats().per_method.get("crm.deal.get") == DEALS + 1


def test_another_worker_process_accrues_what_was_read_without_reading_it_again(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, database: Database
) -> None:
    deals, _ = _first_turn(app, emulator, portal)  # this "process" reads all 120 and yields
    other = AppHarness(database.url, oauth_url=emulator.oauth_url())  # a second container: its own memory
    try:
        for _ in range(4):  # turns of a lane run one request's worth of deals each
            other.container.lanes.run(portal_id_of(app))
    finally:
        other.close()
    assert sorted(_accrued(app)) == sorted(deals)
    assert emulator.stats().per_method.get("crm.deal.get") == DEALS  # read once, in the first process


def test_held_answers_keep_product_rows_and_catalog_sections(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    ids = _catalog(emulator, portal)
    _save(app, offers_program(ids))  # offers by catalog section: product rows, 25 deals a request
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    deals = [_deal(emulator, portal, ids, contact) for _ in range(30)]
    app.drain()
    emulator.reset_stats()
    for deal in deals:
        driver.update_deal(emulator, portal, deal, STAGE_ID="WON")
    assert app.container.lanes.run(portal_id_of(app)).due_in == 0.0  # all 30 read ahead and held
    app.drain()
    # each deal as test_offers has it: the rule 25.00, accessories 7.50 by section, hardware 10
    assert sorted(Counter(_accruals(app)).items()) == [
        (("accrual", "accrual", Decimal("25.00"), SHOP), 30),
        (("accrual", "offer", Decimal("7.50"), SELLER), 30),
        (("accrual", "offer", Decimal("10.00"), SHOP), 30),
    ]
    assert emulator.stats().per_method.get("crm.deal.get") == len(deals)  # read once each
