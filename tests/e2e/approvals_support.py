"""Shared set-up of the approvals tests: the seed's catalog (subscriptions, installation fee), people
(a supervisor heading Customer Care, an agent), definitions, deals with product rows, robot runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from b24app.models import OutboxMessage, ProvisionedObject
from registry.bonuses.request_models import ApprovalRequest
from registry.program.document import save_program
from tests.emulator import driver, driver_setup
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.portal import RobotRun
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of


@dataclass(frozen=True)
class Seed:
    supervisor: int
    agent: int
    other: int  # a member of another department: no approver
    care: int  # the Customer Care department
    subscriptions: int  # catalog section
    monthly: int  # product: the monthly subscription (main service)
    extra: int  # product: an additional service
    install_fee: int  # product: the installation service fee


def seed(emulator: Emulator, portal: EmuPortal) -> Seed:
    supervisor = driver_setup.add_user(emulator, portal, "Sue", last_name="Supervisor")
    care = driver_setup.add_department(emulator, portal, "Customer Care", head=supervisor)
    driver_setup.set_departments(emulator, portal, supervisor, [care])
    agent = driver_setup.add_user(emulator, portal, "Al", last_name="Agent")
    other = driver_setup.add_user(emulator, portal, "Olga", last_name="Other")
    section = driver_setup.add_section(emulator, portal, "Subscription packages")
    services = driver_setup.add_section(emulator, portal, "Services")
    monthly = driver_setup.add_product(emulator, portal, "Monthly subscription", section=section)
    extra = driver_setup.add_product(emulator, portal, "Extra TV channels", section=services)
    fee = driver_setup.add_product(emulator, portal, "Installation service fee", section=services)
    return Seed(supervisor, agent, other, care, section, monthly, extra, fee)


def definitions(s: Seed) -> list[dict[str, Any]]:
    """The seed's three definitions, and a plain bonus compensation."""
    manual = {"mode": "manual", "departments": [s.care]}
    delayed = [{"field": "UF_CRM_ACTUAL_END", "op": ">", "other": "UF_CRM_EXPECTED_END"}]
    return [
        {
            "code": "complaint_monthly",
            "name": "Complaint compensation (monthly subscribers)",
            "kind": "discount_amount",
            "range": {"min": 5, "max": 20},
            "valid_from": "2026-01-01",
            "valid_to": "2026-12-31",
            "per_month_max": 20,
            "per_year_count": 3,
            "products": {"sections": [s.subscriptions]},
            "approval": manual,
        },
        {
            "code": "late_install",
            "name": "Late installation: 50% off the fee",
            "kind": "discount_percent",
            "range": {"min": 50, "max": 50},
            "valid_from": "2026-01-01",
            "valid_to": "2026-12-31",
            "products": {"ids": [s.install_fee]},
            "segment": delayed,
            "approval": manual,
        },
        {
            "code": "late_install_auto",
            "name": "Late installation: 20 off the fee",
            "kind": "discount_amount",
            "range": {"min": 20, "max": 20},
            "valid_from": "2026-01-01",
            "valid_to": "2026-12-31",
            "products": {"ids": [s.install_fee]},
            "approval": {"mode": "automatic"},
            "auto_apply": True,
            "auto_condition": delayed,
        },
        {
            "code": "goodwill",
            "name": "Goodwill bonuses",
            "kind": "bonus_points",
            "range": {"min": 1, "max": 500},
            "per_month_max": 600,
            "approval": {"mode": "manual", "approvers": [s.supervisor]},
        },
    ]


def program(app: AppHarness, document: dict[str, Any]) -> None:
    with app.db.transaction() as session:
        save_program(session, portal_id_of(app), document, "test", app.container.clock.now())


def deal(emulator: Emulator, portal: EmuPortal, rows: list[tuple[int, str, int]], **fields: Any) -> int:
    """A deal of a client company with product rows (product, price, quantity)."""
    company = driver.create_company(emulator, portal, TITLE="ACME")
    deal_id = driver.create_deal(emulator, portal, TITLE="Job", COMPANY_ID=company, **fields)
    driver.set_product_rows(
        emulator,
        portal,
        deal_id,
        [{"PRODUCT_ID": p, "PRICE": price, "QUANTITY": q} for p, price, q in rows],
    )
    return deal_id


def request(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, deal_id: int, user_id: int, **props: Any
) -> RobotRun:
    run, delivery = driver.start_robot(
        emulator,
        portal,
        CLIENT_ID,
        "bonus_request",
        ["crm", "CCrmDocumentDeal", f"DEAL_{deal_id}"],
        props,
        user_id,
    )
    assert delivery.status == 200
    app.drain()
    return run


def requests(app: AppHarness) -> list[ApprovalRequest]:
    with app.db.transaction() as session:
        rows = list(session.execute(select(ApprovalRequest).order_by(ApprovalRequest.id)).scalars())
        session.expunge_all()
        return rows


def requests_type(app: AppHarness) -> dict[str, Any]:
    with app.db.transaction() as session:
        row = session.execute(
            select(ProvisionedObject).where(
                ProvisionedObject.kind == "smart_process", ProvisionedObject.key == "requests"
            )
        ).scalar_one()
        return dict(row.details)


def rows_of(portal: EmuPortal, deal_id: int) -> dict[int, dict[str, Any]]:
    """The deal's product rows by product id."""
    return {
        int(r["productId"]): r
        for r in portal.rows.values()
        if r["ownerType"] == "D" and r["ownerId"] == deal_id
    }


def outbox_errors(app: AppHarness) -> list[tuple[str, str | None]]:
    with app.db.transaction() as session:
        return [
            (m.kind, m.last_error) for m in session.execute(select(OutboxMessage)).scalars() if m.last_error
        ]
