"""Forged calls write nothing; an expiring token is refreshed once; a dead refresh token stops cleanly."""

from __future__ import annotations

import requests
from sqlalchemy import func, select

from b24app.db import Base, Database
from b24app.models import LaneLease, Portal
from install.services.provisioning import request_provisioning
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness


def _installed(app: AppHarness, emulator: Emulator) -> EmuPortal:
    portal = emulator.add_portal()
    driver.install_api(emulator, portal, CLIENT_ID, app.base_url + "/install")
    app.drain()
    emulator.reset_stats()  # the install's own token exchange is not what these tests count
    return portal


def _row_counts(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        return {
            t.name: int(session.execute(select(func.count()).select_from(t)).scalar_one())
            for t in Base.metadata.sorted_tables
        }


def _event(member_id: str, token: str, deal_id: str = "5") -> dict[str, str]:
    return {
        "event": "ONCRMDEALUPDATE",
        "data[FIELDS][ID]": deal_id,
        "auth[member_id]": member_id,
        "auth[application_token]": token,
    }


def test_forged_or_unknown_token_is_refused_and_writes_nothing(app: AppHarness, emulator: Emulator) -> None:
    portal = _installed(app, emulator)
    before = _row_counts(app.db)
    forged = requests.post(app.base_url + "/events", data=_event(portal.member_id, "forged"), timeout=5)
    unknown = requests.post(app.base_url + "/events", data=_event("nobody", "x"), timeout=5)
    other = requests.post(
        app.base_url + "/robots/bonus_writeoff",
        data={
            **_event(portal.member_id, "forged"),
            "auth[access_token]": "forged",
            "event_token": "t",
            "document_id[0]": "crm",
            "document_id[1]": "CCrmDocumentDeal",
            "document_id[2]": "DEAL_1",
        },
        timeout=5,
    )
    assert [forged.status_code, unknown.status_code, other.status_code] == [401, 401, 401]
    assert _row_counts(app.db) == before
    genuine = requests.post(
        app.base_url + "/events",
        data=_event(portal.member_id, portal.apps[CLIENT_ID].application_token),
        timeout=5,
    )
    assert genuine.status_code == 200
    assert _row_counts(app.db)["inbox_events"] == before["inbox_events"] + 1


def test_malformed_event_names_the_field(app: AppHarness, emulator: Emulator) -> None:
    portal = _installed(app, emulator)
    token = portal.apps[CLIENT_ID].application_token
    answer = requests.post(
        app.base_url + "/events", data=_event(portal.member_id, token, deal_id="abc"), timeout=5
    )
    assert answer.status_code == 400 and answer.json()["field"] == "data[FIELDS][ID]"


def _reprovision(app: AppHarness) -> None:
    with app.db.transaction() as session:
        portal = session.execute(select(Portal)).scalar_one()
        request_provisioning(session, portal)
        portal_id = portal.id
    app.container.jobs.enqueue_lane(portal_id, force=True)
    app.drain()


def test_expired_access_token_is_refreshed_once_and_rotation_persisted(
    app: AppHarness, emulator: Emulator
) -> None:
    portal = _installed(app, emulator)
    with app.db.transaction() as session:
        before = session.execute(select(Portal)).scalar_one()
        old_refresh, old_generation = before.refresh_token, before.token_generation
    emulator.expire_access_tokens(portal)
    _reprovision(app)
    assert emulator.stats.oauth_refreshes == 1
    with app.db.transaction() as session:
        after = session.execute(select(Portal)).scalar_one()
        assert after.status == "installed"
        assert after.refresh_token != old_refresh and after.token_generation == old_generation + 1
    assert old_refresh not in emulator.refresh  # the portal rotated it; we kept the new one


def test_dead_refresh_token_fails_clearly_without_looping(app: AppHarness, emulator: Emulator) -> None:
    portal = _installed(app, emulator)
    emulator.refresh.clear()  # the refresh token died (e.g. 180 days unused)
    emulator.expire_access_tokens(portal)
    _reprovision(app)
    assert emulator.stats.oauth_attempts == 1
    with app.db.transaction() as session:
        row = session.execute(select(Portal)).scalar_one()
        lease = session.get_one(LaneLease, row.id)
        assert row.auth_failed_at is not None
        assert lease.failures == 1 and "AuthRevoked" in (lease.last_error or "")
    app.skew = app.skew.__class__(minutes=10)  # the retry comes later and fails fast, no OAuth call
    app.drain()
    assert emulator.stats.oauth_attempts == 1
