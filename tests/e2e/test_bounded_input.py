"""Bounded input: big bodies get 413, malformed ones a 4xx naming the field — never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from sqlalchemy import select

from b24app.models import InboxEvent
from registry.ledger.models import LedgerEntry
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness


def _auth(portal: EmuPortal) -> dict[str, str]:
    return {
        "auth[member_id]": portal.member_id,
        "auth[application_token]": portal.apps[CLIENT_ID].application_token,
        "auth[access_token]": "a" * 32,
    }


def _event(portal: EmuPortal, deal_id: str) -> dict[str, str]:
    return {"event": "ONCRMDEALUPDATE", "data[FIELDS][ID]": deal_id, **_auth(portal)}


def _robot(portal: EmuPortal, document: str, **properties: str) -> dict[str, str]:
    return {
        "event_token": "t|A1|x",
        "document_id[0]": "crm",
        "document_id[1]": "CCrmDocumentDeal",
        "document_id[2]": document,
        **{f"properties[{k}]": v for k, v in properties.items()},
        **_auth(portal),
    }


def _frame(portal: EmuPortal, options: str) -> dict[str, str]:
    return {
        "AUTH_ID": "a",
        "member_id": portal.member_id,
        "APPLICATION_TOKEN": portal.apps[CLIENT_ID].application_token,
        "PLACEMENT": "CRM_DEAL_DETAIL_TAB",
        "PLACEMENT_OPTIONS": options,
    }


MALFORMED: list[tuple[str, str, Any, str]] = [
    ("a 400-digit deal id", "/events", lambda p: _event(p, "7" * 400), "data[FIELDS][ID]"),
    ("a unicode digit", "/events", lambda p: _event(p, "²"), "data[FIELDS][ID]"),
    ("an id past INTEGER", "/events", lambda p: _event(p, "2147483648"), "data[FIELDS][ID]"),
    (
        "keys nested too deep",
        "/events",
        lambda p: {**_event(p, "1"), "a[b][c][d][e][f][g]": "x"},
        "a[b][c][d][e][f][g]",
    ),
    (
        "too many fields",
        "/events",
        lambda p: {**_event(p, "1"), **{f"k{i}": "v" for i in range(400)}},
        "body",
    ),
    (
        "a huge card id",
        "/placements/tab",
        lambda p: _frame(p, json.dumps({"ID": "9" * 400})),
        "PLACEMENT_OPTIONS.ID",
    ),
    (
        "options nested deep",
        "/placements/tab",
        lambda p: _frame(p, "[" * 5000 + "]" * 5000),
        "PLACEMENT_OPTIONS",
    ),
    (
        "a long amount",
        "/robots/bonus_writeoff",
        lambda p: _robot(p, "DEAL_1", amount="1" * 600),
        "properties[amount]",
    ),
]


@pytest.mark.parametrize(("case", "path", "form", "field"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_input_is_a_400_naming_the_field(
    app: AppHarness, portal: EmuPortal, case: str, path: str, form: Any, field: str
) -> None:
    answer = requests.post(app.base_url + path, data=form(portal), timeout=10)
    assert answer.status_code == 400, answer.text
    if path.startswith("/placements/"):  # a frame: the friendly page names the field, never JSON
        assert answer.headers["Content-Type"].startswith("text/html")
        assert f'<p class="muted" id="detail">{field}</p>' in answer.text
    else:
        assert answer.json()["field"] == field


@pytest.mark.parametrize("depth", [7, 50_000])
def test_deeply_nested_json_is_a_400(app: AppHarness, portal: EmuPortal, depth: int) -> None:
    body = '{"event": "ONCRMDEALUPDATE", "x": ' + "[" * depth + "]" * depth + "}"
    answer = requests.post(
        app.base_url + "/events", data=body, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert answer.status_code == 400 and answer.json()["field"] == "body"


def test_a_body_over_a_megabyte_is_a_413(app: AppHarness, portal: EmuPortal) -> None:
    big = {**_event(portal, "1"), "padding": "x" * (2 * 1024 * 1024)}
    answer = requests.post(app.base_url + "/events", data=big, timeout=30)
    assert answer.status_code == 413 and answer.json()["error"] == "too_large"


def test_a_multipart_form_with_too_many_parts_is_a_413(app: AppHarness, portal: EmuPortal) -> None:
    files = {f"f{i}": (None, "v") for i in range(400)}
    answer = requests.post(app.base_url + "/events", files=files, timeout=10)
    assert answer.status_code == 413


def test_a_robots_long_comment_is_cut_to_what_the_registry_keeps(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    company = driver.create_company(emulator, portal, TITLE="ACME")
    driver.create_deal(emulator, portal, TITLE="d", OPPORTUNITY="2000", COMPANY_ID=company, STAGE_ID="WON")
    app.drain()
    run, delivery = driver.start_robot(
        emulator,
        portal,
        CLIENT_ID,
        "bonus_writeoff",
        ["crm", "CCrmDocumentCompany", f"COMPANY_{company}"],
        {"amount": "5", "comment": "ж" * 100_000},  # 600 KB on the wire
    )
    assert delivery.status == 200
    with app.db.transaction() as session:
        stored = session.execute(select(InboxEvent).where(InboxEvent.kind == "robot")).scalar_one()
        assert len(stored.payload["properties"]["comment"]) == 500
    app.drain()
    assert run.answered
    with app.db.transaction() as session:
        entry = session.execute(select(LedgerEntry).where(LedgerEntry.kind == "write_off")).scalar_one()
        assert entry.reason == "ж" * 500
