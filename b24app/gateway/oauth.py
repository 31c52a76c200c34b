"""The OAuth server (``B24_OAUTH_URL``): exchanging a refresh token, the one proof of who a portal is.

settings/oauth/auto-renewal.md: ``GET {oauth}/oauth/token/?grant_type=refresh_token&client_id&
client_secret&refresh_token`` answers a new token pair with ``member_id`` and ``client_endpoint``
(the portal's REST base). Only our client secret can redeem a token, so an answer proves that
the token was issued by that portal to our application.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from b24app.config import Settings
from b24app.gateway.errors import PortalUnavailable

# settings/oauth/error-codes.md: the grant itself is refused (as opposed to a broken server).
DEAD_GRANT_ERRORS = frozenset({"invalid_grant", "invalid_client", "invalid_request", "PAYMENT_REQUIRED"})
# ... of those, the ones that blame our request, not the portal's token: "check client_id and
# client_secret" / "check the request parameters". A refresh refused so must never revoke a portal.
OUR_FAULT_ERRORS = frozenset({"invalid_client", "invalid_request"})


class GrantRefused(Exception):
    """The OAuth server refused the token (``code`` is its ``error``), or its answer was unusable."""

    def __init__(self, code: str) -> None:
        super().__init__(f"oauth server refused the grant: {code}")
        self.code = code


@dataclass(frozen=True)
class Grant:
    """What the OAuth server vouches for: the portal, its REST endpoint, the user and the new tokens."""

    member_id: str
    client_endpoint: str
    access_token: str
    refresh_token: str
    expires_in: int
    user_id: int | None
    scope: str | None

    @property
    def domain(self) -> str:
        """The portal's address as the UI install names it: the endpoint without scheme and ``/rest/``."""
        parts = urlsplit(self.client_endpoint)
        path = parts.path.rstrip("/").removesuffix("/rest")
        return f"{parts.netloc}{path}"


def request_tokens(settings: Settings, refresh_token: str, timeout: float) -> dict[str, Any]:
    """The OAuth server's raw answer: a token pair, or ``{"error": ...}`` for a dead grant.

    Transient failures (network, 5xx, other errors) raise PortalUnavailable.
    """
    params = {
        "grant_type": "refresh_token",
        "client_id": settings.b24_client_id or "",
        "client_secret": settings.b24_client_secret or "",
        "refresh_token": refresh_token,
    }
    try:
        response = requests.get(settings.b24_oauth_url, params=params, timeout=timeout)
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise PortalUnavailable(f"oauth server: {type(exc).__name__}") from exc
    if response.status_code >= 500:
        raise PortalUnavailable(f"oauth server: HTTP {response.status_code}", status=response.status_code)
    if not isinstance(body, dict):
        raise PortalUnavailable("oauth server: unexpected answer")
    if "error" in body and body["error"] not in DEAD_GRANT_ERRORS:
        raise PortalUnavailable(f"oauth server: {body['error']}")
    return body


def _text(answer: dict[str, Any], key: str) -> str:
    value = answer.get(key)
    if not isinstance(value, str) or not value:
        raise GrantRefused(f"answer without {key}")
    return value


def _number(value: Any) -> int | None:
    text = str(value) if value is not None else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def grant_from(answer: dict[str, Any]) -> Grant:
    """A checked Grant from a token answer; GrantRefused when it is an error or lacks a field."""
    if "error" in answer:
        raise GrantRefused(str(answer["error"]))
    endpoint = _text(answer, "client_endpoint")
    if urlsplit(endpoint).scheme not in {"http", "https"} or not urlsplit(endpoint).netloc:
        raise GrantRefused("client_endpoint is not an http(s) URL")
    scope = answer.get("scope")
    return Grant(
        member_id=_text(answer, "member_id"),
        client_endpoint=endpoint,
        access_token=_text(answer, "access_token"),
        refresh_token=_text(answer, "refresh_token"),
        expires_in=_number(answer.get("expires_in")) or 3600,
        user_id=_number(answer.get("user_id")),
        scope=scope if isinstance(scope, str) else None,
    )


def redeem(settings: Settings, refresh_token: str, timeout: float) -> Grant:
    """Exchange a refresh token someone presented; the Grant says whose it was."""
    return grant_from(request_tokens(settings, refresh_token, timeout))
