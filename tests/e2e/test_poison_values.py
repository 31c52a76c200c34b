"""One bad value never stops a portal: each poison is refused or skipped with a reason, and a valid
robot call and a won deal sent after it are processed in the same run."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from b24app.models import Portal
from bootstrap.console import main
from install.services.status import portal_status
from registry.bonuses.models import DealState, Notification
from registry.ledger.models import LedgerEntry
from registry.program.document import save_program
from registry.program.models import ProgramVersion
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.portal import RobotRun
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of


@dataclass
class Behind:
    """A valid write-off and a won deal, sent after the poison."""

    run: RobotRun
    deal: int

    def processed(self, app: AppHarness) -> bool:
        answer = self.run.return_values or {}
        with app.db.transaction() as session:
            accrued = session.execute(
                select(LedgerEntry).where(LedgerEntry.deal_id == self.deal, LedgerEntry.kind == "accrual")
            ).first()
        return self.run.answered and answer.get("ok") == "Y" and accrued is not None


@pytest.fixture
def client(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> int:
    """A contact with 50 bonuses to write off from."""
    contact = driver.create_contact(emulator, portal, NAME="Ann", EMAIL=[{"VALUE": "ann@example.test"}])
    driver.create_deal(emulator, portal, TITLE="d", OPPORTUNITY="1000", CONTACT_ID=contact, STAGE_ID="WON")
    app.drain()
    return contact


def _behind(emulator: Emulator, portal: EmuPortal, client: int, **deal: Any) -> Behind:
    document = ["crm", "CCrmDocumentContact", f"CONTACT_{client}"]
    run, _ = driver.start_robot(emulator, portal, CLIENT_ID, "bonus_writeoff", document, {"amount": "5"})
    other = driver.create_company(emulator, portal, TITLE="Next client")
    deal_id = driver.create_deal(
        emulator, portal, TITLE="next", OPPORTUNITY="2000", COMPANY_ID=other, STAGE_ID="WON", **deal
    )
    return Behind(run, deal_id)


def _robot(emulator: Emulator, portal: EmuPortal, document: list[str], **kwargs: Any) -> RobotRun:
    props = kwargs.pop("props", {"amount": "5"})
    return driver.start_robot(emulator, portal, CLIENT_ID, "bonus_writeoff", document, props, **kwargs)[0]


def _skipped(app: AppHarness, deal_id: int) -> str | None:
    with app.db.transaction() as session:
        return session.execute(
            select(DealState.skipped_reason).where(DealState.deal_id == deal_id)
        ).scalar_one_or_none()


def _program(app: AppHarness, document: dict[str, Any]) -> None:
    with app.db.transaction() as session:
        save_program(session, portal_id_of(app), document, "test", app.container.clock.now())


def _stored_without_checks(app: AppHarness, document: dict[str, Any]) -> None:
    """A program saved before today's save-time checks existed."""
    with app.db.transaction() as session:
        session.add(
            ProgramVersion(
                portal_id=portal_id_of(app),
                version=99,
                document=document,
                created_by="an older release",
                created_at=app.container.clock.now(),
            )
        )


POISON_AMOUNTS = [
    "1e30",
    "1e309",
    "NaN",
    "Infinity",
    "-Infinity",
    "1_0",
    "１０",
    "1000000000000",
    "10.001",
    "0",
]


def test_poison_amounts_are_refused_and_what_follows_is_processed(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, client: int
) -> None:
    document = ["crm", "CCrmDocumentContact", f"CONTACT_{client}"]
    poisoned = {
        amount: _robot(emulator, portal, document, props={"amount": amount}) for amount in POISON_AMOUNTS
    }
    behind = _behind(emulator, portal, client)
    app.drain()
    codes = {amount: (run.return_values or {}).get("error_code") for amount, run in poisoned.items()}
    assert codes == {amount: "BAD_AMOUNT" for amount in POISON_AMOUNTS}
    assert behind.processed(app)


