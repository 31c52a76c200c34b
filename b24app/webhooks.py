"""Outbound webhooks over HTTP (``requests``): a JSON body signed with HMAC-SHA256.

Headers: ``X-Bonus-Signature: sha256=<hex HMAC-SHA256 of the raw body with the portal's secret>``,
``X-Bonus-Event-Id`` (the same on every retry of one event: receivers drop what they have seen),
``X-Bonus-Event`` (accrued, spent, expired, adjusted, level_changed). A 2xx answer is delivered;
anything else, or no answer within ``TIMEOUT``, is retried by the outbox with backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import requests

TIMEOUT = 5.0
SIGNATURE = "X-Bonus-Signature"
EVENT_ID = "X-Bonus-Event-Id"
EVENT = "X-Bonus-Event"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def post(url: str, payload: dict[str, Any], secret: str) -> str | None:
    """Deliver once; None when the receiver took it (2xx), else why not (for the retry's record)."""
    body = encode(payload)
    headers = {
        "Content-Type": "application/json",
        SIGNATURE: signature(secret, body),
        EVENT_ID: str(payload["id"]),
        EVENT: str(payload["event"]),
        "User-Agent": "bonus-registry-webhooks/1",
    }
    try:
        answer = requests.post(url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False)
    except requests.RequestException as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    if 200 <= answer.status_code < 300:
        return None
    return f"HTTP {answer.status_code}"
