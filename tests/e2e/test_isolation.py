"""Isolation: a row that fails fails alone (deal, robot call, lot), a step that keeps failing is
skipped with backoff, and the status names what failed and where it came from."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from b24app.clock import FrozenClock
from b24app.models import InboxEvent, Portal
from install.services.status import portal_status
from registry.ledger import posting as ledger
from registry.ledger.kinds import EntryKind
from registry.ledger.models import Account, LedgerEntry, Lot
from registry.program.document import save_program
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of


@pytest.fixture
def app_clock(clock: FrozenClock) -> FrozenClock:
    return clock


def _status(app: AppHarness) -> dict[str, Any]:
    portal_id = portal_id_of(app)
    with app.db.transaction() as session:
        return portal_status(session, session.get_one(Portal, portal_id), 0)


def _accrued_deals(app: AppHarness) -> set[int]:
    with app.db.transaction() as session:
        rows = session.execute(select(LedgerEntry.deal_id).where(LedgerEntry.kind == "accrual")).scalars()
        return {deal for deal in rows if deal is not None}


def _registry_items(portal: EmuPortal) -> int:
    return len(portal.items[next(iter(portal.types.values()))["entityTypeId"]])


def _again(app: AppHarness) -> None:
    app.container.jobs.enqueue_lane(portal_id_of(app), force=True)
    app.drain()


def test_a_deal_that_fails_leaves_the_other_24_of_its_group_accrued(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, clock: FrozenClock
) -> None:
    contacts = [driver.create_contact(emulator, portal, NAME=f"c{i}") for i in range(25)]
    deals = [
        driver.create_deal(emulator, portal, OPPORTUNITY="1000", CONTACT_ID=c, STAGE_ID="WON")
        for c in contacts
    ]
    bad = deals[12]
    with app.db.transaction() as session:  # the ledger key its accrual needs is taken (a restored backup)
        movement = ledger.Movement(
            EntryKind.ACCRUAL,
            ledger.Owner("contact", 999),
            Decimal("1"),
            f"accrual:deal:{bad}:1",
            "x",
            "test",
            ledger.NewLot(365),
        )
        ledger.post(session, portal_id_of(app), movement, clock.now())
    app.drain()  # one lane run: one batch read, one transaction for the 25 deals
    assert _accrued_deals(app) == set(deals) - {bad}
    assert _registry_items(portal) == 24  # the run went on to deliver the mirror
    with app.db.transaction() as session:
        row = session.execute(select(InboxEvent).where(InboxEvent.subject_id == bad)).scalar_one()
    assert row.status == "pending" and row.attempts == 1 and row.retry_at is not None
    assert "IntegrityError" in (row.error or "")
    (problem,) = _status(app)["row_errors"]
    assert problem["what"] == f"deal {bad}" and problem["status"] == "retrying"
    assert "IntegrityError" in problem["error"]


def test_offline_events_refused_for_good_do_not_stop_accruals(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, clock: FrozenClock
) -> None:
    portal.users[1]["ADMIN"] = False  # the administrator who installed the app was demoted
    clock.advance(minutes=11)  # the offline queue's schedule comes round
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    first = driver.create_deal(emulator, portal, OPPORTUNITY="1000", CONTACT_ID=contact, STAGE_ID="WON")
    app.drain()
    assert _accrued_deals(app) == {first} and _registry_items(portal) == 1
    (degraded,) = _status(app)["degraded_steps"]
    assert degraded["step"] == "offline" and "ACCESS_DENIED" in degraded["error"]
    asked = len(emulator.requests.calls("event.offline.get"))
    clock.advance(seconds=30)  # within the step's backoff (a minute after the first failure)
    second = driver.create_deal(emulator, portal, OPPORTUNITY="500", CONTACT_ID=contact, STAGE_ID="WON")
    app.drain()
    assert _accrued_deals(app) == {first, second}
    assert len(emulator.requests.calls("event.offline.get")) == asked  # skipped while it backs off
    portal.users[1]["ADMIN"] = True
    clock.advance(hours=1)
    _again(app)
    assert _status(app)["degraded_steps"] == []  # tried again after the backoff, and it works


def test_a_robot_call_that_keeps_failing_is_answered_and_the_next_one_goes_on(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, clock: FrozenClock
) -> None:
    broken, fine = (driver.create_contact(emulator, portal, NAME=n) for n in ("Broken", "Fine"))
    for contact in (broken, fine):
        driver.create_deal(emulator, portal, OPPORTUNITY="1000", CONTACT_ID=contact, STAGE_ID="WON")
    app.drain()
    with app.db.transaction() as session:  # a cached balance that disagrees with its lots
        session.execute(update(Account).where(Account.owner_id == broken).values(balance=Decimal("0")))
    runs = [
        driver.start_robot(
            emulator,
            portal,
            CLIENT_ID,
            "bonus_writeoff",
            ["crm", "CCrmDocumentContact", f"CONTACT_{c}"],
            {"amount": "10"},
        )[0]
        for c in (broken, fine)
    ]
    app.drain()
    assert runs[1].return_values and runs[1].return_values["ok"] == "Y"  # queued behind, not held up
    assert not runs[0].answered
    for _ in range(2):  # it retries when its backoff is over (the lane is woken for it)
        assert app.wait_for_next_job(clock) is not None
    assert runs[0].return_values and runs[0].return_values["error_code"] == "INTERNAL_ERROR"
    (problem,) = _status(app)["row_errors"]
    assert problem["status"] == "failed" and problem["attempts"] == 3 and "IntegrityError" in problem["error"]


def test_a_lot_that_fails_to_expire_leaves_the_others_expired(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, clock: FrozenClock
) -> None:
    with app.db.transaction() as session:
        save_program(session, portal_id_of(app), {"lifetime_days": 30}, "test", clock.now())
    broken, fine = (driver.create_contact(emulator, portal, NAME=n) for n in ("Broken", "Fine"))
    for contact in (broken, fine):
        driver.create_deal(emulator, portal, OPPORTUNITY="1000", CONTACT_ID=contact, STAGE_ID="WON")
    app.drain()
    with app.db.transaction() as session:
        session.execute(update(Account).where(Account.owner_id == broken).values(balance=Decimal("0")))
    clock.advance(days=31)
    _again(app)
    with app.db.transaction() as session:
        lots = {
            account.owner_id: lot
            for lot, account in session.execute(
                select(Lot, Account).join(Account, Account.id == Lot.account_id)
            )
        }
    assert lots[fine].expired_at is not None and lots[fine].remaining == 0
    assert lots[broken].expired_at is None and "IntegrityError" in (lots[broken].error or "")
    assert lots[broken].retry_at == clock.now() + timedelta(hours=1)
    assert [p["row"] for p in _status(app)["row_errors"]] == [f"lot:{lots[broken].id}"]
    assert _status(app)["degraded_steps"] == []
