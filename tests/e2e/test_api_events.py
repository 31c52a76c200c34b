"""Customer events through the public API (real HTTP): within per_client_max, referrals, idempotency."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from registry.ledger.models import LedgerEntry
from tests.e2e.api_support import Api, make_key
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.server import Emulator
from tests.harness import AppHarness

EVENTS = [
    {"code": "review", "name": "A review", "points": 10, "per_client_max": 2},
    {"code": "referral", "name": "Brought a friend", "points": 50, "referred_points": 20},
    {"code": "welcome", "name": "Welcome", "points": 0, "referred_points": 15},
]


def _api(app: AppHarness, portal: EmuPortal, capsys: pytest.CaptureFixture[str]) -> Api:
    api = Api(app, make_key(app, portal, capsys, "site", "read,events,program"))
    assert api.put("/program", {"events": EVENTS}).status_code == 200
    return api


def test_events_within_per_client_max(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, capsys: pytest.CaptureFixture[str]
) -> None:
    api = _api(app, portal, capsys)
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    client = {"type": "contact", "id": contact}
    answers = [
        api.post("/events", {"client": client, "event": "review", "idempotency_key": f"r{n}"})
        for n in range(3)
    ]
    assert [a.status_code for a in answers] == [200, 200, 422]
    assert answers[1].json()["balance"] == "20.00" and answers[2].json()["error_code"] == "LIMIT_REACHED"
    repeat = api.post("/events", {"client": client, "event": "review", "idempotency_key": "r0"})
    assert repeat.json() == answers[0].json()
    conflict = api.post("/events", {"client": client, "event": "referral", "idempotency_key": "r0"})
    assert conflict.status_code == 409
    unknown = api.post("/events", {"client": client, "event": "likes", "idempotency_key": "u"})
    assert unknown.status_code == 422 and unknown.json()["error_code"] == "UNKNOWN_EVENT"
    app.drain()  # mirrored like any movement
    assert float(portal.contacts[contact]["UF_CRM_BONUS_BALANCE"]) == 20.0
    with app.db.transaction() as session:
        kinds = {e.kind for e in session.execute(select(LedgerEntry)).scalars()}
    assert kinds == {"customer_event"}


def test_referral_gives_referrer_and_referred(
    app: AppHarness, portal: EmuPortal, capsys: pytest.CaptureFixture[str]
) -> None:
    api = _api(app, portal, capsys)
    body = {
        "client": {"type": "contact", "id": 1},
        "event": "referral",
        "referred": {"type": "contact", "id": 2},
        "idempotency_key": "ref-1",
    }
    got = api.post("/events", body).json()
    assert got["accrued"] == "50.00" and got["referred"]["accrued"] == "20.00"
    again = api.post("/events", {**body, "client": {"type": "contact", "id": 3}, "idempotency_key": "ref-2"})
    assert again.status_code == 422 and again.json()["error_code"] == "LIMIT_REACHED"  # referred once only
    welcome = {
        "client": {"type": "contact", "id": 4},
        "event": "welcome",
        "referred": {"type": "company", "id": 5},
        "idempotency_key": "w",
    }
    got = api.post("/events", welcome).json()
    assert got["accrued"] == "0.00" and got["referred"]["accrued"] == "15.00"
    assert api.get("/clients/company/5").json()["balance"] == "15.00"
    self_ref = {**body, "referred": body["client"], "idempotency_key": "self"}
    assert api.post("/events", self_ref).json()["error_code"] == "SAME_CLIENT"


def test_events_program_is_validated_and_key_needs_events_scope(
    app: AppHarness, portal: EmuPortal, capsys: pytest.CaptureFixture[str]
) -> None:
    api = _api(app, portal, capsys)
    bad = api.put("/program", {"events": [{"code": "x", "points": 5, "per_client_max": 0}]})
    assert bad.status_code == 422 and bad.json()["field"] == "$.events[0].per_client_max"
    bad = api.put("/program", {"events": [{"code": "x", "points": 1}, {"code": "x", "points": 2}]})
    assert bad.json()["field"] == "$.events[1].code"
    reader = Api(app, make_key(app, portal, capsys, "reader", "read"))
    body = {"client": {"type": "contact", "id": 1}, "event": "review", "idempotency_key": "k"}
    assert reader.post("/events", body).status_code == 403
    assert requests.post(app.base_url + "/api/v1/events", json=body, timeout=10).status_code == 401
