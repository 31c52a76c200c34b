"""CRM.COM's reward offers on product rows: "10% on each accessory" per item, "€10 off hardware
purchases" on the transaction, on top of the general rule; the preview equals what the win accrues."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from b24app.gateway import PortalClient
from b24app.models import InboxEvent
from registry.bonuses.card import deal_part
from registry.bonuses.reward_models import DealReward
from registry.ledger.audit import audit
from registry.ledger.models import LedgerEntry
from registry.program.document import current_program, save_program
from registry.services.instant_step import request_apply_offers
from registry.services.preview import as_json, preview_deal
from tests.e2e.api_support import Api, make_key
from tests.emulator import driver, driver_setup, productrows
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.protocol import Delivery
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of

SELLER, SHOP = 901, 902  # the portal's own companies (legal entities)


def _catalog(emulator: Emulator, portal: EmuPortal) -> dict[str, int]:
    accessories = driver_setup.add_section(emulator, portal, "Accessories")
    cases = driver_setup.add_section(emulator, portal, "Cases", parent=accessories)
    hardware = driver_setup.add_section(emulator, portal, "Hardware")
    return {
        "accessories": accessories,
        "hardware": hardware,
        "case": driver_setup.add_product(emulator, portal, "Phone case", section=cases),
        "cable": driver_setup.add_product(emulator, portal, "Cable", section=accessories),
        "router": driver_setup.add_product(emulator, portal, "Router", section=hardware),
        "service": driver_setup.add_product(emulator, portal, "Setup service"),
    }


def offers_program(ids: dict[str, int], spend: str = "accumulate") -> dict[str, Any]:
    return {
        "legal_entities": {"default": SHOP, "companies": [SELLER, SHOP]},
        "offers": [
            {
                "code": "acc10",
                "name": "10% on each accessory",
                "basis": "per_item",
                "products": {"sections": [ids["accessories"]]},
                "percent": 10,
                "spend": spend,
                "legal_entity": SELLER,
            },
            {
                "code": "hw10",
                "name": "10 off hardware purchases",
                "basis": "transaction",
                "products": {"sections": [ids["hardware"]]},
                "points": 10,
                "spend": spend,
            },
        ],
    }


def _save(app: AppHarness, document: dict[str, Any]) -> None:
    with app.db.transaction() as session:
        save_program(session, portal_id_of(app), document, "test", app.container.clock.now())


def _deal(emulator: Emulator, portal: EmuPortal, ids: dict[str, int], contact: int) -> int:
    deal = driver.create_deal(emulator, portal, TITLE="shop", CONTACT_ID=contact, CURRENCY_ID="EUR")
    rows = [
        {"PRODUCT_ID": ids["case"], "PRICE": "20", "QUANTITY": "3"},
        {"PRODUCT_ID": ids["cable"], "PRICE": "15", "QUANTITY": "1"},
        {"PRODUCT_ID": ids["router"], "PRICE": "200", "QUANTITY": "2"},
        {"PRODUCT_ID": ids["service"], "PRICE": "25", "QUANTITY": "1"},
    ]
    driver.set_product_rows(emulator, portal, deal, rows)
    return deal


def _accruals(app: AppHarness) -> list[tuple[str, str, Decimal, int | None]]:
    with app.db.transaction() as session:
        rows = session.execute(select(LedgerEntry).order_by(LedgerEntry.id)).scalars()
        return [(e.kind, e.business_key.split(":")[0], e.amount, e.legal_entity_id) for e in rows]


def test_offers_accumulate_on_top_of_the_rule_and_match_the_preview(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    ids = _catalog(emulator, portal)
    _save(app, offers_program(ids))
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    deal = _deal(emulator, portal, ids, contact)
    client = PortalClient(app.db, app.container.settings, portal_id_of(app))
    before = preview_deal(app.db, client, portal_id_of(app), deal, app.container.clock.now())
    # rule 5% of 500; accessories 10% per row: 6.00 + 1.50; hardware: 10 points on the purchase
    assert (before.rule, [(o.code, o.amount) for o in before.offers]) == (
        Decimal("25.00"),
        [("acc10", Decimal("7.50")), ("hw10", Decimal("10"))],
    )
    assert as_json(before)["points"] == "42.50" and before.instant == [] and before.bundles == []
    app.drain()  # the deal step has seen the deal: the card tab previews from what it kept
    portal_id = portal_id_of(app)
    with app.db.transaction() as session:
        program = current_program(session, portal_id)
        card = deal_part(session, portal_id, deal, program, None, app.container.clock.now())
    assert card.preview == Decimal("42.50")
    driver.update_deal(emulator, portal, deal, STAGE_ID="WON")
    app.drain()
    assert _accruals(app) == [
        ("accrual", "accrual", Decimal("25.00"), SHOP),
        ("accrual", "offer", Decimal("7.50"), SELLER),
        ("accrual", "offer", Decimal("10.00"), SHOP),
    ]
    accrued = sum((amount for _, _, amount, _ in _accruals(app)), Decimal("0"))
    assert accrued == before.points  # the preview is what the win accrues
    assert float(portal.contacts[contact]["UF_CRM_BONUS_BALANCE"]) == 42.5


def test_reopen_reverses_offers_and_a_new_win_accrues_them_once_more(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    ids = _catalog(emulator, portal)
    _save(app, offers_program(ids))
    contact = driver.create_contact(emulator, portal, NAME="Bob")
    deal = _deal(emulator, portal, ids, contact)
    driver.update_deal(emulator, portal, deal, STAGE_ID="WON")
    app.drain()
    driver.update_deal(emulator, portal, deal, TITLE="still won")  # a repeat: nothing more
    app.drain()
    driver.update_deal(emulator, portal, deal, STAGE_ID="EXECUTING")
    app.drain()
    driver.update_deal(emulator, portal, deal, STAGE_ID="WON")
    app.drain()
    portal_id = portal_id_of(app)
    kinds = [(kind, source) for kind, source, _, _ in _accruals(app)]
    assert kinds == [
        ("accrual", "accrual"),
        ("accrual", "offer"),
        ("accrual", "offer"),
        ("reversal", "reversal"),
        ("reversal", "reversal"),
        ("reversal", "reversal"),
        ("accrual", "accrual"),
        ("accrual", "offer"),
        ("accrual", "offer"),
    ]
    with app.db.transaction() as session:
        rewards = session.execute(select(DealReward.generation, DealReward.status)).all()
        assert sorted(rewards) == [(1, "reversed"), (1, "reversed"), (2, "active"), (2, "active")]
        assert audit(session, portal_id) == []
    assert float(portal.contacts[contact]["UF_CRM_BONUS_BALANCE"]) == 42.5


def test_offer_validity_and_segment(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> None:
    ids = _catalog(emulator, portal)
    document = offers_program(ids)
    document["offers"][0]["valid_to"] = "2000-01-01"  # over long ago
    document["offers"][1]["segment"] = {"clients": "companies"}  # contacts are not in it
    _save(app, document)
    contact = driver.create_contact(emulator, portal, NAME="Cid")
    deal = _deal(emulator, portal, ids, contact)
    driver.update_deal(emulator, portal, deal, STAGE_ID="WON")
    app.drain()
    assert _accruals(app) == [("accrual", "accrual", Decimal("25.00"), SHOP)]


def _rows(portal: EmuPortal, deal: int) -> list[tuple[Decimal, Decimal]]:
    rows = productrows.rows_of(portal, productrows.resolve_owner(portal, "D", deal))
    return [(r["price"], r["discountSum"]) for r in rows]


def test_instant_offers_discount_the_rows_instead_of_accruing(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    ids = _catalog(emulator, portal)
    _save(app, offers_program(ids, spend="instant"))
    contact = driver.create_contact(emulator, portal, NAME="Dee")
    deal = _deal(emulator, portal, ids, contact)
    portal_id = portal_id_of(app)
    client = PortalClient(app.db, app.container.settings, portal_id)
    before = preview_deal(app.db, client, portal_id, deal, app.container.clock.now())
    assert (before.discount, before.offers) == (Decimal("17.50"), [])
    for _ in range(2):  # asked twice: applied once
        request_apply_offers(app.container, portal_id, deal, "user:1")
        app.drain()
    assert _rows(portal, deal) == [
        (Decimal("18"), Decimal("2")),  # 10% off each accessory
        (Decimal("13.5"), Decimal("1.5")),
        (Decimal("195"), Decimal("5")),  # 10 off the hardware purchase, 5 a unit
        (Decimal("25"), Decimal("0")),
    ]
    assert portal.deals[deal]["OPPORTUNITY"] == "482.50"
    after = preview_deal(app.db, client, portal_id, deal, app.container.clock.now())
    assert (after.instant, after.offers, after.rule) == ([], [], Decimal("24.13"))
    driver.update_deal(emulator, portal, deal, STAGE_ID="WON")
    app.drain()
    assert _accruals(app) == [("accrual", "accrual", Decimal("24.13"), SHOP)]  # no bonuses for the offers
    with app.db.transaction() as session:
        applied = session.execute(select(DealReward.code, DealReward.status).order_by(DealReward.code)).all()
    assert applied == [("acc10", "applied"), ("hw10", "applied")]


def test_instant_offers_are_not_applied_to_a_won_deal(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    ids = _catalog(emulator, portal)
    _save(app, offers_program(ids, spend="instant"))
    deal = _deal(emulator, portal, ids, driver.create_contact(emulator, portal, NAME="Eve"))
    driver.update_deal(emulator, portal, deal, STAGE_ID="WON")
    app.drain()
    request_apply_offers(app.container, portal_id_of(app), deal, "user:1")
    app.drain()
    assert _rows(portal, deal)[0] == (Decimal("20"), Decimal("0"))
    with app.db.transaction() as session:
        row = session.execute(
            select(InboxEvent.status, InboxEvent.error).where(InboxEvent.kind == "apply_offers")
        ).one()
    assert tuple(row) == ("skipped", "deal already won")


def _apply_from_tab(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, deal: int, **change: str
) -> Delivery:
    """The tab's "Apply offers" form as the portal's frame posts it (``change``: fields to replace)."""
    page = driver.placement_frame(emulator, portal, CLIENT_ID, "CRM_DEAL_DETAIL_TAB", deal)
    form = [(name, change.get(name, value)) for name, value in page.form]
    return emulator.deliver(app.base_url + "/placements/tab/apply-offers", form, page.query)


def _requests(app: AppHarness) -> list[tuple[str, str]]:
    with app.db.transaction() as session:
        rows = session.execute(
            select(InboxEvent.status, InboxEvent.payload).where(InboxEvent.kind == "apply_offers")
        ).all()
    return [(status, payload["actor"]) for status, payload in rows]


def test_the_deal_tab_applies_instant_offers_once_and_refuses_a_won_deal(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    ids = _catalog(emulator, portal)
    _save(app, offers_program(ids, spend="instant"))
    deal = _deal(emulator, portal, ids, driver.create_contact(emulator, portal, NAME="Gus"))
    app.drain()  # the deal step has read the deal: the tab knows it is not won
    opened = driver.open_placement(emulator, portal, CLIENT_ID, "CRM_DEAL_DETAIL_TAB", deal)
    assert opened.status == 200 and 'id="apply-offers"' in opened.body
    for _ in range(2):  # posted twice: applied once
        sent = _apply_from_tab(app, emulator, portal, deal)
        assert sent.status == 200 and 'id="notice"' in sent.body
        app.drain()
    assert _rows(portal, deal) == [
        (Decimal("18"), Decimal("2")),
        (Decimal("13.5"), Decimal("1.5")),
        (Decimal("195"), Decimal("5")),
        (Decimal("25"), Decimal("0")),
    ]
    assert portal.deals[deal]["OPPORTUNITY"] == "482.50"
    assert _requests(app) == [("done", "user:1"), ("done", "user:1")]  # the frame's user, from the portal
    bad = _apply_from_tab(app, emulator, portal, deal, PLACEMENT_OPTIONS="{}")
    assert bad.status == 400 and "PLACEMENT_OPTIONS.ID" in bad.body
    driver.update_deal(emulator, portal, deal, STAGE_ID="WON")
    app.drain()
    refused = _apply_from_tab(app, emulator, portal, deal)
    assert refused.status == 422 and 'data-code="DEAL_WON"' in refused.body
    assert 'id="apply-offers"' not in refused.body and len(_requests(app)) == 2


def test_the_apply_offers_form_needs_instant_offers(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    ids = _catalog(emulator, portal)
    _save(app, offers_program(ids))  # offers that accumulate bonuses: nothing to apply now
    deal = _deal(emulator, portal, ids, driver.create_contact(emulator, portal, NAME="Hal"))
    app.drain()
    opened = driver.open_placement(emulator, portal, CLIENT_ID, "CRM_DEAL_DETAIL_TAB", deal)
    assert opened.status == 200 and 'id="apply-offers"' not in opened.body
    refused = _apply_from_tab(app, emulator, portal, deal)
    assert refused.status == 422 and 'data-code="NO_INSTANT_OFFERS"' in refused.body and _requests(app) == []


def test_the_api_preview_shows_rule_and_offers_and_the_win_accrues_it(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _catalog(emulator, portal)
    _save(app, offers_program(ids))
    contact = driver.create_contact(emulator, portal, NAME="Fay")
    deal = _deal(emulator, portal, ids, contact)
    app.drain()  # the deal step reads the deal (and caches its products' sections)
    api = Api(app, make_key(app, portal, capsys, "till", "read"))
    known = api.post("/preview", {"deal_id": deal}).json()
    basket = [
        {"product_id": ids["case"], "quantity": 3, "price": 20},
        {"product_id": ids["cable"], "quantity": 1, "price": 15},
        {"product_id": ids["router"], "quantity": 2, "price": 200},
        {"product_id": ids["service"], "quantity": 1, "price": 25},
    ]
    purchase = api.post(
        "/preview", {"client": {"type": "contact", "id": contact}, "amount": 500, "products": basket}
    )
    for answer in (known, purchase.json()):
        assert answer["earns"] == "42.50"
        assert [(ln["source"], ln["kind"], ln["amount"]) for ln in answer["lines"]] == [
            ("rule", "percent", "25.00"),
            ("offer", "acc10", "7.50"),
            ("offer", "hw10", "10.00"),
        ]
    driver.update_deal(emulator, portal, deal, STAGE_ID="WON")
    app.drain()
    assert sum((amount for _, _, amount, _ in _accruals(app)), Decimal("0")) == Decimal(known["earns"])


def test_a_variation_matches_by_its_parent_products_section(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    ids = _catalog(emulator, portal)
    red = driver_setup.add_product(emulator, portal, "Phone case, red", parent=ids["case"])
    _save(app, offers_program(ids))
    contact = driver.create_contact(emulator, portal, NAME="Ivy")
    deal = driver.create_deal(emulator, portal, TITLE="variation", CONTACT_ID=contact)
    driver.set_product_rows(emulator, portal, deal, [{"PRODUCT_ID": red, "PRICE": "30", "QUANTITY": "1"}])
    driver.update_deal(emulator, portal, deal, STAGE_ID="WON")
    app.drain()
    assert _accruals(app) == [
        ("accrual", "accrual", Decimal("1.50"), SHOP),
        ("accrual", "offer", Decimal("3.00"), SELLER),  # the red case is an accessory through its parent
    ]
