"""Legal entities on every movement and the settlement report: its totals equal the ledger per
legal entity (credits by their entity, debits split by the lots they drew from)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bootstrap.console import main
from registry.ledger.models import Account, LedgerEntry, Lot
from registry.ledger.posting import Owner
from registry.program.document import save_program
from registry.services import settlement, support
from tests.e2e.test_offers import SELLER, SHOP, _catalog, _deal, offers_program
from tests.emulator import driver, driver_crm
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of


def _ledger_by_entity(app: AppHarness) -> tuple[dict[int | None, Decimal], dict[int | None, Decimal]]:
    """Straight from the ledger: credits per entity, and what each entity's lots still hold."""
    credited: dict[int | None, Decimal] = defaultdict(Decimal)
    held: dict[int | None, Decimal] = defaultdict(Decimal)
    with app.db.transaction() as session:
        for entity, amount in session.execute(
            select(LedgerEntry.legal_entity_id, LedgerEntry.amount).where(LedgerEntry.amount > 0)
        ):
            credited[entity] += amount
        for entity, remaining in session.execute(
            select(LedgerEntry.legal_entity_id, Lot.remaining).join(Lot, Lot.entry_id == LedgerEntry.id)
        ):
            held[entity] += remaining
    return dict(credited), dict(held)


def test_settlement_totals_equal_the_ledger_per_legal_entity(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _catalog(emulator, portal)
    portal_id = portal_id_of(app)
    with app.db.transaction() as session:
        save_program(session, portal_id, offers_program(ids), "test", app.container.clock.now())
    ann = driver.create_contact(emulator, portal, NAME="Ann")
    bob = driver.create_contact(emulator, portal, NAME="Bob")
    kept, reopened = _deal(emulator, portal, ids, ann), _deal(emulator, portal, ids, bob)
    for deal in (kept, reopened):
        driver.update_deal(emulator, portal, deal, STAGE_ID="WON")
    app.drain()
    assert support.move(app.container, portal_id, Owner("contact", ann), Decimal("30"), "till", "writeoff")[
        "ok"
    ]
    driver.update_deal(emulator, portal, reopened, STAGE_ID="EXECUTING")
    app.drain()
    with app.db.transaction() as session:
        entities = set(
            session.execute(select(LedgerEntry.legal_entity_id).where(LedgerEntry.amount > 0)).scalars()
        )
        balances = session.execute(select(func.sum(Account.balance))).scalar_one()
    assert entities == {SELLER, SHOP}  # every credit carries its offer's entity or the default
    today = app.container.clock.now().date()
    rows = settlement.report(app.db, portal_id, date(2000, 1, 1), today)
    credited, held = _ledger_by_entity(app)
    assert {r.legal_entity: r.accrued for r in rows} == credited
    assert {r.legal_entity: r.outstanding for r in rows} == held
    assert sum(r.outstanding for r in rows) == balances == Decimal("12.50")
    for row in rows:
        assert row.accrued - row.cancelled - row.spent - row.expired == row.outstanding
    assert sum(r.spent for r in rows) == Decimal("30") and sum(r.cancelled for r in rows) == Decimal("42.50")
    assert (
        main(["settlement", portal.member_id, "2000-01-01", today.isoformat()], container=app.container) == 0
    )
    lines = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert lines[0] == ["legal_entity", "accrued", "cancelled", "spent", "expired", "outstanding"]
    assert lines[-1] == ["total", "85.00", "42.50", "30.00", "0.00", "12.50"]
    with pytest.raises(SystemExit, match="dates are YYYY-MM-DD"):
        main(["settlement", portal.member_id, "2026-13-01", "x"], container=app.container)


def test_without_a_default_the_deals_own_company_owes_it(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    ids = _catalog(emulator, portal)
    portal_id = portal_id_of(app)
    mine = driver_crm.create_client(emulator, portal, "company", title="Seller Ltd", isMyCompany="Y")
    document = offers_program(ids)
    document["legal_entities"] = {"default": None, "from_deal": True}
    with app.db.transaction() as session:
        save_program(session, portal_id, document, "test", app.container.clock.now())
    contact = driver.create_contact(emulator, portal, NAME="Gil")
    linked, plain = _deal(emulator, portal, ids, contact), _deal(emulator, portal, ids, contact)
    driver_crm.link_my_company(emulator, portal, linked, mine)
    for deal in (linked, plain):
        driver.update_deal(emulator, portal, deal, STAGE_ID="WON")
        app.drain()
    with app.db.transaction() as session:
        got = session.execute(
            select(LedgerEntry.deal_id, LedgerEntry.business_key, LedgerEntry.legal_entity_id).order_by(
                LedgerEntry.id
            )
        ).all()
    by_deal = {
        (d, key.split(":")[0] + (":" + key.split(":")[-1] if key.startswith("offer") else "")): e
        for d, key, e in got
    }
    assert by_deal == {
        (linked, "accrual"): mine,  # the rule's accrual: the deal's own company
        (linked, "offer:acc10"): SELLER,  # an offer's own legal entity comes first
        (linked, "offer:hw10"): mine,
        (plain, "accrual"): None,  # no default and no requisite link: none
        (plain, "offer:acc10"): SELLER,
        (plain, "offer:hw10"): None,
    }


def test_the_main_page_shows_administrators_the_settlement_and_its_csv(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    ids = _catalog(emulator, portal)
    with app.db.transaction() as session:
        save_program(session, portal_id_of(app), offers_program(ids), "test", app.container.clock.now())
    deal = _deal(emulator, portal, ids, driver.create_contact(emulator, portal, NAME="Hal"))
    driver.update_deal(emulator, portal, deal, STAGE_ID="WON")
    app.drain()
    main_page = driver.frame(emulator, portal, CLIENT_ID, app.base_url + "/", 1, [])
    page = emulator.deliver(main_page.url, list(main_page.form), main_page.query)
    assert page.status == 200 and 'id="settlement"' in page.body and f'data-entity="{SELLER}"' in page.body
    today = app.container.clock.now().date().isoformat()
    download = driver.frame(emulator, portal, CLIENT_ID, app.base_url + "/settlement.csv", 1, [])
    form = [*download.form, ("start", "2000-01-01"), ("end", today)]
    answer = emulator.deliver(download.url, form, download.query)
    assert answer.status == 200
    assert answer.body.splitlines()[-1] == "total,42.50,0.00,0.00,0.00,42.50"
    bad = emulator.deliver(download.url, [*download.form, ("start", "soon"), ("end", today)], download.query)
    assert bad.status == 400 and "start" in bad.body
