"""The console: list portals, print a portal's status, re-provision it."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from bootstrap.console import main
from registry.ledger.models import LedgerEntry
from registry.program.document import current_program, save_program
from tests.e2e import approvals_support as a
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of


def test_status_and_reprovision(
    app: AppHarness, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    portal = emulator.add_portal()
    driver.install_api(emulator, portal, CLIENT_ID, app.base_url + "/install")
    app.drain()
    portal.apps[CLIENT_ID].placements.clear()  # an admin removed our tabs by hand
    assert main(["provision", portal.member_id], container=app.container) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["status"] == "installed" and printed["run"]["error"] is None
    assert (
        "smart_process:registry=" + str(next(iter(portal.types.values()))["entityTypeId"])
        in printed["objects"]
    )
    assert len(portal.apps[CLIENT_ID].placements) == 3  # put back
    assert main(["status", portal.member_id], container=app.container) == 0
    status = json.loads(capsys.readouterr().out)
    assert {"token_expires_at", "queue_depth", "inbox_pending", "outbox_failed", "inbox_failed"} <= set(
        status
    )
    assert status["skipped_deals"] == []
    driver.create_deal(emulator, portal, TITLE="nobody", OPPORTUNITY="10", STAGE_ID="WON")
    app.drain()
    assert main(["status", portal.member_id], container=app.container) == 0
    skipped = json.loads(capsys.readouterr().out)["skipped_deals"]
    assert [s["reason"] for s in skipped] == ["no_client"]
    assert "access" not in json.dumps(status)  # no tokens printed


def test_program_import_export_drives_accruals(
    app: AppHarness,
    emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    portal = emulator.add_portal()
    driver.install_api(emulator, portal, CLIENT_ID, app.base_url + "/install")
    app.drain()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"rules": [{"kind": "formula", "formula": "amount * rate"}]}))
    with pytest.raises(SystemExit) as refused:
        main(["program-import", portal.member_id, str(bad)], container=app.container)
    assert "$.rules[0].formula: unknown name 'rate' at position 10" in str(refused.value)
    program = {
        "rules": [
            {"kind": "formula", "categories": [1], "formula": "products_total * 0.1 + products_count"},
            {"kind": "tiers", "tiers": [{"from": 0, "to": 500, "points": 5}, {"from": 500, "percent": 2}]},
        ]
    }
    good = tmp_path / "program.json"
    good.write_text(json.dumps(program))
    assert main(["program-import", portal.member_id, str(good)], container=app.container) == 0
    assert json.loads(capsys.readouterr().out) == {"version": 1, "rules": 2}
    assert main(["program-export", portal.member_id], container=app.container) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["version"] == 1 and exported["program"]["rules"] == program["rules"]

    portal.add_pipeline(1)
    company = driver.create_company(emulator, portal, TITLE="ACME")
    small = driver.create_deal(emulator, portal, OPPORTUNITY="300", COMPANY_ID=company)
    rows = driver.create_deal(emulator, portal, CATEGORY_ID=1, COMPANY_ID=company)
    driver.set_product_rows(
        emulator, portal, rows, [{"PRICE": 100, "QUANTITY": 3}, {"PRICE": 250, "QUANTITY": 2}]
    )
    driver.update_deal(emulator, portal, small, STAGE_ID="WON")
    driver.update_deal(emulator, portal, rows, STAGE_ID="C1:WON")
    app.drain()
    with app.db.transaction() as session:
        amounts = {e.deal_id: e.amount for e in session.execute(select(LedgerEntry)).scalars()}
    assert amounts == {small: Decimal("5.00"), rows: Decimal("82.00")}  # 800 * 10% + 2 rows


def test_support_commands_use_the_ledger_path(
    app: AppHarness, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    portal = emulator.add_portal()
    driver.install_api(emulator, portal, CLIENT_ID, app.base_url + "/install")
    app.drain()
    company = driver.create_company(emulator, portal, TITLE="ACME")
    driver.create_deal(emulator, portal, OPPORTUNITY="1000", COMPANY_ID=company, STAGE_ID="WON")
    app.drain()
    owner = f"company:{company}"

    def run(*argv: str) -> object:
        assert main([argv[0], portal.member_id, *argv[1:]], container=app.container) == 0
        return json.loads(capsys.readouterr().out)

    assert run("balance", owner)["available"] == "50.00"  # type: ignore[index]
    assert run("writeoff", owner, "20", "returned goods") == {
        "ok": True,
        "entry_id": 2,
        "amount": "-20.00",
        "balance": "30.00",
    }
    assert run("writeoff", owner, "100", "too much")["error_code"] == "INSUFFICIENT_BALANCE"  # type: ignore[index]
    assert run("adjust", owner, "-5", "typo")["balance"] == "25.00"  # type: ignore[index]
    assert run("adjust", owner, "12.5", "goodwill")["balance"] == "37.50"  # type: ignore[index]
    kinds = [(e["kind"], e["amount"]) for e in run("history", owner)]  # type: ignore[attr-defined]
    assert kinds == [
        ("correction", "12.50"),
        ("correction", "-5.00"),
        ("write_off", "-20.00"),
        ("accrual", "50.00"),
    ]
    assert run("block", owner, "on") == {"owner": owner, "blocked": True}
    assert run("writeoff", owner, "1", "blocked?")["error_code"] == "BLOCKED"  # type: ignore[index]
    app.drain()
    assert float(portal.companies[company]["UF_CRM_BONUS_BALANCE"]) == 37.5
    with pytest.raises(SystemExit, match="company:7 or contact:12"):
        main(["balance", portal.member_id, "deal:5"], container=app.container)


def _readme_console_commands() -> list[str]:
    """Every console command in the README's code blocks, in order, comments dropped."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = readme.split("```sh")[1:]
    lines = [line for block in blocks for line in block.split("```", 1)[0].splitlines()]
    return [line.split("  #", 1)[0].strip() for line in lines if "-m b24app.cli" in line]


