"""Portal answers read as the docs mean them, and the small pure rules behind the fidelity fixes."""

from __future__ import annotations

from b24app.gateway.errors import PortalCallError, PortalGone, PortalUnavailable, error_from_response
from registry.messages import email, openlines
from registry.program.notifications import SENDER


def test_portal_deleted_is_gone_not_a_500_to_retry() -> None:
    error = error_from_response(
        500, {"error": "PORTAL_DELETED", "error_description": "Portal was deleted"}, "x"
    )
    assert isinstance(error, PortalGone) and not error.retryable


def test_operation_time_limit_waits_for_the_reset() -> None:
    own = error_from_response(
        429, {"error": "OPERATION_TIME_LIMIT", "time": {"operating_reset_at": 1700}}, "m"
    )
    assert isinstance(own, PortalUnavailable) and own.retry_at == 1700.0
    remembered = error_from_response(429, {"error": "OPERATION_TIME_LIMIT"}, "m", reset_at=1800.0)
    assert isinstance(remembered, PortalUnavailable) and remembered.retry_at == 1800.0
    iso = error_from_response(
        429, {"error": "OPERATION_TIME_LIMIT", "operating_reset_at": "2024-08-26T16:11"}, "m"
    )
    assert isinstance(iso, PortalUnavailable) and iso.retry_at is None


def test_chat_is_picked_by_the_channels_connector() -> None:
    chats = [
        {"CHAT_ID": "5", "CONNECTOR_ID": "wz_whatsapp_abc"},
        {"CHAT_ID": "9", "CONNECTOR_ID": "telegrambot"},
        {"CHAT_ID": "7", "CONNECTOR_ID": "whatsappbyedna"},
        {"CHAT_ID": "x", "CONNECTOR_ID": "whatsapp"},
    ]
    assert openlines.pick_chat(chats, "whatsapp") == "7"
    assert openlines.pick_chat(chats, "telegram") == "9"
    assert openlines.pick_chat([], "whatsapp") is None and openlines.pick_chat(False, "telegram") is None


def test_found_activity_counts_only_when_completed() -> None:
    assert email.found_activity([{"ID": "3", "COMPLETED": "Y"}]) == ("3", True)
    assert email.found_activity([{"ID": "4", "COMPLETED": "N"}]) == ("4", False)
    assert email.found_activity([]) is None


def test_send_errors_are_permanent_with_a_hint() -> None:
    no_sender = PortalCallError("", 'Email send error. "From" is not found')
    assert "CRM mailbox" in (email.refusal(no_sender) or "")
    assert email.refusal(PortalCallError("", "Access denied.")) is None


def test_sender_setting_format() -> None:
    assert SENDER.fullmatch("Bonus club <club@shop.test>") and SENDER.fullmatch("club@shop.test")
    assert not SENDER.fullmatch("Name <club@shop.test") and not SENDER.fullmatch("club at shop")
