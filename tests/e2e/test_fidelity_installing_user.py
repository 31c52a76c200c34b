"""The installing user (not user 1) owns the robots; each robot code is registered once, as a robot,
and a second provisioning sends nothing already installed."""

from __future__ import annotations

from sqlalchemy import select

from b24app.models import Portal
from install import spec
from install.services.installs import provision_now
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of

INSTALLER = 7


def _installed_by_user_7(app: AppHarness, emulator: Emulator) -> EmuPortal:
    portal = emulator.add_portal()
    portal.users[INSTALLER] = {"ID": str(INSTALLER), "NAME": "Olga", "ADMIN": True}
    delivery = driver.install_api(emulator, portal, CLIENT_ID, app.base_url + "/install", user_id=INSTALLER)
    assert "auth[user_id]" not in dict(delivery.form)  # as on-app-install.md shows it: no user id
    app.drain()
    return portal


def test_robots_belong_to_the_installing_user(app: AppHarness, emulator: Emulator) -> None:
    portal = _installed_by_user_7(app, emulator)
    with app.db.transaction() as session:
        assert session.execute(select(Portal.user_id)).scalar_one() == INSTALLER
    robots = portal.apps[CLIENT_ID].robots
    assert sorted(robots) == sorted(spec.ROBOT_CODES)
    assert {int(r["AUTH_USER_ID"]) for r in robots.values()} == {INSTALLER}
    deal = driver.create_deal(emulator, portal, TITLE="d", OPPORTUNITY="100")
    run, answer = driver.start_robot(  # the portal passes the robot owner's token
        emulator,
        portal,
        CLIENT_ID,
        spec.ACCRUE_CODE,
        ["crm", "CCrmDocumentDeal", f"DEAL_{deal}"],
        {"amount": "5"},
    )
    assert answer.status == 200
    app.drain()
    assert run.answered


def test_each_code_is_registered_once_and_never_resent(app: AppHarness, emulator: Emulator) -> None:
    portal = _installed_by_user_7(app, emulator)
    adds = [
        r.method for r in emulator.requests if r.method.startswith("bizproc.") and r.method.endswith(".add")
    ]
    assert sorted(adds) == ["bizproc.robot.add"] * len(spec.ROBOT_CODES)
    assert portal.apps[CLIENT_ID].activities == {}
    before = len(emulator.requests)
    provision_now(app.container, portal_id_of(app))
    again = [r.method for r in list(emulator.requests)[before:]]
    assert not [m for m in again if m.endswith((".add", ".bind", ".update", ".delete"))], again


def test_an_older_action_under_the_same_code_gives_way(app: AppHarness, emulator: Emulator) -> None:
    portal = emulator.add_portal()
    legacy = emulator.app_install(portal, CLIENT_ID)
    legacy.activities[spec.ROBOT_CODE] = {"CODE": spec.ROBOT_CODE, "HANDLER": app.base_url + "/robots/x"}
    driver.install_api(emulator, portal, CLIENT_ID, app.base_url + "/install")
    app.drain()
    assert legacy.activities == {} and sorted(legacy.robots) == sorted(spec.ROBOT_CODES)


def test_another_administrator_installing_again_takes_the_robots_over(
    app: AppHarness, emulator: Emulator
) -> None:
    portal = _installed_by_user_7(app, emulator)
    portal.users[8] = {"ID": "8", "NAME": "Boris", "ADMIN": True}
    before = len(emulator.requests)
    driver.install_api(emulator, portal, CLIENT_ID, app.base_url + "/install", user_id=8)
    app.drain()
    sent = [r.method for r in list(emulator.requests)[before:] if r.method.startswith("bizproc.")]
    assert sorted(m for m in sent if not m.endswith(".list")) == ["bizproc.robot.update"] * len(
        spec.ROBOT_CODES
    )
    assert {int(r["AUTH_USER_ID"]) for r in portal.apps[CLIENT_ID].robots.values()} == {8}
    with app.db.transaction() as session:
        assert session.execute(select(Portal.user_id)).scalar_one() == 8