def test_the_readme_console_commands_work_as_written(
    app: AppHarness, emulator: Emulator, database_url: str, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    from tests.emulator.pytest_plugin import CLIENT_SECRET

    portal = emulator.add_portal()
    driver.install_api(emulator, portal, CLIENT_ID, app.base_url + "/install")
    app.drain()
    pending = _pending_approval_requests(app, emulator, portal)  # what `approve 42` / `cancel 43` decide
    company = driver.create_company(emulator, portal, TITLE="ACME")
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    driver.create_deal(emulator, portal, OPPORTUNITY="10000", COMPANY_ID=company, STAGE_ID="WON")
    driver.create_deal(emulator, portal, OPPORTUNITY="1000", CONTACT_ID=contact, STAGE_ID="WON")
    app.drain()
    (tmp_path / "opening.csv").write_text(  # the file the README's `import` reads
        f"key,client,amount\nopen-1,company:{company},100\nopen-2,contact:{contact},25.50\n"
    )
    commands = _readme_console_commands()
    assert len(commands) >= 24 and any(c.startswith(".venv/bin/python") for c in commands)
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent)  # the README runs from the checkout
    env = {  # what the web process and the worker have on the server
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "DATABASE_URL": database_url,
        "QUEUE_PATH": str(tmp_path / "queue.sqlite3"),
        "SECRET_KEY": "console-test",
        "B24_CLIENT_ID": CLIENT_ID,
        "B24_CLIENT_SECRET": CLIENT_SECRET,
        "B24_OAUTH_URL": emulator.oauth_url(),
    }
    placeholders = {  # in order: the request ids before MEMBER_ID
        "MEMBER_ID 42 ": f"MEMBER_ID {pending[0]} ",
        "MEMBER_ID 43 ": f"MEMBER_ID {pending[1]} ",
        "MEMBER_ID": portal.member_id,
        "company:7": f"company:{company}",
        "contact:12": f"contact:{contact}",
    }
    for written in commands:
        command = written
        for placeholder, value in placeholders.items():
            command = command.replace(placeholder, value)
        done = subprocess.run(
            command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0 and not done.stderr, f"{written}\n{done.stderr}"
        if ">" not in command:
            assert json.loads(done.stdout) is not None, written
    exported = json.loads((tmp_path / "program.json").read_text())
    assert exported["version"] == 1 and exported["program"]["rules"] and exported["program"]["approvals"]
    assert (tmp_path / "balances.csv").read_text().startswith("client,")
    # the settlement is documented as CSV: a header, a line per legal entity, a total
    table = list(csv.reader(io.StringIO((tmp_path / "settlement.csv").read_text())))
    assert len(table) >= 2 and all(len(row) == len(table[0]) for row in table)
    assert [(r.status, r.decision_reason) for r in a.requests(app)] == [
        ("approved", "ticket 1234"),
        ("cancelled", "duplicate"),
    ]
    with app.db.transaction() as session:
        kinds = sorted(e.kind for e in session.execute(select(LedgerEntry)).scalars())
    # the README's writeoff and adjust, and the bonus_points request its `approve` applied;
    # `import --dry-run` writes nothing, and no campaign is due
    assert kinds == ["accrual", "accrual", "correction", "request_accrual", "write_off"]


def _pending_approval_requests(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> list[int]:
    """A program with a bonus_points definition and two pending requests of it; their ids."""
    s = a.seed(emulator, portal)
    with app.db.transaction() as session:
        pid = portal_id_of(app)
        document = {**current_program(session, pid).document, "approvals": a.definitions(s)[3:]}
        save_program(session, pid, document, "test", app.container.clock.now())
    deal = a.deal(emulator, portal, [(s.monthly, "30", 1)])
    for reason in ("late delivery", "sent twice"):
        a.request(app, emulator, portal, deal, s.agent, definition="goodwill", amount="10", reason=reason)
    ids = [r.id for r in a.requests(app) if r.status == "pending"]
    assert len(ids) == 2
    return ids


def test_status_reports_the_last_ledger_audit(
    app: AppHarness, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    portal = emulator.add_portal()
    driver.install_api(emulator, portal, CLIENT_ID, app.base_url + "/install")
    app.drain()
    company = driver.create_company(emulator, portal, TITLE="ACME")
    driver.create_deal(emulator, portal, OPPORTUNITY="1000", COMPANY_ID=company, STAGE_ID="WON")
    app.drain()

    def run(*argv: str) -> dict[str, Any]:
        assert main([argv[0], portal.member_id, *argv[1:]], container=app.container) == 0
        return dict(json.loads(capsys.readouterr().out))

    assert run("status")["ledger_audit"] is None  # the first healing pass has not run yet
    audited = run("heal")["ledger_audit"]
    assert audited["differences"] == 0 and audited["first"] == [] and audited["checked_at"]
    with app.db.transaction() as session:  # a lot edited behind the ledger's back
        session.execute(text("UPDATE lots SET remaining = remaining - 1"))
    audited = run("heal")["ledger_audit"]
    assert audited["differences"] == 2  # the account no longer matches its lots, nor the lot its draws
    assert any(line.startswith("lot ") for line in audited["first"])
