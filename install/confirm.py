"""Confirming installs and uninstalls with the OAuth server and the portal (network only, no database).

An install before anything is stored: the OAuth server and the portal vouch for it.

A POST to ``/install`` is only a claim. What makes it an install:

1. the presented refresh token (``REFRESH_ID`` / ``auth[refresh_token]``) is redeemed at the OAuth
   server with our client secret (settings/oauth/auto-renewal.md) — only that portal can have
   issued a token our secret redeems;
2. the answer's ``member_id`` equals the claimed one; the portal's endpoint and the tokens we keep
   are the answer's, never the request's ``DOMAIN`` or ``auth[client_endpoint]``;
3. the token's user administers the portal (``user.admin`` on that endpoint,
   api-reference/common/users/user-admin.md). Any user who opens one of our frames has tokens
   and can read ``APPLICATION_TOKEN``; only an administrator may (re)install, so nobody else can
   replace the stored tokens, endpoint or application token.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from b24app.config import Settings
from b24app.gateway import AuthRevoked, PortalCallError, PortalClient
from b24app.gateway.errors import CallerRejected
from b24app.gateway.identity import identify
from b24app.gateway.oauth import GrantRefused, redeem

log = logging.getLogger(__name__)
OAUTH_DEADLINE = 5.0  # seconds: the web process waits for it, never inside a transaction
PORTAL_DEADLINE = 3.0
MEMBER_ID_LENGTH = 64  # portals.member_id
TOKEN_LENGTH = 255
# What an app that is gone gets: the REST auth errors (_includes/system-errors.md; invalid_token is
# b24pysdk's) or a refused refresh (settings/oauth/error-codes.md). Not invalid_client: that is
# also a wrong client secret on our side, which must never delete anything.
GONE_CODES = frozenset(
    {"invalid_token", "NO_AUTH_FOUND", "ERROR_OAUTH", "APPLICATION_NOT_FOUND", "invalid_grant"}
)


class InstallError(ValueError):
    """An install request that cannot be accepted; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class InstallRequest:
    """An install the OAuth server and the portal have confirmed (install/confirm.py builds it)."""

    member_id: str
    domain: str
    client_endpoint: str
    access_token: str
    refresh_token: str
    expires_in: int
    application_token: str
    language: str
    scenario: str  # ui | api
    user_id: int | None = None
    scope: str | None = None


class InstallRefused(Exception):
    """Nobody vouched for the claim: answer 401 and store nothing. ``reason`` is for the log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class InstallClaim:
    """What the request says; nothing of it is trusted until ``confirm`` checked it."""

    member_id: str
    refresh_token: str
    application_token: str
    language: str
    scenario: str  # ui | api


def _need(source: dict[str, Any], key: str, label: str, limit: int = TOKEN_LENGTH) -> str:
    value = source.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InstallError(label, "is required")
    if len(value.strip()) > limit:
        raise InstallError(label, f"is longer than {limit} characters")
    return value.strip()


def parse_ui_install(form: dict[str, Any], query: dict[str, Any]) -> InstallClaim:
    """The UI scenario: form ``REFRESH_ID``, ``member_id``, ``APPLICATION_TOKEN``; query ``LANG``."""
    return InstallClaim(
        member_id=_need(form, "member_id", "member_id", MEMBER_ID_LENGTH),
        refresh_token=_need(form, "REFRESH_ID", "REFRESH_ID"),
        application_token=_need(form, "APPLICATION_TOKEN", "APPLICATION_TOKEN"),
        language=str(query.get("LANG") or "en")[:8],
        scenario="ui",
    )


def parse_api_install(body: dict[str, Any]) -> InstallClaim:
    """The API-only scenario: an ONAPPINSTALL body with ``auth[...]`` and ``data[LANGUAGE_ID]``."""
    auth = body.get("auth")
    if not isinstance(auth, dict):
        raise InstallError("auth", "is required")
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    return InstallClaim(
        member_id=_need(auth, "member_id", "auth[member_id]", MEMBER_ID_LENGTH),
        refresh_token=_need(auth, "refresh_token", "auth[refresh_token]"),
        application_token=_need(auth, "application_token", "auth[application_token]"),
        language=str((data or {}).get("LANGUAGE_ID") or "en")[:8],
        scenario="api",
    )


def confirm(settings: Settings, claim: InstallClaim) -> InstallRequest:
    """The confirmed install, or InstallRefused; PortalUnavailable when a server did not answer.

    Network only: the caller holds no database transaction while this runs.
    """
    try:
        grant = redeem(settings, claim.refresh_token, OAUTH_DEADLINE)
    except GrantRefused as exc:
        raise InstallRefused(f"oauth: {exc.code}") from exc
    if grant.member_id != claim.member_id:
        raise InstallRefused("oauth: the token belongs to another portal")
    try:
        who = identify(grant.client_endpoint, grant.access_token, PORTAL_DEADLINE)
    except CallerRejected as exc:
        raise InstallRefused(f"portal: {exc.code}") from exc
    if not who.is_admin:
        raise InstallRefused("portal: the installing user is not an administrator")
    return InstallRequest(
        member_id=grant.member_id,
        domain=grant.domain,
        client_endpoint=grant.client_endpoint,
        access_token=grant.access_token,
        refresh_token=grant.refresh_token,
        expires_in=grant.expires_in,
        application_token=claim.application_token,
        language=claim.language,
        scenario=claim.scenario,
        user_id=who.user_id,
        scope=grant.scope,
    )


def app_is_gone(client: PortalClient) -> bool:
    """Whether the portal refuses our stored tokens as it does once the app is deleted.

    PortalUnavailable passes through: no answer is not an answer, the lane retries later.
    """
    try:
        client.call("app.info")  # api-reference/common/system/app-info.md
        return False
    except PortalCallError:  # the portal answered and knew our token: the app is there
        return False
    except AuthRevoked as exc:
        if exc.code:
            return exc.code in GONE_CODES
    try:  # we already took the tokens for dead without asking now: ask the OAuth server again
        client.tokens.recheck(client.portal_id)
    except AuthRevoked as again:
        return again.code in GONE_CODES
    return False
