"""A robot call counts only when the portal accepts the caller's own access token; its user is the actor."""

from __future__ import annotations

import secrets
from decimal import Decimal

import pytest
import requests
from sqlalchemy import select

from b24app.models import InboxEvent, OutboxMessage
from registry.ledger.models import LedgerEntry
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.portal import RobotRun
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness


def _company_with_bonuses(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> int:
    company = driver.create_company(emulator, portal, TITLE="ACME")
    driver.create_deal(emulator, portal, TITLE="d", OPPORTUNITY="2000", COMPANY_ID=company, STAGE_ID="WON")
    app.drain()
    return company


def _ledger(app: AppHarness) -> list[tuple[str, Decimal, str]]:
    with app.db.transaction() as session:
        rows = session.execute(select(LedgerEntry).order_by(LedgerEntry.id)).scalars()
        return [(e.kind, e.amount, e.actor) for e in rows]


def _outbox_keys(app: AppHarness) -> set[str]:
    with app.db.transaction() as session:
        return set(session.execute(select(OutboxMessage.key)).scalars())


def _call_with(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, access_token: str, company: int, amount: str
) -> tuple[RobotRun, requests.Response]:
    """A robot call as the portal's bizproc engine posts it, but with the access token we choose."""
    token = f"{secrets.token_hex(6)}.{secrets.token_hex(4)}|A1|{secrets.token_hex(12)}"
    run = RobotRun(token, "bonus_accrue", ["crm", "CCrmDocumentCompany", f"COMPANY_{company}"], {})
    portal.robot_runs[token] = run  # a genuine waiting workflow: the forger even knows its event_token
    form = {
        "workflow_id": secrets.token_hex(8),
        "code": "bonus_accrue",
        "document_id[0]": "crm",
        "document_id[1]": "CCrmDocumentCompany",
        "document_id[2]": f"COMPANY_{company}",
        "event_token": token,
        "properties[amount]": amount,
        "properties[reason]": "forged",
        "auth[access_token]": access_token,
        "auth[user_id]": "1",
        "auth[member_id]": portal.member_id,
        "auth[application_token]": portal.apps[CLIENT_ID].application_token,  # read from any frame
    }
    return run, requests.post(app.base_url + "/robots/bonus_accrue", data=form, timeout=5)


@pytest.mark.parametrize("kind", ["forged", "another portal's"])
def test_right_application_token_with_a_foreign_access_token_writes_nothing(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, kind: str
) -> None:
    company = _company_with_bonuses(app, emulator, portal)
    other = emulator.add_portal(domain="attacker.bitrix24.test")
    access = "f" * 32 if kind == "forged" else emulator.issue_tokens(other, CLIENT_ID, 1).access_token
    ledger, outbox = _ledger(app), _outbox_keys(app)
    run, answer = _call_with(app, emulator, portal, access, company, "30000")
    assert answer.status_code == 200  # recorded; the verdict is the portal's, in the lane
    app.drain()
    assert _ledger(app) == ledger and _outbox_keys(app) == outbox  # nothing written, nothing owed
    assert not run.answered  # and nobody's waiting workflow was ended through us
    with app.db.transaction() as session:
        call = session.execute(select(InboxEvent).where(InboxEvent.kind == "robot")).scalar_one()
        assert call.status == "skipped" and (call.error or "").startswith("caller not verified")
        assert "caller_token" not in call.payload  # the token is not kept


def test_the_verified_user_is_the_actor_whatever_the_call_claims(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    company = _company_with_bonuses(app, emulator, portal)
    manager = emulator.issue_tokens(portal, CLIENT_ID, 2).access_token  # claims auth[user_id]=1
    run, answer = _call_with(app, emulator, portal, manager, company, "10")
    assert answer.status_code == 200
    app.drain()
    assert run.answered and run.return_values and run.return_values["ok"] == "Y"
    assert _ledger(app)[-1] == ("manual_accrual", Decimal("10.00"), "user:2")
    robot_run, _ = driver.start_robot(
        emulator,
        portal,
        CLIENT_ID,
        "bonus_writeoff",
        ["crm", "CCrmDocumentCompany", f"COMPANY_{company}"],
        {"amount": "5"},
    )
    app.drain()
    assert robot_run.answered and _ledger(app)[-1] == ("write_off", Decimal("-5.00"), "user:1")


def test_a_genuine_call_whose_token_expired_before_the_lane_ran_is_answered_with_a_refusal(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    company = _company_with_bonuses(app, emulator, portal)
    ledger = _ledger(app)
    run, _ = driver.start_robot(
        emulator,
        portal,
        CLIENT_ID,
        "bonus_writeoff",
        ["crm", "CCrmDocumentCompany", f"COMPANY_{company}"],
        {"amount": "5"},
    )
    emulator.expire_access_tokens(portal)  # ours too: the answer goes out after a refresh
    app.drain()
    assert _ledger(app) == ledger
    assert run.answered and run.return_values and run.return_values["ok"] == "N"
    assert run.return_values["error_code"] == "CALLER_EXPIRED"


def test_calls_sharing_a_token_are_verified_in_one_batch_with_their_documents(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    first = _company_with_bonuses(app, emulator, portal)
    deal = driver.create_deal(emulator, portal, TITLE="d2", OPPORTUNITY="100", COMPANY_ID=first)
    app.drain()
    token = emulator.issue_tokens(portal, CLIENT_ID, 1).access_token
    emulator.reset_stats()
    runs = []
    for _ in range(3):
        run, answer = _call_with(app, emulator, portal, token, first, "1")
        assert answer.status_code == 200
        runs.append(run)
    form_deal = driver.start_robot(
        emulator,
        portal,
        CLIENT_ID,
        "bonus_writeoff",
        ["crm", "CCrmDocumentDeal", f"DEAL_{deal}"],
        {"amount": "1"},
    )[0]
    app.drain()
    assert all(r.answered for r in [*runs, form_deal])
    verifying = emulator.requests.calls("user.current")
    assert len(verifying) == 2  # one per distinct token, each inside a batch
    assert all(r.via_batch for r in verifying)
    assert [r.via_batch is not None for r in emulator.requests.calls("crm.deal.get")] == [True]
