"""PAYG bonus bundles (seed 000): "buy 30 days, get 2 free" as free units on the deal or as a cash
credit on the client's latest unpaid smart invoice; the trigger is one purchase line."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from b24app.clock import FrozenClock
from registry.bonuses.reward_models import DealReward
from registry.program.document import current_program, save_program
from tests.emulator import driver, driver_crm, driver_setup, productrows
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of

SELLER = 901


@pytest.fixture
def app_clock(clock: FrozenClock) -> FrozenClock:
    return clock


def _setup(app: AppHarness, emulator: Emulator, portal: EmuPortal, kind: str = "ontime_only") -> int:
    day = driver_setup.ensure_unit(emulator, portal, "day")
    product = driver_setup.add_product(emulator, portal, "Solar home system (days)", measure_code=day)
    bundle = {
        "code": "b30",
        "name": "Buy 30 days, get 2 free",
        "product": {"ids": [product]},
        "unit": "day",
        "trigger_quantity": 30,
        "reward_quantity": 2,
        "type": kind,
        "legal_entity": SELLER,
    }
    with app.db.transaction() as session:
        save_program(session, portal_id_of(app), {"bundles": [bundle]}, "test", app.container.clock.now())
    return product


def _deal(emulator: Emulator, portal: EmuPortal, contact: int, product: int, *quantities: int) -> int:
    deal = driver.create_deal(emulator, portal, TITLE="PAYG", CONTACT_ID=contact)
    rows = [
        {"PRODUCT_ID": product, "PRICE": "10", "QUANTITY": str(q), "MEASURE_CODE": 359} for q in quantities
    ]
    driver.set_product_rows(emulator, portal, deal, rows)
    return deal


def _win(app: AppHarness, emulator: Emulator, portal: EmuPortal, deal: int, stage: str = "WON") -> None:
    driver.update_deal(emulator, portal, deal, STAGE_ID=stage)
    app.drain()


def _free_rows(portal: EmuPortal, deal: int) -> list[tuple[Any, Any, Any]]:
    owner = productrows.resolve_owner(portal, "D", deal)
    rows = productrows.rows_of(portal, owner)
    return [(r["price"], r["quantity"], r["measureCode"]) for r in rows if r["price"] == 0]


def _rewards(app: AppHarness) -> list[tuple[int, str, str, Decimal, int | None]]:
    with app.db.transaction() as session:
        rows = session.execute(select(DealReward).order_by(DealReward.id)).scalars()
        return [(r.deal_id, r.code, r.status, r.value, r.legal_entity_id) for r in rows]


def test_thirty_days_in_one_line_gives_two_free_days_once(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    product = _setup(app, emulator, portal)
    contact = driver.create_contact(emulator, portal, NAME="Amina")
    deal = _deal(emulator, portal, contact, product, 30)
    _win(app, emulator, portal, deal)
    assert _free_rows(portal, deal) == [(Decimal(0), Decimal(2), 359)]
    assert portal.deals[deal]["OPPORTUNITY"] == "300.00"  # free units cost nothing
    assert _rewards(app) == [(deal, "b30", "added", Decimal("20.00"), SELLER)]
    _win(app, emulator, portal, deal, "EXECUTING")  # reopened: the free row is taken back
    assert _free_rows(portal, deal) == []
    _win(app, emulator, portal, deal)  # won again: the one reward comes back, nothing more
    driver.update_deal(emulator, portal, deal, TITLE="PAYG again")
    app.drain()
    assert _free_rows(portal, deal) == [(Decimal(0), Decimal(2), 359)]
    assert [status for _, _, status, _, _ in _rewards(app)] == ["added"]


def test_fifteen_days_never_trigger_the_bundle(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    product = _setup(app, emulator, portal)
    contact = driver.create_contact(emulator, portal, NAME="Baraka")
    deals = [
        _deal(emulator, portal, contact, product, 15),  # P x 15
        _deal(emulator, portal, contact, product, 15),  # and again in a second purchase
        _deal(emulator, portal, contact, product, 15, 15),  # two lines of 15 in one deal: not one line
    ]
    for deal in deals:
        _win(app, emulator, portal, deal)
    assert [_free_rows(portal, d) for d in deals] == [[], [], []]
    assert _rewards(app) == []


def _invoice(emulator: Emulator, portal: EmuPortal, contact: int, product: int, paid: bool = False) -> int:
    rows = [
        {"productId": product, "price": "10", "quantity": "20", "measureCode": 359},
        {"productId": product, "price": "5", "quantity": "20", "measureCode": 359},
    ]
    invoice = driver_crm.create_invoice(emulator, portal, contact_id=contact, rows=rows)
    if paid:
        driver_crm.pay_invoice(emulator, portal, invoice)
    return invoice


def _invoice_rows(portal: EmuPortal, invoice: int) -> list[tuple[Decimal, Decimal]]:
    rows = productrows.rows_of(portal, productrows.resolve_owner(portal, "SI", invoice))
    return [(r["price"], r["discountSum"]) for r in rows]


def test_cash_discount_reduces_the_latest_unpaid_invoice(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    product = _setup(app, emulator, portal, "cash_discount")
    contact = driver.create_contact(emulator, portal, NAME="Chidi")
    older = _invoice(emulator, portal, contact, product)
    latest = _invoice(emulator, portal, contact, product)
    _invoice(emulator, portal, contact, product, paid=True)  # newest, but paid
    deal = _deal(emulator, portal, contact, product, 30)
    _win(app, emulator, portal, deal)
    # 2 free days at 10 = 20 off a 300 invoice: rows 200 and 100 take 2/3 and 1/3 per unit
    assert _invoice_rows(portal, latest) == [
        (Decimal("9.34"), Decimal("0.66")),
        (Decimal("4.67"), Decimal("0.33")),
    ]
    assert portal.items[31][latest]["opportunity"] == 280.2  # cents rounded down: never more than 20
    assert _invoice_rows(portal, older) == [(Decimal("10"), Decimal("0")), (Decimal("5"), Decimal("0"))]
    assert _rewards(app) == [(deal, "b30", "applied", Decimal("20.00"), SELLER)]
    assert _free_rows(portal, deal) == []


def test_a_credit_waits_for_the_next_invoice_and_a_reopen_cancels_a_waiting_one(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, clock: FrozenClock
) -> None:
    product = _setup(app, emulator, portal, "cash_discount")
    contact = driver.create_contact(emulator, portal, NAME="Dalia")
    deal = _deal(emulator, portal, contact, product, 30)
    _win(app, emulator, portal, deal)
    with app.db.transaction() as session:
        waiting = session.execute(select(DealReward.status, DealReward.note)).one()
    assert waiting == ("waiting", "waiting for the client's next unpaid invoice")
    invoice = _invoice(emulator, portal, contact, product)
    assert app.wait_for_next_job(clock) is not None  # the hourly retry finds it
    assert _rewards(app)[0][2] == "applied" and portal.items[31][invoice]["opportunity"] == 280.2
    other = driver.create_contact(emulator, portal, NAME="Efe")
    second = _deal(emulator, portal, other, product, 31)
    _win(app, emulator, portal, second)
    _win(app, emulator, portal, second, "EXECUTING")
    assert [status for d, _, status, _, _ in _rewards(app) if d == second] == ["cancelled"]


def test_a_shop_group_covers_a_client_created_later(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    shop = driver_crm.create_client(emulator, portal, "company", title="Kisumu shop")
    other = driver_crm.create_client(emulator, portal, "company", title="Another shop")
    app.drain()
    product = _setup(app, emulator, portal)
    portal_id = portal_id_of(app)
    with app.db.transaction() as session:
        document = dict(current_program(session, portal_id).document)
        document["groups"] = [{"code": "kisumu", "by": "shop", "companies": [shop]}]
        document["bundles"][0]["groups"] = ["kisumu"]
        save_program(session, portal_id, document, "test", app.container.clock.now())
    newcomer = driver_crm.create_client(emulator, portal, "contact", name="New", companyIds=[shop])
    outsider = driver_crm.create_client(emulator, portal, "contact", name="Far", companyIds=[other])
    app.drain()  # the client mirror learns them (and their shops) from the events
    deals = [_deal(emulator, portal, client, product, 30) for client in (newcomer, outsider)]
    for deal in deals:
        _win(app, emulator, portal, deal)
    assert [_free_rows(portal, d) for d in deals] == [[(Decimal(0), Decimal(2), 359)], []]