POISON_DOCUMENTS = [
    (["crm", "CCrmDocumentCompany", "COMPANY_3000000000"], None, "DOCUMENT_NOT_FOUND"),
    (["crm", "CCrmDocumentDeal", "DEAL_99999999999999999999"], None, "DOCUMENT_NOT_FOUND"),
    (["crm", "CCrmDocumentContact", "CONTACT_²"], None, "DOCUMENT_NOT_FOUND"),
    (["crm", "CCrmDocumentLead", "LEAD_5"], None, "UNSUPPORTED_DOCUMENT"),
    (["crm", "CCrmDocumentDeal", "COMPANY_5"], None, "UNSUPPORTED_DOCUMENT"),
    (
        ["crm", "CCrmDocumentCompany", "COMPANY_5"],
        ["crm", "CCrmDocumentDeal", "DEAL"],  # the type says deal, the id says company
        "UNSUPPORTED_DOCUMENT",
    ),
]


def test_poison_documents_are_refused_and_what_follows_is_processed(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, client: int
) -> None:
    poisoned = [
        (_robot(emulator, portal, document, document_type=document_type), code)
        for document, document_type, code in POISON_DOCUMENTS
    ]
    behind = _behind(emulator, portal, client)
    app.drain()
    assert [(run.return_values or {}).get("error_code") for run, _ in poisoned] == [c for _, c in poisoned]
    assert behind.processed(app)


POISON_NUMBERS = ["1e30", "NaN", "Infinity", "1_000", "１０"]


def test_poison_margins_skip_the_rule_with_a_reason(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, client: int
) -> None:
    _program(app, {"rules": [{"kind": "tiers", "basis": "margin", "tiers": [{"from": 0, "percent": 10}]}]})
    company = driver.create_company(emulator, portal, TITLE="ACME")
    poisoned = {
        margin: driver.create_deal(
            emulator, portal, OPPORTUNITY="1000", COMPANY_ID=company, STAGE_ID="WON", UF_CRM_MARGIN=margin
        )
        for margin in POISON_NUMBERS
    }
    behind = _behind(emulator, portal, client, UF_CRM_MARGIN="300")
    app.drain()
    for margin, deal in poisoned.items():
        reason = f"no_rule: rules[0]: UF_CRM_MARGIN {margin!r} is not a number within ±10^15"
        assert _skipped(app, deal) == reason
    assert behind.processed(app)


def test_poison_fields_and_a_huge_formula_result_skip_the_rule_with_a_reason(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, client: int
) -> None:
    _program(app, {"rules": [{"kind": "formula", "formula": "amount * UF_CRM_FACTOR / 100"}]})
    company = driver.create_company(emulator, portal, TITLE="ACME")
    reasons = {factor: f"UF_CRM_FACTOR {factor!r} is not a number within ±10^15" for factor in POISON_NUMBERS}
    reasons["100000000000000"] = "the result 1e+15 is beyond ±10^12"  # a sane field, a huge bonus
    poisoned = {
        factor: driver.create_deal(
            emulator, portal, OPPORTUNITY="1000", COMPANY_ID=company, STAGE_ID="WON", UF_CRM_FACTOR=factor
        )
        for factor in reasons
    }
    behind = _behind(emulator, portal, client, UF_CRM_FACTOR="5")
    app.drain()
    for factor, deal in poisoned.items():
        assert _skipped(app, deal) == f"no_rule: rules[0]: {reasons[factor]}"
    assert behind.processed(app)


def test_a_formula_with_a_huge_exponent_saved_by_an_older_release_skips_with_a_reason(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, client: int
) -> None:
    _stored_without_checks(app, {"rules": [{"kind": "formula", "formula": "amount * 10 ** 30"}]})
    company = driver.create_company(emulator, portal, TITLE="ACME")
    poisoned = driver.create_deal(emulator, portal, OPPORTUNITY="1000", COMPANY_ID=company, STAGE_ID="WON")
    app.drain()
    assert "an exponent must be a number between -4 and 4" in (_skipped(app, poisoned) or "")
    _program(app, {"rules": [{"kind": "percent", "percent": 5}]})  # the administrator fixes it
    behind = _behind(emulator, portal, client)
    app.drain()
    assert behind.processed(app)


def test_a_deal_amount_that_is_no_number_is_skipped_with_a_reason(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, client: int
) -> None:
    company = driver.create_company(emulator, portal, TITLE="ACME")
    poisoned = driver.create_deal(emulator, portal, OPPORTUNITY="1e30", COMPANY_ID=company, STAGE_ID="WON")
    behind = _behind(emulator, portal, client)
    app.drain()
    assert (_skipped(app, poisoned) or "").startswith("bad_amount: OPPORTUNITY")
    assert behind.processed(app)


