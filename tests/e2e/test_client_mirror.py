"""The client mirror: first full load in chained batches, events read back by id, the hourly catch-up
by updatedTime, the daily id sweep, and customer groups worked out from it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from b24app import schedule
from b24app.clock import FrozenClock
from b24app.models import InboxEvent
from registry.bonuses.audience import ClientRecord
from registry.bonuses.clients import portal_offset
from registry.bonuses.groups import client_in_groups
from registry.ledger.posting import Owner
from registry.program.document import save_program
from registry.services.clients_step import request_catch_up
from tests.emulator import driver_crm
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of


@pytest.fixture
def app_clock(clock: FrozenClock) -> FrozenClock:
    return clock


def _run(app: AppHarness) -> None:
    app.container.jobs.enqueue_lane(portal_id_of(app), force=True)
    app.drain()


def _mirror(app: AppHarness) -> dict[tuple[str, int], ClientRecord]:
    with app.db.transaction() as session:
        rows = session.execute(select(ClientRecord)).scalars().all()
        session.expunge_all()
    return {(r.client_type, r.client_id): r for r in rows}


def _program(app: AppHarness, document: dict[str, Any]) -> None:
    with app.db.transaction() as session:
        save_program(session, portal_id_of(app), document, "test", app.container.clock.now())


KEPT: dict[str, Any] = {
    "groups": [{"code": "vip", "name": "VIP", "by": "customer", "clients": ["contact:1"]}]
}


def test_first_load_is_chained_then_events_keep_it(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    _program(app, KEPT)  # the mirror is kept for programs with campaigns or groups
    shop = driver_crm.create_client(emulator, portal, "company", user_id=None, title="Shop")
    ids = [
        driver_crm.create_client(emulator, portal, "contact", user_id=None, name=f"C{i}", companyIds=[shop])
        for i in range(120)
    ]
    pid = portal_id_of(app)
    with app.db.transaction() as session:  # the mirror starts again: a first load of what exists
        session.execute(delete(ClientRecord))
        schedule.cursor(session, pid, "clients_loaded", app.container.clock.now()).value = ""
    emulator.stats.http_requests = 0
    _run(app)
    mirror = _mirror(app)
    assert len([k for k in mirror if k[0] == "contact"]) == 120 and ("company", shop) in mirror
    assert mirror[("contact", ids[0])].company_ids == [shop]
    assert emulator.stats.http_requests <= 4  # 120 contacts + 1 company: one batch each, plus a few

    driver_crm.set_birthdate(emulator, portal, ids[0], "1990-02-14")
    driver_crm.delete_client(emulator, portal, "contact", ids[1])
    new = driver_crm.create_client(emulator, portal, "contact", name="New", companyIds=[shop])
    app.drain()
    mirror = _mirror(app)
    assert str(mirror[("contact", ids[0])].birthdate) == "1990-02-14"
    assert ("contact", ids[1]) not in mirror and ("contact", new) in mirror


def test_catch_up_and_sweep_find_what_events_missed(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, clock: FrozenClock
) -> None:
    _program(app, KEPT)
    a = driver_crm.create_client(emulator, portal, "contact", name="A")
    b = driver_crm.create_client(emulator, portal, "contact", name="B")
    app.drain()
    assert {("contact", a), ("contact", b)} <= set(_mirror(app))
    portal.utc_offset = "+03:00"
    with emulator.lock:  # changes whose events never reached us
        portal.contacts[a]["BIRTHDATE"] = "1985-07-01"
        portal.contacts[a]["DATE_MODIFY"] = (clock.now() + timedelta(minutes=1)).isoformat()
        del portal.contacts[b]
    clock.advance(minutes=1)
    pid = portal_id_of(app)
    with app.db.transaction() as session:
        request_catch_up(session, pid, clock.now())
    _run(app)
    mirror = _mirror(app)
    assert str(mirror[("contact", a)].birthdate) == "1985-07-01"
    assert ("contact", b) not in mirror
    with app.db.transaction() as session:
        assert str(portal_offset(session, pid, clock.now())) == "UTC+03:00"


def test_groups_by_shop_and_by_customer(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> None:
    shop = driver_crm.create_client(emulator, portal, "company", title="Shop")
    other = driver_crm.create_client(emulator, portal, "company", title="Other")
    inside = driver_crm.create_client(emulator, portal, "contact", name="In", companyIds=[shop])
    outside = driver_crm.create_client(emulator, portal, "contact", name="Out", companyIds=[other])
    _program(
        app,
        {
            "groups": [
                {"code": "shop", "name": "Shop", "by": "shop", "companies": [shop]},
                {"code": "vip", "name": "VIP", "by": "customer", "clients": [f"contact:{outside}"]},
            ]
        },
    )
    app.drain()
    later = driver_crm.create_client(emulator, portal, "contact", name="Later", companyIds=[shop])
    app.drain()
    pid = portal_id_of(app)
    with app.db.transaction() as session:
        assert client_in_groups(session, pid, Owner("contact", inside), ["shop"])
        assert client_in_groups(session, pid, Owner("contact", later), ["shop"])  # created after setup
        assert client_in_groups(session, pid, Owner("company", shop), ["shop"])
        assert not client_in_groups(session, pid, Owner("contact", outside), ["shop"])
        assert client_in_groups(session, pid, Owner("contact", outside), ["shop", "vip"])
        assert not client_in_groups(session, pid, Owner("contact", inside), ["nope"])
        assert client_in_groups(session, pid, Owner("contact", inside), [])


def test_without_campaigns_or_groups_client_events_cost_no_portal_read(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    emulator.stats.per_method.clear()
    contact = driver_crm.create_client(emulator, portal, "contact", name="A")  # ONCRMCONTACTADD
    app.drain()
    assert ("contact", contact) not in _mirror(app)
    reads = {m: n for m, n in emulator.stats.per_method.items() if m.startswith("crm.item.")}
    assert reads == {}, reads  # nothing read back for a mirror nobody uses
    with app.db.transaction() as session:
        query = select(InboxEvent.status).where(InboxEvent.kind == "client")
        statuses = session.execute(query).scalars().all()
    assert statuses and set(statuses) == {"done"}  # the event was recorded and let go
