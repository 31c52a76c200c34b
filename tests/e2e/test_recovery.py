"""Fast recovery: lost responses cost a portal seconds, not a sweep; retries wake the lane when due.

Time is the injected clock moved together with the job queue's (``AppHarness.wait_for_next_job``),
so the figures are what the schedule does, without waiting for real.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from b24app.clock import FrozenClock
from b24app.models import OutboxMessage
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.portal import RobotRun
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness


@pytest.fixture
def app_clock(clock: FrozenClock) -> FrozenClock:
    return clock


def _contact_with_bonuses(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> int:
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    driver.create_deal(emulator, portal, TITLE="d", OPPORTUNITY="10000", CONTACT_ID=contact, STAGE_ID="WON")
    app.drain()
    return contact


def _write_offs(emulator: Emulator, portal: EmuPortal, contact: int, count: int) -> list[RobotRun]:
    document = ["crm", "CCrmDocumentContact", f"CONTACT_{contact}"]
    return [
        driver.start_robot(emulator, portal, CLIENT_ID, "bonus_writeoff", document, {"amount": "1"})[0]
        for _ in range(count)
    ]


def _outbox(app: AppHarness) -> list[OutboxMessage]:
    with app.db.transaction() as session:
        return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def test_eight_lost_responses_are_recovered_within_a_minute_of_the_portal_answering(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, clock: FrozenClock
) -> None:
    contact = _contact_with_bonuses(app, emulator, portal)
    emulator.faults.lose_response_next(8, method="bizproc.event.send")  # outbox batches: written, no answer
    runs = _write_offs(emulator, portal, contact, 20)  # 61 messages owed: two batches
    app.drain()
    portal_back_at = None
    for _ in range(30):
        if portal_back_at is None and not emulator.faults.pending()["queue"]:
            portal_back_at = clock.now()  # the eighth lost response is behind us
        if all(m.status == "done" for m in _outbox(app)):
            break
        assert app.wait_for_next_job(clock) is not None, "nothing scheduled: the lane waits for the sweep"
    assert portal_back_at is not None and all(m.status == "done" for m in _outbox(app))
    assert clock.now() - portal_back_at <= timedelta(minutes=1)
    assert all(run.answered and run.return_values and run.return_values["ok"] == "Y" for run in runs)
    etid = next(iter(portal.types.values()))["entityTypeId"]
    assert len(portal.items[etid]) == 21  # the accrual and 20 write-offs, no twin
    assert len([c for c in portal.comments if c["ENTITY_TYPE"] == "contact"]) == 21


def test_a_failed_batch_settles_only_its_own_messages(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, clock: FrozenClock
) -> None:
    contact = _contact_with_bonuses(app, emulator, portal)
    emulator.faults.lose_response_next(1, method="bizproc.event.send")
    _write_offs(emulator, portal, contact, 20)
    # The lost batch also wrote the contact's balance field, and the portal echoes that as
    # ONCRMCONTACTUPDATE (the client mirror binds it): delivered, it would wake the lane at once
    # (as any event does) and retry the batch before we look at what the failure settled.
    emulator.faults.drop_deliveries(1)
    app.drain()
    assert emulator.faults.pending()["drop_deliveries"] == 0  # the echo came, and was dropped
    owed = [m for m in _outbox(app) if m.status == "pending"]
    first, rest = owed[:50], owed[50:]  # the lost batch, and what was never sent
    assert len(rest) == 11
    assert all(m.attempts == 1 and m.last_error and m.next_attempt_at == clock.now() for m in first)
    assert all(m.attempts == 0 and m.last_error is None and m.next_attempt_at == clock.now() for m in rest)
    assert app.next_scheduled() is not None and app.next_scheduled() <= timedelta(seconds=2)


def test_a_retry_wakes_the_lane_when_it_comes_due_not_at_the_sweep(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, clock: FrozenClock
) -> None:
    contact = _contact_with_bonuses(app, emulator, portal)
    emulator.faults.fail_next(1, status=503, code="QUERY_LIMIT_EXCEEDED", method="bizproc.event.send")
    (run,) = _write_offs(emulator, portal, contact, 1)
    app.drain()
    assert not run.answered  # that one command was refused; the batch answered and the run went well
    answer = next(m for m in _outbox(app) if m.kind == "workflow_answer")
    due_in = answer.next_attempt_at - clock.now()
    assert answer.status == "pending" and timedelta(0) < due_in <= timedelta(seconds=10)
    wait = app.next_scheduled()
    assert wait is not None and abs(wait - due_in) < timedelta(seconds=2)  # woken then, not in 5 minutes
    app.wait_for_next_job(clock)
    assert run.answered and run.return_values and run.return_values["ok"] == "Y"
    assert app.next_scheduled() is None  # nothing more to wake up for