BOMBS = {
    "a loop over range(10**9)": ("{% for i in range(10**9) %}{{ amount }}{% endfor %}", "loops"),
    "an include": ("{% include 'other' %}", "{% include %}"),
    "an import": ("{% import 'other' as other %}{{ amount }}", "{% import %}"),
    "an extends": ("{% extends 'base' %}", "{% extends %}"),
    "a recursive macro": ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "macros"),
    "a huge string": ("{{ 'x' * 1000000000 }}", "arithmetic"),
    "a huge padding filter": ("{{ amount | center(1000000000) }}", "the filter 'center'"),
    "range on its own": ("{{ range }}", "'range'"),
}


def test_template_bombs_are_refused_when_the_program_is_saved(
    app: AppHarness, portal: EmuPortal, tmp_path: Path
) -> None:
    for source, construct in BOMBS.values():
        notifications = {"channels": {"accrued": ["email"]}, "templates": {"accrued": {"ru": source}}}
        path = tmp_path / "program.json"
        path.write_text(json.dumps({"notifications": notifications}), encoding="utf-8")
        with pytest.raises(SystemExit) as refused:
            main(["program-import", portal.member_id, str(path)], container=app.container)
        assert str(refused.value).startswith("program refused: $.notifications: template accrued.ru: ")
        assert construct in str(refused.value)


def test_a_template_bomb_saved_by_an_older_release_sends_our_words_with_the_reason(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, client: int
) -> None:
    source, construct = BOMBS["a loop over range(10**9)"]
    notifications = {"channels": {"accrued": ["email"]}, "templates": {"accrued": {"ru": source}}}
    _stored_without_checks(app, {"notifications": notifications})
    company = driver.create_company(emulator, portal, TITLE="ACME", EMAIL=[{"VALUE": "acme@example.test"}])
    driver.create_deal(emulator, portal, OPPORTUNITY="1000", COMPANY_ID=company, STAGE_ID="WON")
    behind = _behind(emulator, portal, client)
    app.drain()
    assert behind.processed(app)
    mail = next(m for m in portal.sent_emails if str(m["OWNER_ID"]) == str(company))
    assert mail["DESCRIPTION"].startswith("Вам начислено 50,00 бонусов.")  # our template, not the bomb
    portal_id = portal_id_of(app)
    with app.db.transaction() as session:
        notice = session.execute(select(Notification).where(Notification.owner_id == company)).scalar_one()
        status = portal_status(session, session.get_one(Portal, portal_id), 0)
    assert notice.status == "sent" and construct in (notice.error or "")
    assert [(p["row"], p["status"]) for p in status["row_errors"]] == [(f"notification:{notice.id}", "sent")]
    assert status["degraded_steps"] == []


def test_a_notification_is_planned_in_the_ledger_transaction_and_rendered_by_the_delivery_step(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    _program(app, {"notifications": {"channels": {"accrued": ["email"]}, "templates": {}}})
    steps = app.container.lanes.steps
    delivery = next(step for step in steps if step[0] == "outbox")
    steps.remove(delivery)
    company = driver.create_company(emulator, portal, TITLE="ACME", EMAIL=[{"VALUE": "acme@example.test"}])
    driver.create_deal(emulator, portal, OPPORTUNITY="1000", COMPANY_ID=company, STAGE_ID="WON")
    app.drain()
    with app.db.transaction() as session:
        planned = session.execute(select(Notification)).scalar_one()
    assert planned.text is None and planned.template and planned.template_values  # nothing rendered yet
    assert planned.template_values["values"]["amount"] == "50,00"
    steps.append(delivery)
    app.container.jobs.enqueue_lane(portal_id_of(app), force=True)
    app.drain()
    with app.db.transaction() as session:
        sent = session.execute(select(Notification)).scalar_one()
    assert sent.status == "sent" and (sent.text or "").startswith("Вам начислено 50,00 бонусов.")
    assert portal.sent_emails[0]["DESCRIPTION"] == sent.text
    assert Decimal("50.00") == Decimal(portal.companies[company]["UF_CRM_BONUS_BALANCE"])
