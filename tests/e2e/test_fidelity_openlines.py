"""Open-line messages that arrive: the installing user joins the chat first, the chat is the one of
the channel asked for (WhatsApp is not Telegram), closed sessions count, and a refusal sends the
notice to the next channel at once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from registry.bonuses.models import Notification
from registry.program.document import save_program
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of


def _program(app: AppHarness, channels: list[str]) -> None:
    document = {"notifications": {"channels": {"accrued": channels}, "templates": {}}}
    with app.db.transaction() as session:
        save_program(session, portal_id_of(app), document, "test", app.container.clock.now())


def _win(app: AppHarness, emulator: Emulator, portal: EmuPortal, contact: int) -> None:
    driver.create_deal(emulator, portal, TITLE="d", OPPORTUNITY="1000", STAGE_ID="WON", CONTACT_ID=contact)
    app.drain()
    app.container.jobs.enqueue_lane(portal_id_of(app), force=True)
    app.drain()


def _notices(app: AppHarness) -> list[tuple[str, str, str | None]]:
    with app.db.transaction() as session:
        rows = session.execute(select(Notification).order_by(Notification.id)).scalars()
        return [(n.channel, n.status, n.error) for n in rows]


def _client(emulator: Emulator, portal: EmuPortal, **extra: Any) -> int:
    return driver.create_contact(emulator, portal, NAME="Ann", EMAIL=[{"VALUE": "ann@example.test"}], **extra)


def test_message_goes_to_the_channels_chat_from_a_member(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    _program(app, ["whatsapp"])
    contact = _client(emulator, portal)
    whatsapp = driver.add_chat(portal, "contact", contact, "wz_whatsapp_edna", active=False)  # session closed
    driver.add_chat(portal, "contact", contact, "telegrambot")  # newer, but another channel
    _win(app, emulator, portal, contact)
    assert _notices(app) == [("whatsapp", "sent", None)]
    (message,) = portal.chat_messages
    assert message["CHAT_ID"] == whatsapp and int(message["USER_ID"]) == 1  # the installing user
    assert 1 in portal.chat_members[whatsapp]
    asked = [r.params for r in emulator.requests if r.method == "imopenlines.crm.chat.get"]
    assert asked and all(p["CRM_ENTITY_TYPE"] == "contact" and p["ACTIVE_ONLY"] == "N" for p in asked)


def test_telegram_is_its_own_channel(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> None:
    _program(app, ["telegram", "email"])
    contact = _client(emulator, portal)
    driver.add_chat(portal, "contact", contact, "whatsapp")
    _win(app, emulator, portal, contact)
    assert _notices(app) == [("telegram", "skipped", "no telegram chat"), ("email", "sent", None)]
    assert portal.chat_messages == []


def test_a_refusal_falls_through_to_the_next_channel_at_once(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    _program(app, ["whatsapp", "email"])
    contact = _client(emulator, portal)
    driver.add_chat(portal, "contact", contact, "whatsapp")
    emulator.faults.fail_next(1, status=400, code="ACCESS_DENIED", method="imopenlines.crm.message.add")
    _win(app, emulator, portal, contact)  # one lane run: no backoff, no retry of the refused channel
    (channel, status, reason), email = _notices(app)
    assert (
        (channel, status) == ("whatsapp", "failed")
        and reason is not None
        and reason.startswith("ACCESS_DENIED")
    )
    assert email == ("email", "sent", None) and len(portal.sent_emails) == 1
    assert portal.chat_messages == []
