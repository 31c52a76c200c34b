"""The public API over real HTTP: keys, balances, movements, spending, the program, OpenAPI."""

from __future__ import annotations

import pytest
import requests
from openapi_spec_validator import validate
from sqlalchemy import func, select

from bootstrap.console import main
from registry.bonuses.api_models import ApiKey, ApiRequest
from registry.ledger.models import LedgerEntry
from tests.e2e.api_support import Api, contact_with_bonus, make_key
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.server import Emulator
from tests.harness import AppHarness


def _entries(app: AppHarness) -> int:
    with app.db.transaction() as session:
        return int(session.execute(select(func.count()).select_from(LedgerEntry)).scalar_one())


def test_openapi_document_is_valid(app: AppHarness) -> None:
    doc = requests.get(app.base_url + "/api/v1/openapi.json", timeout=10).json()
    validate(doc)
    assert {"/api/v1/spend", "/api/v1/program"} <= set(doc["paths"])
    assert "SpendRequest" in str(doc["components"]["schemas"])


def test_balance_and_movements_with_paging(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, capsys: pytest.CaptureFixture[str]
) -> None:
    contact = contact_with_bonus(app, emulator, portal)
    api = Api(app, make_key(app, portal, capsys))
    for n in range(3):
        assert (
            api.post(
                "/spend",
                {"client": {"type": "contact", "id": contact}, "amount": "1.5", "idempotency_key": f"k{n}"},
            ).status_code
            == 200
        )
    got = api.get(f"/clients/contact/{contact}").json()
    assert got["balance"] == "95.50" and got["spendable"] == "95.50" and got["pending"] == "0.00"
    assert got["next_expiry"]["amount"] == "95.50" and got["level"] is None
    first = api.get(f"/clients/contact/{contact}/movements", limit=2).json()
    assert [m["kind"] for m in first["movements"]] == ["write_off", "write_off"]
    second = api.get(f"/clients/contact/{contact}/movements", limit=2, before=first["next_before"]).json()
    assert [m["kind"] for m in second["movements"]] == ["write_off", "accrual"]
    assert second["next_before"] is None
    assert api.get(f"/clients/contact/{contact}/movements", limit=0).status_code == 422
    assert api.get("/clients/contact/999").json()["balance"] == "0.00"


@pytest.mark.parametrize(
    ("amount", "code"),
    [("abc", "BAD_AMOUNT"), ("-5", "BAD_AMOUNT"), ("0.001", "BAD_AMOUNT"), ("150", "INSUFFICIENT_BALANCE")],
)
def test_spend_refusals_carry_the_robot_codes(
    app: AppHarness,
    emulator: Emulator,
    portal: EmuPortal,
    capsys: pytest.CaptureFixture[str],
    amount: str,
    code: str,
) -> None:
    contact = contact_with_bonus(app, emulator, portal)
    api = Api(app, make_key(app, portal, capsys))
    got = api.post(
        "/spend", {"client": {"type": "contact", "id": contact}, "amount": amount, "idempotency_key": "x"}
    )
    assert got.status_code == 422 and got.json()["error_code"] == code and got.json()["balance"] == "100.00"


def test_spend_cap_and_blocked(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, capsys: pytest.CaptureFixture[str]
) -> None:
    contact = contact_with_bonus(app, emulator, portal)
    api = Api(app, make_key(app, portal, capsys))
    assert api.put("/program", {"writeoff_max_per_operation": 10}).status_code == 200
    body = {"client": {"type": "contact", "id": contact}, "amount": "20", "idempotency_key": "cap"}
    assert api.post("/spend", body).json()["error_code"] == "CAP_EXCEEDED"
    assert main(["block", portal.member_id, f"contact:{contact}", "on"], container=app.container) == 0
    body = {"client": {"type": "contact", "id": contact}, "amount": "5", "idempotency_key": "blk"}
    assert api.post("/spend", body).json()["error_code"] == "BLOCKED"


