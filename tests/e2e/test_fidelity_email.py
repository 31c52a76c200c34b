"""E-mail is never falsely "sent": it needs a sender (the program's or a CRM mailbox) and a responsible
user; "From is not found" is a permanent failure shown in the status, and an activity found on a
retry counts only when the mail left."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from b24app.models import OutboxMessage
from install.services.status import status_of
from registry.bonuses.models import Notification
from registry.program.document import ProgramError, save_program
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of

SENDER = "Bonus club <club@shop.test>"


def _program(app: AppHarness, **notifications: Any) -> None:
    document = {
        "notifications": {"channels": {"accrued": ["email", "whatsapp"]}, "templates": {}, **notifications}
    }
    with app.db.transaction() as session:
        save_program(session, portal_id_of(app), document, "test", app.container.clock.now())


def _win(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> int:
    contact = driver.create_contact(emulator, portal, NAME="Ann", EMAIL=[{"VALUE": "ann@example.test"}])
    driver.create_deal(emulator, portal, TITLE="d", OPPORTUNITY="1000", STAGE_ID="WON", CONTACT_ID=contact)
    app.drain()
    return contact


def _notices(app: AppHarness) -> list[tuple[str, str, str | None]]:
    with app.db.transaction() as session:
        rows = session.execute(select(Notification).order_by(Notification.id)).scalars()
        return [(n.channel, n.status, n.error) for n in rows]


def _retry_now(app: AppHarness) -> None:
    with app.db.transaction() as session:  # the backoff has passed (it lives on the outbox message)
        session.execute(update(OutboxMessage).values(next_attempt_at=app.container.clock.now()))
    app.container.jobs.enqueue_lane(portal_id_of(app), force=True)
    app.drain()


def test_no_sender_fails_for_good_with_the_reason_and_the_next_channel_is_tried(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    portal.crm_mailboxes.clear()  # the installing user has no CRM mailbox, there is no shared one
    _program(app)
    _win(app, emulator, portal)
    _retry_now(app)
    (channel, status, reason), *rest = _notices(app)
    assert (channel, status) == ("email", "failed") and reason is not None
    assert reason.startswith('Email send error. "From" is not found') and "CRM mailbox" in reason
    assert rest == [("whatsapp", "skipped", "no whatsapp chat")]  # the next channel, at once
    assert portal.sent_emails == []
    assert portal.activities_log == []  # the activity the portal saved unsent is taken off the card
    failed = status_of(app.container, portal_id_of(app))["failed_notifications"]
    assert [(f["channel"], f["error"]) for f in failed] == [("email", reason)]


def test_the_programs_sender_and_the_installing_user(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    portal.crm_mailboxes.clear()
    _program(app, email_from=SENDER)
    _win(app, emulator, portal)
    _retry_now(app)
    assert _notices(app) == [("email", "sent", None)]
    mail = portal.sent_emails[0]
    assert mail["SETTINGS"]["MESSAGE_FROM"] == SENDER and int(mail["RESPONSIBLE_ID"]) == 1


def test_a_saved_but_unsent_activity_is_not_taken_for_a_sent_mail(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    portal.crm_mailboxes.clear()
    _program(app)
    emulator.faults.lose_response_next(1, method="crm.activity.add")  # saved, not sent, answer lost
    contact = _win(app, emulator, portal)
    assert portal.sent_emails == [] and all(a["COMPLETED"] == "N" for a in portal.activities_log)
    assert _notices(app)[0][:2] == ("email", "pending")  # found or not: never "sent" so far
    portal.crm_mailboxes.add(1)  # the administrator connects a mailbox meanwhile
    for _ in range(3):
        if _notices(app)[0][1] == "sent":
            break
        _retry_now(app)
    assert _notices(app)[0] == ("email", "sent", None)
    assert [r.method for r in emulator.requests].count("crm.activity.delete") == 1  # the unsent one
    assert len(portal.sent_emails) == 1 and str(portal.sent_emails[0]["OWNER_ID"]) == str(contact)
    assert [a["COMPLETED"] for a in portal.activities_log] == ["Y"]


def test_a_malformed_sender_is_refused_naming_the_setting(app: AppHarness, portal: EmuPortal) -> None:
    with pytest.raises(ProgramError, match="email_from"):
        _program(app, email_from="club at shop")
