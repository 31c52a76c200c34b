"""Approval requests end to end: the "Bonus requests" smart process made at install, the
``bonus_request`` robot recording a pending request (item on the kanban, approvers notified) and
answering each refusal code at once."""

from __future__ import annotations

from typing import Any

import pytest

from b24app.clock import FrozenClock
from install.services import installs
from tests.e2e import approvals_support as a
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of


@pytest.fixture
def app_clock(clock: FrozenClock) -> FrozenClock:
    return clock


@pytest.fixture
def seed(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> a.Seed:
    s = a.seed(emulator, portal)
    a.program(app, {"approvals": a.definitions(s)})
    return s


def _types(portal: EmuPortal) -> list[str]:
    return sorted(str(t["title"]) for t in portal.types.values())


def test_install_makes_the_requests_process_the_robot_and_the_binding_once(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    assert _types(portal) == ["Бонусы", "Заявки на бонусы"]
    target = a.requests_type(app)
    names = {s["STATUS_ID"]: s["NAME"] for s in portal.statuses}
    assert [names[target["stages"][k]] for k in ("pending", "approved", "cancelled")] == [
        "Ожидают",
        "Одобрены",
        "Отменены",
    ]
    installed = emulator.app_install(portal, CLIENT_ID)
    robot = installed.robots["bonus_request"]
    assert set(robot["PROPERTIES"]) == {"definition", "amount", "percent", "reason", "notify"}
    assert set(robot["RETURN_PROPERTIES"]) == {"request_id", "status", "error_code", "error_message"}
    assert any(b["event"] == "ONCRMDYNAMICITEMUPDATE" for b in installed.events)
    run = installs.provision_now(app.container, portal_id_of(app))  # a repair finds everything
    assert run.acquired and run.error is None
    assert _types(portal) == ["Бонусы", "Заявки на бонусы"] and a.requests_type(app) == target


def test_a_manual_request_is_pending_on_the_kanban_and_the_approvers_are_told(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, seed: a.Seed
) -> None:
    deal = a.deal(emulator, portal, [(seed.monthly, "30", 1), (seed.extra, "10", 1)])
    run = a.request(
        app, emulator, portal, deal, seed.agent, definition="complaint_monthly", amount="20", reason="Outage"
    )
    assert not run.answered  # the workflow waits for the decision
    [request] = a.requests(app)
    assert (request.status, request.amount, request.provided_by) == ("pending", 20, f"user:{seed.agent}")
    assert request.approvers == [seed.supervisor] and request.owner_type == "company"
    etid = a.requests_type(app)["entity_type_id"]
    assert a.outbox_errors(app) == []
    [item] = portal.items[etid].values()
    assert item["stageId"] == a.requests_type(app)["stages"]["pending"]
    assert (
        item["parentId2"] == deal
        and item["companyId"] == request.owner_id
        and item["xmlId"] == f"request:{request.id}"
    )
    [notice] = [n for n in portal.notifications if str(n.get("USER_ID")) == str(seed.supervisor)]
    assert f"params[request]={request.id}" in notice["MESSAGE"] and "Заявка" in notice["MESSAGE"]


def _refusal(run: Any) -> tuple[str, str]:
    assert run.answered, "a refusal is answered at once"
    values = run.return_values
    return values["status"], values["error_code"]


@pytest.mark.parametrize(
    ("props", "rows", "fields", "code"),
    [
        ({"definition": "nope", "amount": "5"}, "monthly", {}, "UNKNOWN_DEFINITION"),
        ({"definition": "complaint_monthly", "amount": "25"}, "monthly", {}, "OUT_OF_RANGE"),
        ({"definition": "complaint_monthly", "amount": "abc"}, "monthly", {}, "OUT_OF_RANGE"),
        ({"definition": "complaint_monthly", "amount": "10"}, "extra", {}, "NOT_APPLICABLE"),
        (
            {"definition": "late_install", "percent": "50"},
            "fee",
            {"UF_CRM_ACTUAL_END": "2026-01-10", "UF_CRM_EXPECTED_END": "2026-01-12"},
            "NOT_IN_SEGMENT",
        ),
        (
            {"definition": "complaint_monthly", "amount": "10", "reason": " "},
            "monthly",
            {},
            "REASON_REQUIRED",
        ),
    ],
)
def test_each_refusal_is_answered_at_once(
    app: AppHarness,
    emulator: Emulator,
    portal: EmuPortal,
    seed: a.Seed,
    props: dict[str, str],
    rows: str,
    fields: dict[str, str],
    code: str,
) -> None:
    product = {"monthly": seed.monthly, "extra": seed.extra, "fee": seed.install_fee}[rows]
    deal = a.deal(emulator, portal, [(product, "30", 1)], **fields)
    run = a.request(app, emulator, portal, deal, seed.agent, **{"reason": "Complaint", **props})
    assert _refusal(run) == ("refused", code)
    assert run.return_values["error_message"] and a.requests(app) == []


def test_not_valid_now_and_no_client(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, seed: a.Seed, clock: FrozenClock
) -> None:
    deal = a.deal(emulator, portal, [(seed.monthly, "30", 1)])
    no_client = driver.create_deal(emulator, portal, TITLE="Nobody's")
    run = a.request(
        app, emulator, portal, no_client, seed.agent, definition="goodwill", amount="5", reason="x"
    )
    assert _refusal(run) == ("refused", "NO_CLIENT")
    clock.advance(days=365)  # 2027: the definitions ended on 2026-12-31
    run = a.request(
        app, emulator, portal, deal, seed.agent, definition="complaint_monthly", amount="5", reason="x"
    )
    assert _refusal(run) == ("refused", "NOT_VALID_NOW")


def test_the_deal_tab_sends_a_request_for_approval_once(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, seed: a.Seed
) -> None:
    deal = a.deal(emulator, portal, [(seed.monthly, "30", 1)])
    app.drain()
    page = driver.placement_frame(emulator, portal, CLIENT_ID, "CRM_DEAL_DETAIL_TAB", deal, seed.agent)
    opened = emulator.deliver(page.url, page.form, page.query)
    assert (
        opened.status == 200 and 'id="approval-request"' in opened.body and "complaint_monthly" in opened.body
    )
    form = [
        *page.form,
        ("key", "a" * 32),
        ("definition", "complaint_monthly"),
        ("value", "15"),
        ("reason", "Outage"),
    ]
    url = app.base_url + "/placements/tab/request"
    for _ in range(2):  # the form posted twice is one request
        sent = emulator.deliver(url, form, page.query)
        assert sent.status == 200 and 'id="notice"' in sent.body
    app.drain()
    [request] = a.requests(app)
    assert (request.status, request.amount, request.provided_by) == ("pending", 15, f"user:{seed.agent}")
    assert request.source_key == "card:" + "a" * 32 and request.answer_to is None
