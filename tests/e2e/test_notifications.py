"""Client notifications end to end: open-line chat, SMS (gateway mocked), e-mail, fallbacks, once only."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import responses
from sqlalchemy import select

from b24app.models import OutboxMessage
from b24app.sms import SMSRU_URL
from registry.bonuses.models import Notification
from registry.program.document import save_program
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of

CHANNELS = {"channels": {"accrued": ["whatsapp", "sms", "email"], "written_off": ["email"]}, "templates": {}}


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"sms_provider": "smsru", "smsru_api_id": "test-key"}


@pytest.fixture
def portal(app: AppHarness, portal: EmuPortal) -> EmuPortal:
    with app.db.transaction() as session:
        save_program(
            session, portal_id_of(app), {"notifications": CHANNELS}, "test", app.container.clock.now()
        )
    return portal


@pytest.fixture
def gateway() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru("http://127.0.0.1")  # the emulator and the app talk for real
        yield mock


def _win(app: AppHarness, emulator: Emulator, portal: EmuPortal, **client: Any) -> None:
    driver.create_deal(emulator, portal, TITLE="d", OPPORTUNITY="1000", STAGE_ID="WON", **client)
    app.drain()


def _notices(app: AppHarness) -> list[tuple[str, str, str | None]]:
    with app.db.transaction() as session:
        rows = session.execute(select(Notification).order_by(Notification.id)).scalars()
        return [(n.channel, n.status, n.error) for n in rows]


def _again(app: AppHarness) -> None:
    app.container.jobs.enqueue_lane(portal_id_of(app), force=True)
    app.drain()


def test_open_line_chat_first_and_only_once(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> None:
    contact = driver.create_contact(emulator, portal, NAME="Ann", PHONE=[{"VALUE": "+79251234567"}])
    chat = driver.add_chat(portal, "contact", contact)
    _win(app, emulator, portal, CONTACT_ID=contact)
    _again(app)
    assert _notices(app) == [("whatsapp", "sent", None)]
    assert len(portal.chat_messages) == 1 and portal.chat_messages[0]["CHAT_ID"] == chat
    assert str(portal.chat_messages[0]["MESSAGE"]).startswith("Вам начислено 50,00 бонусов. Баланс: 50,00.")


def test_no_chat_falls_back_to_sms_and_logs_it(
    app: AppHarness,
    emulator: Emulator,
    portal: EmuPortal,
    gateway: responses.RequestsMock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sent = {
        "status": "OK",
        "status_code": 100,
        "sms": {"79251234567": {"status": "OK", "status_code": 100, "sms_id": "s-1"}},
    }
    gateway.post(SMSRU_URL, json=sent)
    contact = driver.create_contact(emulator, portal, NAME="Ann", PHONE=[{"VALUE": "8 (925) 123-45-67"}])
    caplog.set_level(logging.INFO)
    _win(app, emulator, portal, CONTACT_ID=contact)
    _again(app)
    _again(app)
    assert _notices(app) == [("whatsapp", "skipped", "no whatsapp chat"), ("sms", "sent", None)]
    assert len([c for c in gateway.calls if c.request.url == SMSRU_URL]) == 1  # twice run, sent once
    assert any(c["COMMENT"].startswith("SMS: Вам начислено") for c in portal.comments)
    assert "925" not in caplog.text and "Вам начислено" not in caplog.text  # no phone, no text in logs


def test_invalid_phone_is_refused_with_the_reason_then_email(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, gateway: responses.RequestsMock
) -> None:
    contact = driver.create_contact(
        emulator, portal, NAME="Ann", PHONE=[{"VALUE": "12-34"}], EMAIL=[{"VALUE": "ann@example.test"}]
    )
    _win(app, emulator, portal, CONTACT_ID=contact)
    _again(app)
    assert _notices(app) == [
        ("whatsapp", "skipped", "no whatsapp chat"),
        ("sms", "failed", "invalid phone: 4 digits; E.164 allows 8 to 15"),
        ("email", "sent", None),
    ]
    mail = portal.sent_emails[0]
    assert mail["COMMUNICATIONS"][0]["VALUE"] == "ann@example.test" and str(mail["OWNER_ID"]) == str(contact)
    assert not gateway.calls


def test_gateway_errors_retry_then_succeed(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, gateway: responses.RequestsMock
) -> None:
    gateway.post(SMSRU_URL, status=502)
    ok = {
        "status": "OK",
        "status_code": 100,
        "sms": {"79251234567": {"status": "OK", "status_code": 100, "sms_id": "s-2"}},
    }
    gateway.post(SMSRU_URL, json=ok)
    contact = driver.create_contact(emulator, portal, NAME="Ann", PHONE=[{"VALUE": "+79251234567"}])
    _win(app, emulator, portal, CONTACT_ID=contact)
    assert _notices(app)[-1][:2] == ("sms", "pending")
    with app.db.transaction() as session:  # the backoff has passed (it lives on the outbox message)
        for m in session.execute(select(OutboxMessage).where(OutboxMessage.kind == "notification")).scalars():
            m.next_attempt_at = app.container.clock.now()
    _again(app)
    assert _notices(app)[-1][:2] == ("sms", "sent")


def test_write_off_robot_can_choose_the_channel(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    company = driver.create_company(emulator, portal, TITLE="ACME", EMAIL=[{"VALUE": "acme@example.test"}])
    _win(app, emulator, portal, COMPANY_ID=company)
    document = ["crm", "CCrmDocumentCompany", f"COMPANY_{company}"]
    driver.start_robot(
        emulator, portal, CLIENT_ID, "bonus_writeoff", document, {"amount": "10", "notify": "email"}
    )
    driver.start_robot(
        emulator, portal, CLIENT_ID, "bonus_writeoff", document, {"amount": "5", "notify": "none"}
    )
    app.drain()
    _again(app)
    bodies = [m["DESCRIPTION"] for m in portal.sent_emails]
    assert bodies == [
        "Вам начислено 50,00 бонусов. Баланс: 50,00. Бонусы действуют до " + bodies[0].split("до ")[1],
        "Списано 10,00 бонусов. Баланс: 40,00.",
    ]
