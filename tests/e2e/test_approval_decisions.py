"""Deciding and applying requests end to end: the seed's three scenarios, decisions on the app's page
and on the kanban (approvers only; a refused move is undone with a note), a decision delivered twice
applied once, bonus points through the ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from b24app.clock import FrozenClock
from registry.ledger.models import LedgerEntry
from tests.e2e import approvals_support as a
from tests.emulator import driver, driver_crm
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.protocol import Delivery
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness

DELAYED = {"UF_CRM_ACTUAL_END": "2026-01-20", "UF_CRM_EXPECTED_END": "2026-01-14"}
ON_TIME = {"UF_CRM_ACTUAL_END": "2026-01-10", "UF_CRM_EXPECTED_END": "2026-01-14"}


@pytest.fixture
def app_clock(clock: FrozenClock) -> FrozenClock:
    return clock


@pytest.fixture
def seed(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> a.Seed:
    s = a.seed(emulator, portal)
    a.program(app, {"approvals": a.definitions(s)})
    return s


def decide(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, user_id: int, request_id: int, decision: str
) -> Delivery:
    page = driver.frame(emulator, portal, CLIENT_ID, app.base_url + "/approvals/decide", user_id, [])
    form = [*page.form, ("request_id", str(request_id)), ("decision", decision)]
    answer = emulator.deliver(page.url, form, page.query)
    app.drain()
    return answer


def _item(app: AppHarness, portal: EmuPortal) -> tuple[int, dict[str, object]]:
    etid = int(a.requests_type(app)["entity_type_id"])
    [item] = portal.items[etid].values()
    return etid, item


def _stage(app: AppHarness, status: str) -> str:
    return str(a.requests_type(app)["stages"][status])


def test_scenario_1_monthly_compensation_approved_then_applied_to_the_main_service(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, seed: a.Seed
) -> None:
    deal = a.deal(emulator, portal, [(seed.monthly, "30", 1), (seed.extra, "10", 1)])
    run = a.request(
        app, emulator, portal, deal, seed.agent, definition="complaint_monthly", amount="20", reason="x"
    )
    [request] = a.requests(app)
    page = decide(app, emulator, portal, seed.supervisor, request.id, "approve")
    assert page.status == 200 and "одобрена" in page.body
    [request] = a.requests(app)
    assert (request.status, request.approved_by) == ("approved", f"user:{seed.supervisor}")
    assert request.applied_at is not None
    rows = a.rows_of(portal, deal)
    assert rows[seed.monthly]["price"] == Decimal("10.00") and rows[seed.monthly]["priceNetto"] == Decimal(
        "30"
    )
    assert rows[seed.monthly]["discountSum"] == Decimal("20.00")
    assert rows[seed.extra]["price"] == Decimal("10")  # an additional service keeps its price
    assert portal.deals[deal]["OPPORTUNITY"] == "20.00"
    assert run.answered and run.return_values["status"] == "approved"
    assert run.return_values["request_id"] == str(request.id) and run.return_values["error_code"] == ""
    assert _item(app, portal)[1]["stageId"] == _stage(app, "approved")


def test_caps_per_month_and_count_per_year(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, seed: a.Seed, clock: FrozenClock
) -> None:
    deal = a.deal(emulator, portal, [(seed.monthly, "30", 1)])

    def ask(amount: str) -> dict[str, str]:
        run = a.request(
            app, emulator, portal, deal, seed.agent, definition="complaint_monthly", amount=amount, reason="x"
        )
        if not run.answered:
            decide(app, emulator, portal, seed.supervisor, a.requests(app)[-1].id, "approve")
        return dict(run.return_values or {})

    assert ask("15")["status"] == "approved"
    assert ask("10")["error_code"] == "MONTHLY_CAP"  # 15 + 10 > 20 in January
    assert ask("5")["status"] == "approved"
    clock.advance(days=31)
    assert ask("20")["status"] == "approved"  # February: the third of the year
    clock.advance(days=31)
    assert ask("5")["error_code"] == "YEARLY_COUNT"


def test_scenario_2_half_off_the_installation_fee_on_a_delayed_job_only(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, seed: a.Seed
) -> None:
    manual_only = [d for d in a.definitions(seed) if d["code"] != "late_install_auto"]
    a.program(app, {"approvals": manual_only})  # the automatic €20 is scenario 3
    deal = a.deal(emulator, portal, [(seed.install_fee, "100", 1), (seed.monthly, "30", 1)], **DELAYED)
    run = a.request(
        app, emulator, portal, deal, seed.agent, definition="late_install", percent="50", reason="Late"
    )
    [request] = a.requests(app)
    assert request.status == "pending"
    assert decide(app, emulator, portal, seed.supervisor, request.id, "approve").status == 200
    rows = a.rows_of(portal, deal)
    assert rows[seed.install_fee]["price"] == Decimal("50.00") and rows[seed.install_fee]["priceNetto"] == 100
    assert rows[seed.monthly]["price"] == Decimal("30")
    assert run.return_values and run.return_values["status"] == "approved"


def test_scenario_3_automatic_20_off_the_installation_fee_without_a_request(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, seed: a.Seed
) -> None:
    late = a.deal(emulator, portal, [(seed.install_fee, "100", 1), (seed.monthly, "30", 1)], **DELAYED)
    on_time = a.deal(emulator, portal, [(seed.install_fee, "100", 1)], **ON_TIME)
    no_fee = a.deal(emulator, portal, [(seed.monthly, "30", 1)], **DELAYED)
    app.drain()
    [request] = a.requests(app)
    assert (request.deal_id, request.mode, request.status, request.approved_by) == (
        late,
        "automatic",
        "approved",
        "system",
    )
    assert a.rows_of(portal, late)[seed.install_fee]["price"] == Decimal("80.00")
    assert a.rows_of(portal, late)[seed.monthly]["price"] == Decimal("30")
    assert a.rows_of(portal, on_time)[seed.install_fee]["price"] == Decimal("100")
    assert a.rows_of(portal, no_fee)[seed.monthly]["price"] == Decimal("30")
    driver.update_deal(emulator, portal, late, TITLE="Job (billed)")  # the deal changes again
    app.drain()
    assert len(a.requests(app)) == 1 and a.rows_of(portal, late)[seed.install_fee]["price"] == Decimal(
        "80.00"
    )


def test_a_non_approver_is_refused_on_the_page_and_on_the_kanban(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, seed: a.Seed
) -> None:
    deal = a.deal(emulator, portal, [(seed.monthly, "30", 1)])
    run = a.request(
        app, emulator, portal, deal, seed.agent, definition="complaint_monthly", amount="20", reason="x"
    )
    [request] = a.requests(app)
    page = decide(app, emulator, portal, seed.other, request.id, "approve")
    assert page.status == 403 and "не согласующий" in page.body
    etid, item = _item(app, portal)
    driver_crm.move_item(
        emulator, portal, etid, int(str(item["id"])), _stage(app, "approved"), user_id=seed.other
    )
    app.drain()
    assert a.requests(app)[0].status == "pending" and not run.answered
    assert _item(app, portal)[1]["stageId"] == _stage(app, "pending")  # the move was undone
    notes = [c for c in portal.comments if c["ENTITY_TYPE"] == f"dynamic_{etid}"]
    assert len(notes) == 1 and "только согласующий" in notes[0]["COMMENT"]
    assert a.rows_of(portal, deal)[seed.monthly]["price"] == Decimal("30")
    driver_crm.move_item(emulator, portal, etid, int(str(item["id"])), _stage(app, "approved"), user_id=None)
    app.drain()  # automation carries no user: not a decision either
    assert a.requests(app)[0].status == "pending"


def test_an_approver_decides_on_the_kanban_and_a_decision_is_final(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, seed: a.Seed
) -> None:
    deal = a.deal(emulator, portal, [(seed.monthly, "30", 1)])
    run = a.request(
        app, emulator, portal, deal, seed.agent, definition="complaint_monthly", amount="10", reason="x"
    )
    etid, item = _item(app, portal)
    item_id = int(str(item["id"]))
    driver_crm.move_item(emulator, portal, etid, item_id, _stage(app, "cancelled"), user_id=seed.supervisor)
    app.drain()
    [request] = a.requests(app)
    assert (request.status, request.cancelled_by) == ("cancelled", f"user:{seed.supervisor}")
    assert run.return_values and (run.return_values["status"], run.return_values["error_code"]) == (
        "refused",
        "CANCELLED",
    )
    driver_crm.move_item(emulator, portal, etid, item_id, _stage(app, "approved"), user_id=seed.supervisor)
    app.drain()
    assert a.requests(app)[0].status == "cancelled"  # final: the move is undone
    assert _item(app, portal)[1]["stageId"] == _stage(app, "cancelled")
    assert decide(app, emulator, portal, seed.supervisor, request.id, "approve").status == 409
    assert a.rows_of(portal, deal)[seed.monthly]["price"] == Decimal("30")


def test_a_decision_delivered_twice_is_applied_once(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, seed: a.Seed
) -> None:
    deal = a.deal(emulator, portal, [(seed.monthly, "30", 1)])
    a.request(
        app, emulator, portal, deal, seed.agent, definition="complaint_monthly", amount="20", reason="x"
    )
    [request] = a.requests(app)
    etid, item = _item(app, portal)
    assert decide(app, emulator, portal, seed.supervisor, request.id, "approve").status == 200
    assert decide(app, emulator, portal, seed.supervisor, request.id, "approve").status == 409
    driver_crm.move_item(
        emulator, portal, etid, int(str(item["id"])), _stage(app, "pending"), user_id=seed.supervisor
    )
    app.drain()  # an approved request is not reopened
    assert _item(app, portal)[1]["stageId"] == _stage(app, "approved")
    assert a.rows_of(portal, deal)[seed.monthly]["price"] == Decimal("10.00")
    assert [r.status for r in a.requests(app)] == ["approved"]


def test_bonus_points_are_accrued_through_the_ledger_once(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, seed: a.Seed
) -> None:
    deal = a.deal(emulator, portal, [(seed.monthly, "30", 1)])
    a.request(app, emulator, portal, deal, seed.agent, definition="goodwill", amount="150", reason="Sorry")
    [request] = a.requests(app)
    decide(app, emulator, portal, seed.supervisor, request.id, "approve")
    decide(app, emulator, portal, seed.supervisor, request.id, "approve")
    with app.db.transaction() as session:
        entries = [(e.kind, e.amount, e.source) for e in session.execute(select(LedgerEntry)).scalars()]
    assert entries == [("request_accrual", Decimal("150.00"), f"request:{request.id}")]
    company = a.requests(app)[0].owner_id
    assert float(portal.companies[company]["UF_CRM_BONUS_BALANCE"]) == 150.0


def test_the_main_page_lists_the_approvers_requests_and_bad_input_is_a_page(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, seed: a.Seed
) -> None:
    deal = a.deal(emulator, portal, [(seed.monthly, "30", 1)])
    a.request(
        app, emulator, portal, deal, seed.agent, definition="complaint_monthly", amount="20", reason="Outage"
    )
    [request] = a.requests(app)

    def main_page(user_id: int) -> Delivery:
        page = driver.frame(
            emulator, portal, CLIENT_ID, app.base_url + "/", user_id, [("PLACEMENT", "DEFAULT")]
        )
        return emulator.deliver(page.url, page.form, page.query)

    supervisor = main_page(seed.supervisor)
    assert supervisor.status == 200 and f'data-request="{request.id}"' in supervisor.body
    assert 'id="approvals-panel"' not in main_page(seed.agent).body
    listed = driver.frame(emulator, portal, CLIENT_ID, app.base_url + "/approvals", seed.supervisor, [])
    assert f'data-request="{request.id}"' in emulator.deliver(listed.url, listed.form, listed.query).body
    bad = decide(app, emulator, portal, seed.supervisor, request.id, "maybe")
    assert bad.status == 400 and "decision" in bad.body and "<html" in bad.body
    assert a.requests(app)[0].status == "pending"


def test_a_free_period_adds_free_units_of_the_product_once(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, seed: a.Seed
) -> None:
    free = {
        "code": "free_month",
        "kind": "free_period",
        "range": {"min": 1, "max": 3},
        "products": {"ids": [seed.monthly]},
        "approval": {"mode": "manual", "approvers": [seed.supervisor]},
    }
    a.program(app, {"approvals": [*a.definitions(seed), free]})
    deal = a.deal(emulator, portal, [(seed.monthly, "30", 1), (seed.extra, "10", 1)])
    run = a.request(
        app, emulator, portal, deal, seed.agent, definition="free_month", amount="2", reason="Outage"
    )
    [request] = a.requests(app)
    decide(app, emulator, portal, seed.supervisor, request.id, "approve")
    decide(app, emulator, portal, seed.supervisor, request.id, "approve")
    rows = [r for r in portal.rows.values() if r["ownerType"] == "D" and r["ownerId"] == deal]
    added = [r for r in rows if r["productId"] == seed.monthly and r["price"] == 0]
    assert len(rows) == 3 and len(added) == 1 and added[0]["quantity"] == 2
    assert added[0]["priceNetto"] == Decimal("30")  # the list price shows what was given
    assert portal.deals[deal]["OPPORTUNITY"] == "40.00"
    assert run.return_values and run.return_values["status"] == "approved"
