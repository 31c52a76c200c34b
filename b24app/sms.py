"""SMS gateways over HTTP (``requests``): SMS.ru and a generic JSON webhook.

SMS.ru (https://sms.ru/api/send): ``POST https://sms.ru/sms/send`` with ``api_id``, ``to``
(digits, no "+"), ``msg`` and ``json=1``. The answer is ``{"status": "OK"|"ERROR",
"status_code": 100, "sms": {"7925...": {"status": "OK", "status_code": 100, "sms_id": "..."}}}``.
Codes we treat as permanent for that message: 202 (bad number), 203 (no text), 205 (too long),
207 (no route to the number). Everything else that is not 100 — 200/300/301 (credentials), 201
(no funds), 206/230-232 (limits), 220 (service down) — and any 5xx or timeout is retried: an
administrator can fix it and the message should then still go.

The webhook provider POSTs ``{"to": "+7...", "text": "...", "idempotency_key": "..."}`` with an
optional bearer token: 2xx is sent, 4xx permanent, 5xx and timeouts retried. The key lets the
receiver drop a retry of a message it already sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import requests

SMSRU_URL = "https://sms.ru/sms/send"
SMSRU_PERMANENT = frozenset({202, 203, 205, 207})
TIMEOUT = 10.0


class SmsError(Exception):
    """A send that did not happen; ``permanent`` says whether retrying can help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class SmsProvider(Protocol):
    name: str

    def send(self, phone: str, text: str, key: str) -> str:
        """Send one message to an E.164 number; returns the provider's message id."""
        ...


@dataclass
class SmsRu:
    api_id: str
    sender: str | None = None
    url: str = SMSRU_URL
    name: str = "smsru"

    def send(self, phone: str, text: str, key: str) -> str:
        digits = phone.lstrip("+")
        data = {"api_id": self.api_id, "to": digits, "msg": text, "json": "1"}
        if self.sender:
            data["from"] = self.sender
        body = _post(lambda: requests.post(self.url, data=data, timeout=TIMEOUT))
        if body.get("status") != "OK":
            raise SmsError(f"sms.ru status_code {body.get('status_code')}", permanent=False)
        one = (body.get("sms") or {}).get(digits) or {}
        code = int(one.get("status_code") or 0)
        if code == 100:
            return str(one.get("sms_id") or "")
        raise SmsError(f"sms.ru status_code {code}", permanent=code in SMSRU_PERMANENT)


@dataclass
class JsonWebhook:
    url: str
    token: str | None = None
    name: str = "webhook"

    def send(self, phone: str, text: str, key: str) -> str:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        payload = {"to": phone, "text": text, "idempotency_key": key}
        body = _post(lambda: requests.post(self.url, json=payload, headers=headers, timeout=TIMEOUT))
        return str(body.get("id") or body.get("message_id") or key)


def _post(send: Any) -> dict[str, Any]:
    try:
        answer = send()
    except requests.Timeout as exc:
        raise SmsError("gateway timeout", permanent=False) from exc
    except requests.RequestException as exc:
        raise SmsError(f"gateway unreachable: {type(exc).__name__}", permanent=False) from exc
    if answer.status_code >= 500:
        raise SmsError(f"gateway HTTP {answer.status_code}", permanent=False)
    if answer.status_code >= 400:
        raise SmsError(f"gateway HTTP {answer.status_code}", permanent=True)
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def provider_from(settings: Any) -> SmsProvider | None:
    """The configured provider (``SMS_PROVIDER`` = smsru | webhook), or None when SMS is off."""
    if settings.sms_provider == "smsru" and settings.smsru_api_id:
        return SmsRu(settings.smsru_api_id, settings.sms_sender)
    if settings.sms_provider == "webhook" and settings.sms_webhook_url:
        return JsonWebhook(settings.sms_webhook_url, settings.sms_webhook_token)
    return None
