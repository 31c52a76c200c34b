"""CSV import (dry run, bad rows named, idempotent real run) and streamed CSV export equal to the ledger,
through the console and through the API over real HTTP."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from bootstrap.console import main
from registry.ledger.models import Account, LedgerEntry
from tests.e2e.api_support import Api, make_key
from tests.emulator.portal import Portal as EmuPortal
from tests.harness import AppHarness

ROWS = 10_000


def _write(path: Path, bad_line: int | None = None) -> None:
    lines = ["key,client,amount,kind,reason,lifetime_days"]
    for n in range(ROWS):
        amount = "12.5x" if n + 2 == bad_line else f"{10 + n % 7}.50"
        kind = "accrual" if n % 10 == 0 else "opening_balance"
        lines.append(f"row-{n},contact:{n + 1},{amount},{kind},from the old system,{'' if n % 2 else 90}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _count(app: AppHarness) -> int:
    with app.db.transaction() as session:
        return int(session.execute(select(func.count()).select_from(LedgerEntry)).scalar_one())


def _run(app: AppHarness, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    capsys.readouterr()
    assert main(list(args), container=app.container) == 0
    return dict(json.loads(capsys.readouterr().out))


@pytest.mark.slow
def test_ten_thousand_rows_dry_run_then_real_run(
    app: AppHarness, portal: EmuPortal, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    if app.db.is_postgres:  # minutes of posting: measured once (bench/api_import.py runs either backend)
        pytest.skip("the 10,000-row run is on SQLite; the API test below covers PostgreSQL")
    path = tmp_path / "opening.csv"
    _write(path, bad_line=5002)
    for dry in (["--dry-run"], []):  # one bad row: neither the dry nor the real run writes anything
        report = _run(app, capsys, "import", portal.member_id, str(path), *dry)
        assert report["rows"] == ROWS and report["errors"] == 1 and report["written"] is False
        outcomes = report["outcomes"]
        assert isinstance(outcomes, list) and len(outcomes) == ROWS
        bad = [o for o in outcomes if o["outcome"] == "error"]
        assert bad == [
            {
                "line": 5002,
                "key": "row-5000",
                "outcome": "error",
                "column": "amount",
                "message": "must be a positive amount with at most two decimals",
            }
        ]
        assert _count(app) == 0
    _write(path)
    dry = _run(app, capsys, "import", portal.member_id, str(path), "--dry-run")
    assert dry["errors"] == 0 and dry["posted"] == 0 and _count(app) == 0
    real = _run(app, capsys, "import", portal.member_id, str(path))
    assert real["posted"] == ROWS and _count(app) == ROWS
    again = _run(app, capsys, "import", portal.member_id, str(path))
    assert again["posted"] == 0 and again["already_posted"] == ROWS and _count(app) == ROWS
    out = tmp_path / "movements.csv"
    assert _run(app, capsys, "export", portal.member_id, "movements", str(out))["rows"] == ROWS
    with app.db.transaction() as session:
        ledger = {e.id: (e.kind, e.amount) for e in session.execute(select(LedgerEntry)).scalars()}
    exported = {int(r["id"]): (r["kind"], Decimal(r["amount"])) for r in csv.DictReader(out.open())}
    assert exported == ledger
    assert {k for k, _ in ledger.values()} == {"opening_balance", "manual_accrual"}


def test_import_and_export_through_the_api(
    app: AppHarness, portal: EmuPortal, capsys: pytest.CaptureFixture[str]
) -> None:
    key = make_key(app, portal, capsys, "admin", "read,program")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "text/csv"}
    body = "key,client,amount\na,contact:1,100\nb,company:2,50.25\nc,lead:3,1\n"
    url = app.base_url + "/api/v1/import"
    dry = requests.post(url, data=body, headers=headers, timeout=10)
    assert dry.status_code == 422
    assert [o["outcome"] for o in dry.json()["outcomes"]] == ["would_post", "would_post", "error"]
    assert dry.json()["outcomes"][2]["column"] == "client" and dry.json()["outcomes"][2]["line"] == 4
    good = body.rsplit("c,", 1)[0]
    assert requests.post(url, data=good, headers=headers, timeout=10).json()["posted"] == 0  # dry by default
    real = requests.post(url + "?dry_run=false", data=good, headers=headers, timeout=10).json()
    assert real["posted"] == 2 and _count(app) == 2
    missing = requests.post(url, data="client,amount\n", headers=headers, timeout=10)
    assert missing.status_code == 422 and "key" in missing.json()["message"]
    api = Api(app, key)
    balances = api.get("/export/balances.csv")
    assert balances.status_code == 200 and balances.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(balances.text)))
    with app.db.transaction() as session:
        accounts = {
            f"{a.owner_type}:{a.owner_id}": a.balance for a in session.execute(select(Account)).scalars()
        }
    assert {r["client"]: Decimal(r["balance"]) for r in rows} == accounts
    assert {r["client"]: r["spendable"] for r in rows} == {"contact:1": "100.00", "company:2": "50.25"}
    movements = list(csv.DictReader(io.StringIO(api.get("/export/movements.csv").text)))
    assert [(m["client"], m["kind"], m["amount"]) for m in movements] == [
        ("contact:1", "opening_balance", "100.00"),
        ("company:2", "opening_balance", "50.25"),
    ]
    assert requests.get(app.base_url + "/api/v1/export/movements.csv", timeout=10).status_code == 401