def test_spend_is_idempotent_and_mirrored(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, capsys: pytest.CaptureFixture[str]
) -> None:
    contact = contact_with_bonus(app, emulator, portal)
    api = Api(app, make_key(app, portal, capsys))
    body = {
        "client": {"type": "contact", "id": contact},
        "amount": 30,
        "reference": "receipt 7",
        "idempotency_key": "order-7",
    }
    first = api.post("/spend", body)
    assert first.status_code == 200 and first.json()["written_off"] == "30.00"
    assert first.json()["balance"] == "70.00"
    again = api.post("/spend", {**body})
    assert again.status_code == 200 and again.json() == first.json()
    changed = api.post("/spend", {**body, "amount": 31})
    assert changed.status_code == 409 and changed.json()["field"] == "idempotency_key"
    assert _entries(app) == 2
    app.drain()  # the worker mirrors the write-off like any movement
    assert float(portal.contacts[contact]["UF_CRM_BONUS_BALANCE"]) == 70.0


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer bk_forged", "Basic abc"])
def test_bad_keys_get_401_and_nothing_is_written(
    app: AppHarness,
    emulator: Emulator,
    portal: EmuPortal,
    capsys: pytest.CaptureFixture[str],
    header: str | None,
) -> None:
    contact = contact_with_bonus(app, emulator, portal)
    make_key(app, portal, capsys)
    before = _entries(app)
    headers = {"Authorization": header} if header else {}
    body = {"client": {"type": "contact", "id": contact}, "amount": "5", "idempotency_key": "z"}
    got = requests.post(app.base_url + "/api/v1/spend", json=body, headers=headers, timeout=10)
    assert got.status_code == 401 and got.json()["message"] == "a valid API key is required"
    assert _entries(app) == before
    with app.db.transaction() as session:
        assert session.execute(select(func.count()).select_from(ApiRequest)).scalar_one() == 0


def test_revoked_key_and_scopes(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, capsys: pytest.CaptureFixture[str]
) -> None:
    reader = Api(app, make_key(app, portal, capsys, "reader", "read"))
    assert reader.get("/clients/company/1").status_code == 200
    assert reader.get("/program").status_code == 403
    body = {"client": {"type": "company", "id": 1}, "amount": "5", "idempotency_key": "z"}
    assert reader.post("/spend", body).status_code == 403
    assert main(["api-key", portal.member_id, "revoke", "reader"], container=app.container) == 0
    assert reader.get("/clients/company/1").status_code == 401
    capsys.readouterr()
    assert main(["api-key", portal.member_id, "list"], container=app.container) == 0
    out = capsys.readouterr().out
    assert '"revoked_at": "' in out and '"last_used_at": "' in out and "bk_" in out  # the prefix only
    with app.db.transaction() as session:
        stored = session.execute(select(ApiKey.key_hash)).scalar_one()
    assert len(stored) == 64


def test_program_get_put_names_the_field(
    app: AppHarness, portal: EmuPortal, capsys: pytest.CaptureFixture[str]
) -> None:
    api = Api(app, make_key(app, portal, capsys))
    version = api.get("/program").json()["version"]
    bad = api.put("/program", {"rules": [{"kind": "percent", "percent": "many"}]})
    assert bad.status_code == 422 and bad.json()["field"].startswith("$.rules[0]")
    unknown = api.put("/program", {"lifetime_dayz": 3})
    assert unknown.status_code == 422 and unknown.json()["field"] == "$.lifetime_dayz"
    saved = api.put("/program", {"lifetime_days": 30})
    assert saved.status_code == 200 and saved.json()["version"] == version + 1
    assert api.get("/program").json()["program"]["lifetime_days"] == 30


def test_schema_errors_name_the_field(
    app: AppHarness, portal: EmuPortal, capsys: pytest.CaptureFixture[str]
) -> None:
    api = Api(app, make_key(app, portal, capsys))
    got = api.post("/spend", {"client": {"type": "lead", "id": 1}, "amount": "5", "idempotency_key": "a"})
    assert got.status_code == 422 and got.json()["field"] == "client.type"
    got = api.post("/spend", {"client": {"type": "contact", "id": 1}, "amount": "5"})
    assert got.status_code == 422 and got.json()["field"] == "idempotency_key"


def test_preview_a_purchase_and_a_known_deal(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, capsys: pytest.CaptureFixture[str]
) -> None:
    api = Api(app, make_key(app, portal, capsys, "till", "read"))
    got = api.post("/preview", {"client": {"type": "contact", "id": 5}, "amount": 1999.99})
    assert got.status_code == 200
    assert got.json()["earns"] == "100.00" and got.json()["lines"][0]["percent"] == "5"
    assert got.json()["instant_discount"] == "0.00"
    deal = driver.create_deal(emulator, portal, TITLE="d", OPPORTUNITY="400", STAGE_ID="WON", COMPANY_ID=3)
    app.drain()
    known = api.post("/preview", {"deal_id": deal}).json()
    assert known["earns"] == "20.00" and known["known"]["accrued"] == "20.00"
    missing = api.post("/preview", {"deal_id": 99999})
    assert missing.status_code == 422 and missing.json()["field"] == "deal_id"
    assert api.post("/preview", {"client": {"type": "contact", "id": 5}}).json()["field"] == "amount"
