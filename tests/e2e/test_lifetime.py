"""Bonus lifetime with a moving clock: holds, expiry after a partial spend, FIFO, reminders once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from b24app.clock import FrozenClock
from b24app.models import OutboxMessage, Portal, PortalObject
from install.services.status import portal_status
from registry.bonuses.support import manual
from registry.ledger.models import LedgerEntry, Lot
from registry.ledger.posting import Owner
from registry.program.document import save_program
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of


@pytest.fixture
def app_clock(clock: FrozenClock) -> FrozenClock:
    return clock


def _program(app: AppHarness, **settings: Any) -> None:
    with app.db.transaction() as session:
        save_program(session, portal_id_of(app), settings, "test", app.container.clock.now())


def _later(app: AppHarness, clock: FrozenClock, **delta: float) -> None:
    """Move time on and let the worker do what is due."""
    clock.advance(**delta)
    app.skew += timedelta(**delta)
    app.container.jobs.enqueue_lane(portal_id_of(app), force=True)
    app.drain()


def _won(app: AppHarness, emulator: Emulator, portal: EmuPortal, contact: int, amount: str) -> None:
    driver.create_deal(emulator, portal, TITLE="d", OPPORTUNITY=amount, CONTACT_ID=contact, STAGE_ID="WON")
    app.drain()


def _stages(portal: EmuPortal) -> list[str]:
    etid = next(iter(portal.types.values()))["entityTypeId"]
    items = sorted(portal.items[etid].values(), key=lambda i: int(i["id"]))
    return [str(i["stageId"]).split(":")[1] for i in items]


def _entries(app: AppHarness) -> list[tuple[str, Decimal]]:
    with app.db.transaction() as session:
        rows = session.execute(select(LedgerEntry).order_by(LedgerEntry.id)).scalars()
        return [(e.kind, e.amount) for e in rows]


def _spend(app: AppHarness, contact: int, amount: str) -> dict[str, Any]:
    with app.db.transaction() as session:
        owner = Owner("contact", contact)
        return manual(
            session, portal_id_of(app), owner, Decimal(amount), "test", "writeoff", app.container.clock.now()
        )


def test_hold_then_active(app: AppHarness, emulator: Emulator, portal: EmuPortal, clock: FrozenClock) -> None:
    _program(app, hold_days=3)
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    _won(app, emulator, portal, contact, "1000")
    assert _stages(portal) == ["NEW"]  # pending
    assert float(portal.contacts[contact]["UF_CRM_BONUS_BALANCE"]) == 0.0
    assert _spend(app, contact, "10")["error_code"] == "INSUFFICIENT_BALANCE"  # held bonuses cannot be spent
    _later(app, clock, days=3, minutes=1)
    assert _stages(portal) == ["PREPARATION"]  # active
    assert float(portal.contacts[contact]["UF_CRM_BONUS_BALANCE"]) == 50.0
    assert _spend(app, contact, "10")["ok"] is True


def test_expiry_after_a_partial_spend(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, clock: FrozenClock
) -> None:
    _program(app, lifetime_days=30, remind_days=0)
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    _won(app, emulator, portal, contact, "1000")
    assert _spend(app, contact, "20")["ok"] is True
    _later(app, clock, days=29)
    assert _entries(app)[-1][0] == "write_off"  # not yet
    _later(app, clock, days=1, minutes=1)
    assert _entries(app) == [
        ("accrual", Decimal("50.00")),
        ("write_off", Decimal("-20.00")),
        ("expiry", Decimal("-30.00")),
    ]
    assert _stages(portal) == ["EXPIRED", "SUCCESS", "EXPIRED"]
    assert float(portal.contacts[contact]["UF_CRM_BONUS_BALANCE"]) == 0.0
    assert any(c["COMMENT"] == "Сгорело 30,00 бонусов. Баланс: 0,00" for c in portal.comments)
    _later(app, clock, days=1)
    assert len(_entries(app)) == 3  # a rerun expires nothing twice


def test_fifo_across_lots_then_expiry(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, clock: FrozenClock
) -> None:
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    _program(app, lifetime_days=60, remind_days=0)
    _won(app, emulator, portal, contact, "1000")  # 50, expires day 60
    _program(app, lifetime_days=10, remind_days=0)
    _won(app, emulator, portal, contact, "600")  # 30, expires day 10: spent first
    assert _spend(app, contact, "40")["balance"] == "40.00"
    with app.db.transaction() as session:
        left = [lot.remaining for lot in session.execute(select(Lot).order_by(Lot.id)).scalars()]
    assert left == [Decimal("40.00"), Decimal("0.00")]
    _later(app, clock, days=11)
    assert [k for k, _ in _entries(app)] == ["accrual", "accrual", "write_off"]  # nothing left to expire
    _later(app, clock, days=50)
    assert _entries(app)[-1] == ("expiry", Decimal("-40.00"))


def test_reminder_once_across_reruns(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, clock: FrozenClock
) -> None:
    _program(app, lifetime_days=10, remind_days=7)
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    _won(app, emulator, portal, contact, "1000")
    _later(app, clock, days=2)
    reminders = [c for c in portal.comments if "сгорят" in c["COMMENT"]]
    assert reminders == []
    _later(app, clock, days=2)
    for _ in range(3):
        _later(app, clock, hours=2)
    reminders = [c["COMMENT"] for c in portal.comments if "сгорят" in c["COMMENT"]]
    assert len(reminders) == 1 and reminders[0].endswith("сгорят 50,00 бонусов — потратьте их до этого дня.")


def test_drift_is_repaired_and_reported(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, clock: FrozenClock
) -> None:
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    company = driver.create_company(emulator, portal, TITLE="ACME")
    _won(app, emulator, portal, contact, "1000")
    driver.create_deal(emulator, portal, TITLE="d", OPPORTUNITY="400", COMPANY_ID=company, STAGE_ID="WON")
    app.drain()
    portal.contacts[contact]["UF_CRM_BONUS_BALANCE"] = "999"  # someone typed over it
    etid = next(iter(portal.types.values()))["entityTypeId"]
    lost = next(i for i in portal.items[etid].values() if i.get("companyId") == company)
    del portal.items[etid][int(lost["id"])]  # someone deleted a registry item
    _later(app, clock, days=1, minutes=1)
    assert float(portal.contacts[contact]["UF_CRM_BONUS_BALANCE"]) == 50.0
    assert float(portal.companies[company]["UF_CRM_BONUS_BALANCE"]) == 20.0
    items = [i for i in portal.items[etid].values() if i.get("companyId") == company]
    assert len(items) == 1 and items[0]["xmlId"] == lost["xmlId"]
    with app.db.transaction() as session:
        status = portal_status(session, session.get_one(Portal, portal_id_of(app)), 0)
    assert str(status["last_healing"]).startswith("1 balances, 1 items")
    _later(app, clock, days=1, minutes=1)  # nothing left to repair
    with app.db.transaction() as session:
        status = portal_status(session, session.get_one(Portal, portal_id_of(app)), 0)
    assert str(status["last_healing"]).startswith("0 balances, 0 items")


def test_pruned_deliveries_break_neither_stage_moves_nor_healing(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, clock: FrozenClock
) -> None:
    _program(app, hold_days=40, remind_days=0)
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    _won(app, emulator, portal, contact, "1000")
    assert _stages(portal) == ["NEW"]
    _later(app, clock, days=31)  # the healing pass prunes what was delivered over 30 days ago
    with app.db.transaction() as session:
        assert (
            session.execute(select(OutboxMessage).where(OutboxMessage.kind == "registry_item")).first()
            is None
        )
        assert session.execute(select(PortalObject.key)).scalars().all() == ["entry:1"]
    _later(app, clock, days=10)  # the hold is over: the item moves, found through portal_objects
    assert _stages(portal) == ["PREPARATION"]
    etid = next(iter(portal.types.values()))["entityTypeId"]
    portal.items[etid].clear()  # someone deleted the registry item
    _later(app, clock, days=1, minutes=1)
    assert _stages(portal) == ["PREPARATION"]
    assert [i["xmlId"] for i in portal.items[etid].values()] == ["entry:1"]
