"""ONAPPUNINSTALL is acted on only once the portal confirms the app is gone; CLEAN=1 runs in the worker."""

from __future__ import annotations

import requests
from sqlalchemy import func, select

from b24app.db import Base, Database
from b24app.models import InboxEvent, Portal
from registry.bonuses import held_reads
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness


def _counts(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        return {
            t.name: int(session.execute(select(func.count()).select_from(t)).scalar_one())
            for t in Base.metadata.sorted_tables
            if t.name not in {"inbox_events", "lane_leases"}
        }


def _with_bonuses(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> None:
    company = driver.create_company(emulator, portal, TITLE="ACME")
    driver.create_deal(emulator, portal, TITLE="d", OPPORTUNITY="1000", COMPANY_ID=company, STAGE_ID="WON")
    app.drain()


def _portal_row(app: AppHarness) -> tuple[str, str | None, str | None]:
    with app.db.transaction() as session:
        row = session.execute(select(Portal)).scalar_one()
        return row.status, row.access_token, row.refresh_token


def test_forged_uninstall_with_clean_while_installed_deletes_nothing(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    _with_bonuses(app, emulator, portal)
    before, tokens = _counts(app.db), _portal_row(app)
    assert before["ledger_entries"] == 1
    # Any user who opens a card tab can read the application token; that is all this takes.
    forged = requests.post(
        app.base_url + "/events",
        data={
            "event": "ONAPPUNINSTALL",
            "data[CLEAN]": "1",
            "auth[member_id]": portal.member_id,
            "auth[application_token]": portal.apps[CLIENT_ID].application_token,
        },
        timeout=5,
    )
    assert forged.status_code == 200  # recorded, not acted on
    app.drain()
    assert _counts(app.db) == before and _portal_row(app) == tokens
    with app.db.transaction() as session:
        claim = session.execute(select(InboxEvent).where(InboxEvent.kind == "uninstall")).scalar_one()
        assert claim.status == "skipped" and "still accepts" in (claim.error or "")
    _with_bonuses(app, emulator, portal)  # the app goes on working
    assert _counts(app.db)["ledger_entries"] == 2


def test_a_real_uninstall_with_clean_deletes_the_data_in_the_worker(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    _with_bonuses(app, emulator, portal)
    before = _counts(app.db)
    deliveries = driver.uninstall(emulator, portal, CLIENT_ID, clean=True)
    assert [d.status for d in deliveries] == [200]
    assert _counts(app.db) == before  # the web request deleted nothing
    app.drain()
    assert _portal_row(app) == ("uninstalled", None, None)
    after = _counts(app.db)
    assert after["portals"] == 1 and sum(n for name, n in after.items() if name != "portals") == 0


def test_a_real_uninstall_without_clean_keeps_the_ledger(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    _with_bonuses(app, emulator, portal)
    with app.db.transaction() as session:  # a deal read ahead, not accrued yet: its answer is moot
        portal_id = session.execute(select(Portal.id)).scalar_one()
        held_reads.hold(session, portal_id, {77: {"deal": None}}, {77: 1}, app.container.clock.now())
    driver.uninstall(emulator, portal, CLIENT_ID, clean=False)
    app.drain()
    assert _portal_row(app) == ("uninstalled", None, None)
    assert _counts(app.db)["ledger_entries"] == 1 and _counts(app.db)["deal_reads"] == 0


def test_an_uninstall_waits_while_the_portal_does_not_answer(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    _with_bonuses(app, emulator, portal)
    driver.uninstall(emulator, portal, CLIENT_ID, clean=True)
    emulator.faults.fail_next(5, status=503, code="INTERNAL_SERVER_ERROR", method="app.info")
    app.drain()
    assert _portal_row(app)[0] == "installed" and _counts(app.db)["ledger_entries"] == 1
    emulator.faults.clear()
    app.skew = app.skew.__class__(minutes=10)  # the lane's retry is due
    app.drain()
    assert _portal_row(app)[0] == "uninstalled" and _counts(app.db)["ledger_entries"] == 0


def test_an_uninstall_confirmed_by_a_refused_refresh(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    """Our access token had expired: the refresh answering invalid_grant is the confirmation."""
    _with_bonuses(app, emulator, portal)
    emulator.expire_access_tokens(portal)
    driver.uninstall(emulator, portal, CLIENT_ID, clean=False)
    app.drain()
    assert _portal_row(app) == ("uninstalled", None, None)
