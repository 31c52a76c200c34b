"""Errors read as the portal means them: a deleted portal stops its lane, OPERATION_TIME_LIMIT waits
for its reset, a limit hit while provisioning retries by itself, and a refused client secret is one
operator alarm that revokes no portal."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from b24app.models import Portal
from install.services.status import status_of
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID, CLIENT_SECRET
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of


def _next_run(app: AppHarness) -> timedelta | None:
    """Move the queue's time to the earliest delayed job (a lane retry) and run it."""
    wait = app.next_scheduled()
    if wait is not None:
        app.skew += wait + timedelta(milliseconds=500)
        app.drain()
    return wait


def _has_items(portal: EmuPortal) -> bool:
    return any(portal.items.values())


def _won_deal(emulator: Emulator, portal: EmuPortal) -> int:
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    return driver.create_deal(
        emulator, portal, TITLE="d", OPPORTUNITY="100", CONTACT_ID=contact, STAGE_ID="WON"
    )


def test_deleted_portal_stops_its_lane_and_is_marked(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    _won_deal(emulator, portal)
    portal.deleted = True
    calls = len(emulator.requests)
    app.drain()
    status = status_of(app.container, portal_id_of(app))
    assert status["portal_deleted"] and "PORTAL_DELETED" in status["portal_deleted_reason"]
    assert app.next_scheduled() is None  # no retry loop: nothing is scheduled for the portal
    assert len(emulator.requests) - calls == 1  # one answer was enough
    assert not status["auth_failed"]


def test_operation_time_limit_waits_until_the_reset(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    emulator.limits_enabled = True
    _won_deal(emulator, portal)
    emulator.limiter.charge(portal.member_id, "crm.deal.get", 1000.0)  # over the 480 s budget
    app.drain()
    assert emulator.stats.limit_429 >= 1
    wait = app.next_scheduled()
    assert wait is not None and wait > timedelta(seconds=55)  # the reset, not a 2-30 s backoff loop
    emulator.clock.advance(wait.total_seconds() + 601)  # the basket that blocked it has dropped out
    app.skew += wait + timedelta(seconds=1)
    app.drain()
    assert _has_items(portal)  # the accrual reached the portal


def test_limit_during_provisioning_retries_by_itself(app: AppHarness, emulator: Emulator) -> None:
    portal = emulator.add_portal()
    emulator.faults.fail_next(1, status=503, code="QUERY_LIMIT_EXCEEDED", method="crm.type.add")
    driver.install_api(emulator, portal, CLIENT_ID, app.base_url + "/install")
    app.drain()
    with app.db.transaction() as session:
        row = session.execute(select(Portal)).scalar_one()
        assert (row.status, row.install_error) == ("installing", None)  # not "failed"
    assert _next_run(app) is not None
    with app.db.transaction() as session:
        assert session.execute(select(Portal.status)).scalar_one() == "installed"
    assert sorted(t["title"] for t in portal.types.values()) == ["Bonus requests", "Bonuses"]  # no twin


@pytest.fixture
def two_portals(app: AppHarness, emulator: Emulator) -> list[EmuPortal]:
    made = []
    for _ in range(2):
        p = emulator.add_portal()
        driver.install_api(emulator, p, CLIENT_ID, app.base_url + "/install")
        made.append(p)
    app.drain()
    return made


def test_refused_client_secret_is_one_alarm_and_revokes_nothing(
    app: AppHarness, emulator: Emulator, two_portals: list[EmuPortal], caplog: pytest.LogCaptureFixture
) -> None:
    emulator.register_app(CLIENT_ID, "rotated-on-the-portal")  # our B24_CLIENT_SECRET is now wrong
    for p in two_portals:
        emulator.expire_access_tokens(p)
        _won_deal(emulator, p)
    with caplog.at_level(logging.ERROR):
        app.drain()
    with app.db.transaction() as session:
        rows = session.execute(select(Portal).order_by(Portal.id)).scalars().all()
        assert [r.auth_failed_at for r in rows] == [None, None] and all(r.refresh_token for r in rows)
        ids = [r.id for r in rows]
    assert [r.getMessage() for r in caplog.records].count("operator.alarm") == 1
    status = status_of(app.container, ids[0])
    assert [a["code"] for a in status["operator_alarms"]] == ["oauth_client_refused"]
    assert "B24_CLIENT_SECRET" in status["operator_alarms"][0]["message"]
    health = requests.get(app.base_url + "/healthz", timeout=5)
    assert health.status_code == 200 and health.json()["status"] == "alarm"
    assert health.json()["alarms"][0]["code"] == "oauth_client_refused"
    emulator.register_app(CLIENT_ID, CLIENT_SECRET)  # the operator fixed it: the lanes recover
    while _next_run(app) is not None and not all(
        any(t.values()) for p in two_portals for t in p.items.values()
    ):
        pass
    assert requests.get(app.base_url + "/healthz", timeout=5).json()["alarms"] == []
    assert all(map(_has_items, two_portals))
