"""SMS gateways (mocked with responses), phone normalisation and notification templates."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests
import responses

from b24app.sms import SMSRU_URL, JsonWebhook, SmsError, SmsRu
from registry.bonuses.notices import render, values_for
from registry.messages.phones import InvalidPhone, to_e164
from registry.program.document import ProgramError, parse


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+7 (925) 123-45-67", "+79251234567"),
        ("8 925 123 45 67", "+79251234567"),
        ("9251234567", "+79251234567"),
        ("0049 30 1234567", "+49301234567"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phones_become_e164(raw: str, e164: str) -> None:
    assert to_e164(raw) == e164


@pytest.mark.parametrize(
    ("raw", "why"), [("", "empty"), ("12-34", "digits"), ("call me", "letters"), ("+7 925 123 45", "11")]
)
def test_invalid_phones_say_why(raw: str, why: str) -> None:
    with pytest.raises(InvalidPhone, match=why):
        to_e164(raw)


@responses.activate
def test_smsru_success() -> None:
    responses.post(
        SMSRU_URL,
        json={
            "status": "OK",
            "status_code": 100,
            "sms": {"79251234567": {"status": "OK", "status_code": 100, "sms_id": "000-1"}},
            "balance": 10.5,
        },
    )
    assert SmsRu("key").send("+79251234567", "Привет", "k1") == "000-1"
    body = responses.calls[0].request.body
    assert isinstance(body, str) and "to=79251234567" in body and "json=1" in body and "api_id=key" in body


@responses.activate
def test_smsru_bad_number_is_permanent_and_no_funds_is_retried() -> None:
    bad = {
        "status": "OK",
        "status_code": 100,
        "sms": {"79251234567": {"status": "ERROR", "status_code": 207}},
    }
    responses.post(SMSRU_URL, json=bad)
    with pytest.raises(SmsError) as info:
        SmsRu("key").send("+79251234567", "x", "k")
    assert info.value.permanent and "207" in str(info.value)
    responses.post(SMSRU_URL, json={"status": "ERROR", "status_code": 201})
    with pytest.raises(SmsError) as info:
        SmsRu("key").send("+79251234567", "x", "k")
    assert not info.value.permanent


@responses.activate
def test_gateway_5xx_and_timeout_are_retried_4xx_is_permanent() -> None:
    hook = JsonWebhook("https://sms.example.test/send", token="t")
    responses.post(hook.url, status=503)
    responses.post(hook.url, body=requests.Timeout("slow"))
    responses.post(hook.url, status=422, json={"error": "bad number"})
    responses.post(hook.url, status=200, json={"id": "m-1"})
    outcomes = []
    for _ in range(3):
        with pytest.raises(SmsError) as info:
            hook.send("+79251234567", "x", "notice-1")
        outcomes.append(info.value.permanent)
    assert outcomes == [False, False, True]
    assert hook.send("+79251234567", "x", "notice-1") == "m-1"
    sent = responses.calls[-1].request
    assert sent.headers["Authorization"] == "Bearer t" and b'"idempotency_key": "notice-1"' in sent.body  # type: ignore[operator]


def test_templates_in_russian_and_english() -> None:
    expires = datetime(2026, 12, 31, tzinfo=UTC)
    ru = values_for(Decimal("1000.5"), Decimal("1500"), expires, "ru")
    text = render("accrued", "ru", ru).replace("\xa0", " ").replace("\u202f", " ")
    assert text == "Вам начислено 1 000,50 бонусов. Баланс: 1 500,00. Бонусы действуют до 31 декабря 2026 г."
    en = values_for(Decimal("1000.5"), Decimal("1500"), expires, "en")
    assert (
        render("accrued", "en", en)
        == "You earned 1,000.50 bonuses. Balance: 1,500.00. They are valid until December 31, 2026."
    )
    assert (
        render("written_off", "en", {}) == "bonuses were spent. Balance: ."
    )  # missing values never break it


def test_portal_templates_override_and_bad_ones_are_refused() -> None:
    custom = {"accrued": {"ru": "{{ client.name | default('Клиент') }}, +{{ amount }}!"}}
    assert render("accrued", "ru", {"amount": "5,00"}, custom) == "Клиент, +5,00!"
    with pytest.raises(ProgramError) as info:
        parse({"notifications": {"channels": {}, "templates": {"accrued": {"ru": "{{ amount "}}}})
    assert info.value.path == "$.notifications" and "template accrued.ru" in str(info.value)
    with pytest.raises(ProgramError, match="must be a list of email, sms, whatsapp"):
        parse({"notifications": {"channels": {"accrued": ["pigeon"]}}})
