"""Workflow robots end to end: bonus_writeoff and bonus_accrue started by the emulator's bizproc engine."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from b24app.clock import FrozenClock
from b24app.models import OutboxMessage, Portal
from install.services.status import portal_status
from registry.ledger.models import Account, LedgerEntry, Lot, LotDraw
from registry.program.document import save_program
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.portal import RobotRun
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of


@pytest.fixture
def app_clock(clock: FrozenClock) -> FrozenClock:
    return clock


def _won_deal(emulator: Emulator, portal: EmuPortal, amount: str, **client: Any) -> int:
    return driver.create_deal(emulator, portal, TITLE="d", OPPORTUNITY=amount, STAGE_ID="WON", **client)


def _robot(
    app: AppHarness,
    emulator: Emulator,
    portal: EmuPortal,
    document: str,
    code: str = "bonus_writeoff",
    **props: Any,
) -> RobotRun:
    entity = document.split("_")[0].title()
    run, delivery = driver.start_robot(
        emulator, portal, CLIENT_ID, code, ["crm", f"CCrmDocument{entity}", document], props
    )
    assert delivery.status == 200
    app.drain()
    return run


def _program(app: AppHarness, **settings: Any) -> None:
    with app.db.transaction() as session:
        save_program(session, portal_id_of(app), settings, "test", app.container.clock.now())


def _kinds(app: AppHarness) -> list[tuple[str, Decimal]]:
    with app.db.transaction() as session:
        return [
            (e.kind, e.amount)
            for e in session.execute(select(LedgerEntry).order_by(LedgerEntry.id)).scalars()
        ]


def test_write_off_from_a_deal(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> None:
    company = driver.create_company(emulator, portal, TITLE="ACME")
    deal = _won_deal(emulator, portal, "2000", COMPANY_ID=company)
    app.drain()
    run = _robot(app, emulator, portal, f"DEAL_{deal}", amount="30", comment="Скидка на заказ")
    assert run.answered and run.return_values == {
        "ok": "Y",
        "written_off": "30.00",
        "balance": "70.00",
        "error_code": "",
        "error_message": "",
    }
    assert run.log == ["Списано 30,00 бонусов. Баланс: 70,00"]
    assert _kinds(app) == [("accrual", Decimal("100.00")), ("write_off", Decimal("-30.00"))]
    with app.db.transaction() as session:
        lot = session.execute(select(Lot)).scalar_one()
        draws = [(d.lot_id, d.amount) for d in session.execute(select(LotDraw)).scalars()]
        assert lot.remaining == Decimal("70.00") and draws == [(lot.id, Decimal("30.00"))]
    etid = next(iter(portal.types.values()))["entityTypeId"]
    items = sorted(portal.items[etid].values(), key=lambda i: int(i["id"]))
    assert str(items[-1]["stageId"]).endswith(":SUCCESS") and items[-1]["parentId2"] == deal
    assert float(portal.companies[company]["UF_CRM_BONUS_BALANCE"]) == 70.0
    assert any(c["COMMENT"].startswith("Списано 30,00 бонусов.") for c in portal.comments)


def test_write_off_from_a_contact_draws_fifo_by_expiry(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, clock: FrozenClock
) -> None:
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    _won_deal(emulator, portal, "1000", CONTACT_ID=contact)  # 50, lives 365 days
    app.drain()
    _program(app, lifetime_days=30)
    _won_deal(emulator, portal, "400", CONTACT_ID=contact)  # 20, lives 30 days: spent first
    app.drain()
    clock.advance(days=1)
    run = _robot(app, emulator, portal, f"CONTACT_{contact}", amount="25")
    assert run.return_values and run.return_values["balance"] == "45.00"
    with app.db.transaction() as session:
        lots = {lot.amount: lot.remaining for lot in session.execute(select(Lot)).scalars()}
    assert lots == {Decimal("50.00"): Decimal("45.00"), Decimal("20.00"): Decimal("0.00")}


@pytest.mark.parametrize(
    ("props", "code"),
    [
        ({"amount": "abc"}, "BAD_AMOUNT"),
        ({"amount": "-5"}, "BAD_AMOUNT"),
        ({"amount": "0.001"}, "BAD_AMOUNT"),
        ({"amount": "150"}, "INSUFFICIENT_BALANCE"),
    ],
)
def test_refusals_are_answers(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, props: dict[str, str], code: str
) -> None:
    company = driver.create_company(emulator, portal, TITLE="ACME")
    deal = _won_deal(emulator, portal, "2000", COMPANY_ID=company)
    app.drain()
    run = _robot(app, emulator, portal, f"DEAL_{deal}", **props)
    assert run.return_values is not None
    assert run.return_values["ok"] == "N" and run.return_values["error_code"] == code
    assert run.return_values["balance"] == "100.00" and run.return_values["error_message"]
    assert _kinds(app) == [("accrual", Decimal("100.00"))]


def test_no_client_blocked_and_caps(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> None:
    lonely = _won_deal(emulator, portal, "500")
    company = driver.create_company(emulator, portal, TITLE="ACME")
    deal = _won_deal(emulator, portal, "2000", COMPANY_ID=company)
    app.drain()
    assert (
        _robot(app, emulator, portal, f"DEAL_{lonely}", amount="1").return_values["error_code"] == "NO_CLIENT"
    )  # type: ignore[index]
    _program(app, writeoff_max_per_operation=20)
    refused = _robot(app, emulator, portal, f"DEAL_{deal}", amount="25").return_values
    assert refused and refused["error_code"] == "CAP_EXCEEDED" and "20,00" in refused["error_message"]
    _program(app, writeoff_max_deal_share=2)  # at most 2% of 2000 = 40 on this deal
    assert _robot(app, emulator, portal, f"DEAL_{deal}", amount="30").return_values["ok"] == "Y"  # type: ignore[index]
    over = _robot(app, emulator, portal, f"DEAL_{deal}", amount="15").return_values
    assert over and over["error_code"] == "CAP_EXCEEDED"
    with app.db.transaction() as session:
        session.execute(update(Account).values(blocked=True))
    blocked = _robot(app, emulator, portal, f"COMPANY_{company}", amount="1").return_values
    assert blocked and blocked["error_code"] == "BLOCKED" and blocked["error_message"].startswith("Бонусный")


def test_repeated_delivery_writes_off_once(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> None:
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    _won_deal(emulator, portal, "1000", CONTACT_ID=contact)
    app.drain()
    run, first = driver.start_robot(
        emulator,
        portal,
        CLIENT_ID,
        "bonus_writeoff",
        ["crm", "CCrmDocumentContact", f"CONTACT_{contact}"],
        {"amount": "10"},
    )
    again = emulator.deliver(first.url, list(first.form))
    assert first.status == again.status == 200
    app.drain()
    assert _kinds(app) == [("accrual", Decimal("50.00")), ("write_off", Decimal("-10.00"))]
    assert run.return_values and run.return_values["balance"] == "40.00"
    sends = [c for c in emulator.requests.calls("bizproc.event.send")]
    assert len(sends) == 1


def test_answer_survives_portal_failures(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, clock: FrozenClock
) -> None:
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    _won_deal(emulator, portal, "1000", CONTACT_ID=contact)
    app.drain()
    emulator.faults.fail_next(1, status=503, code="INTERNAL_SERVER_ERROR", method="batch")
    emulator.faults.lose_response_next(1, method="batch")
    run = _robot(app, emulator, portal, f"CONTACT_{contact}", amount="10")
    for _ in range(6):
        clock.advance(minutes=10)
        app.skew += timedelta(minutes=10)
        app.container.jobs.enqueue_lane(portal_id_of(app), force=True)
        app.drain()
    assert run.answered and run.return_values and run.return_values["ok"] == "Y"
    assert _kinds(app) == [("accrual", Decimal("50.00")), ("write_off", Decimal("-10.00"))]
    with app.db.transaction() as session:
        answer = session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == "workflow_answer")
        ).scalar_one()
    assert answer.status == "done"


def test_answer_marked_failed_after_a_day_of_failures(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, clock: FrozenClock
) -> None:
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    _won_deal(emulator, portal, "1000", CONTACT_ID=contact)
    app.drain()
    emulator.faults.down_for(10**9, method="bizproc.event.send")
    _robot(app, emulator, portal, f"CONTACT_{contact}", amount="10")
    for _ in range(5):
        clock.advance(hours=6)
        app.skew += timedelta(hours=6)
        app.container.jobs.enqueue_lane(portal_id_of(app), force=True)
        app.drain()
    with app.db.transaction() as session:
        answer = session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == "workflow_answer")
        ).scalar_one()
    assert answer.status == "failed" and answer.last_error
    with app.db.transaction() as session:
        status = portal_status(session, session.get_one(Portal, portal_id_of(app)), 0)
    assert "workflow_answer" in [m["kind"] for m in status["failed_messages"]]


def test_manual_accrual_robot(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> None:
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    document = f"CONTACT_{contact}"
    missing = _robot(app, emulator, portal, document, "bonus_accrue", amount="10").return_values
    assert missing and missing["error_code"] == "REASON_REQUIRED"
    big = _robot(app, emulator, portal, document, "bonus_accrue", amount="20000", reason="VIP").return_values
    assert big and big["error_code"] == "APPROVAL_REQUIRED"
    ok = _robot(
        app, emulator, portal, document, "bonus_accrue", amount="75", reason="Компенсация"
    ).return_values
    assert ok == {"ok": "Y", "accrued": "75.00", "balance": "75.00", "error_code": "", "error_message": ""}
    assert float(portal.contacts[contact]["UF_CRM_BONUS_BALANCE"]) == 75.0
    assert any(c["COMMENT"] == "Начислено 75,00 бонусов: Компенсация. Баланс: 75,00" for c in portal.comments)


def test_smart_process_document_resolves_to_its_client(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    company = driver.create_company(emulator, portal, TITLE="ACME")
    _won_deal(emulator, portal, "2000", COMPANY_ID=company)
    app.drain()
    etid = next(iter(portal.types.values()))["entityTypeId"]
    item_id = next(iter(portal.items[etid]))  # any item linked to the company will do
    document = ["crm", "Bitrix\\Crm\\Integration\\BizProc\\Document\\Dynamic", f"DYNAMIC_{etid}_{item_id}"]
    run, delivery = driver.start_robot(
        emulator, portal, CLIENT_ID, "bonus_writeoff", document, {"amount": "5"}
    )
    assert delivery.status == 200
    app.drain()
    assert run.return_values and run.return_values["ok"] == "Y" and run.return_values["balance"] == "95.00"
    gone = ["crm", "Bitrix\\Crm\\Integration\\BizProc\\Document\\Dynamic", f"DYNAMIC_{etid}_999999"]
    run, _ = driver.start_robot(emulator, portal, CLIENT_ID, "bonus_writeoff", gone, {"amount": "5"})
    app.drain()
    assert run.return_values and run.return_values["error_code"] == "DOCUMENT_NOT_FOUND"
