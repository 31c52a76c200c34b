"""OAuth: registered local apps, issued tokens, and the token endpoint (settings/oauth/auto-renewal.md)."""

from __future__ import annotations

import secrets
import string
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.emulator.clock import Clock
from tests.emulator.protocol import B24Error, TokenPair

if TYPE_CHECKING:
    from tests.emulator.server import Emulator

DEFAULT_SCOPE = "crm,bizproc,placement,user_basic,userfieldconfig,im,imopenlines,messageservice"
REFRESH_LIFETIME = 180 * 86400  # 180 days
CODE_LIFETIME = 30  # authorization codes of the full flow
_ALPHABET = string.ascii_lowercase + string.digits


def new_token() -> str:
    """32 random characters of ``_ALPHABET`` (every event delivery carries a fresh pair: one
    ``randbelow`` per token, not one ``choice`` per character)."""
    number = secrets.randbelow(len(_ALPHABET) ** 32)
    chars = []
    for _ in range(32):
        number, digit = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return "".join(chars)


@dataclass
class LocalApp:
    client_id: str
    client_secret: str
    scope: str = DEFAULT_SCOPE


@dataclass
class Grant:
    """Who a token speaks for; ``expires`` is emulated unix time."""

    member_id: str
    client_id: str
    user_id: int
    expires: float
    scope: str = DEFAULT_SCOPE
    revoked: bool = False


class TokenStore:
    """Access tokens, refresh tokens and authorization codes, all keyed by the token string."""

    def __init__(self, clock: Clock, lifetime: int = 3600) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.apps: dict[str, LocalApp] = {}
        self.access: dict[str, Grant] = {}
        self.refresh: dict[str, Grant] = {}
        self.codes: dict[str, Grant] = {}
        self.lock = threading.RLock()

    def issue(self, member_id: str, client_id: str, user_id: int) -> TokenPair:
        app = self.apps.get(client_id)
        scope = app.scope if app else DEFAULT_SCOPE
        now = self.clock.now()
        with self.lock:
            access, refresh = new_token(), new_token()
            self.access[access] = Grant(member_id, client_id, user_id, now + self.lifetime, scope)
            self.refresh[refresh] = Grant(member_id, client_id, user_id, now + REFRESH_LIFETIME, scope)
        return TokenPair(access, refresh, self.lifetime, int(now + self.lifetime))

    def issue_code(self, member_id: str, client_id: str, user_id: int) -> str:
        code = new_token()
        with self.lock:
            self.codes[code] = Grant(member_id, client_id, user_id, self.clock.now() + CODE_LIFETIME)
        return code

    def resolve(self, token: str, member_id: str | None) -> Grant:
        """The grant behind an access token used on portal ``member_id`` (None: any portal)."""
        with self.lock:
            grant = self.access.get(token) if token else None
        if grant is None:
            raise B24Error("NO_AUTH_FOUND", "Wrong authorization data", 401)
        if grant.revoked or (member_id is not None and grant.member_id != member_id):
            raise B24Error("invalid_token", "Unable to get application by token", 401)
        if grant.expires <= self.clock.now():
            raise B24Error("expired_token", "The access token provided has expired.", 401)
        return grant

    def redeem(self, store: dict[str, Grant], token: str, client_id: str) -> Grant | None:
        """Take a refresh token or code out of ``store``: each is valid exactly once."""
        with self.lock:
            grant = store.get(token)
            if grant is None or grant.client_id != client_id or grant.revoked:
                return None
            del store[token]  # Stricter than documented: rotation kills the old refresh token at once.
        return grant if grant.expires > self.clock.now() else None

    def expire(self, member_id: str) -> None:
        with self.lock:
            for grant in self.access.values():
                if grant.member_id == member_id:
                    grant.expires = min(grant.expires, self.clock.now())

    def revoke(self, member_id: str, client_id: str | None = None) -> None:
        with self.lock:
            for grant in [*self.access.values(), *self.refresh.values(), *self.codes.values()]:
                if grant.member_id == member_id and client_id in (None, grant.client_id):
                    grant.revoked = True


def _error(status: int, code: str, description: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": code, "error_description": description}


def token_endpoint(emu: Emulator, args: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
    """``GET /oauth/token/?grant_type=refresh_token&client_id&client_secret&refresh_token`` (or a code)."""
    emu.stats.add("oauth_attempts")
    grant_type = args.get("grant_type", "")
    secret_name = {"refresh_token": "refresh_token", "authorization_code": "code"}.get(grant_type)
    client_id, client_secret = args.get("client_id", ""), args.get("client_secret", "")
    if secret_name is None or not client_id or not client_secret or not args.get(secret_name):
        return _error(400, "invalid_request", "Request is missing a required parameter")
    app = emu.tokens.apps.get(client_id)
    if app is None or not secrets.compare_digest(app.client_secret, client_secret):
        return _error(401, "invalid_client", "Invalid client credentials")
    store = emu.tokens.refresh if grant_type == "refresh_token" else emu.tokens.codes
    grant = emu.tokens.redeem(store, args[secret_name], client_id)
    portal = emu.portals.get(grant.member_id) if grant else None
    if grant is None or portal is None:
        return _error(400, "invalid_grant", "Invalid grant: the token is unknown, used or expired")
    tokens = emu.issue_tokens(portal, client_id, grant.user_id)
    emu.stats.add("oauth_refreshes")
    return 200, {
        "access_token": tokens.access_token,
        "client_endpoint": emu.client_endpoint(portal),
        "domain": emu.oauth_domain,
        "expires": tokens.expires,
        "expires_in": tokens.expires_in,
        "member_id": portal.member_id,
        "refresh_token": tokens.refresh_token,
        "scope": grant.scope,
        "server_endpoint": emu.oauth_rest_url(),
        "status": "L",
        "user_id": grant.user_id,
    }
