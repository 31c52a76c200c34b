"""OAuth tokens per portal: stored, refreshed single-flight, rotated refresh tokens persisted."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from b24app.config import Settings
from b24app.db import Database
from b24app.gateway.errors import AuthRevoked
from b24app.gateway.oauth import request_tokens
from b24app.models import Portal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PortalAuth:
    """What one request needs: where to send it and with which token."""

    portal_id: int
    member_id: str
    endpoint: str
    access_token: str | None  # None in inbound-webhook mode
    generation: int


def _auth_of(portal: Portal) -> PortalAuth:
    if portal.webhook_url:
        return PortalAuth(portal.id, portal.member_id, portal.webhook_url, None, portal.token_generation)
    if portal.auth_failed_at is not None or not portal.access_token:
        raise AuthRevoked(f"portal {portal.member_id}: no valid tokens, reinstall the application")
    return PortalAuth(
        portal.id, portal.member_id, portal.client_endpoint, portal.access_token, portal.token_generation
    )


class TokenKeeper:
    """Reads tokens and refreshes them; one refresh per portal at a time, across processes."""

    def __init__(self, db: Database, settings: Settings, now: Callable[[], datetime]) -> None:
        self.db = db
        self.settings = settings
        self.now = now  # the injected clock's time

    def current(self, portal_id: int) -> PortalAuth:
        with self.db.transaction() as session:
            return _auth_of(session.get_one(Portal, portal_id))

    def refresh(self, portal_id: int, seen_generation: int) -> PortalAuth:
        """Get a new access token unless another worker already did (generation moved on)."""
        dead = False
        with self.db.transaction() as session:
            query = select(Portal).where(Portal.id == portal_id).with_for_update()
            portal = session.execute(query).scalar_one()
            if portal.token_generation != seen_generation or portal.webhook_url:
                return _auth_of(portal)
            if not portal.refresh_token:
                raise AuthRevoked(f"portal {portal.member_id}: no refresh token")
            answer = self._exchange(portal.refresh_token)
            if "error" in answer:
                portal.auth_failed_at = self.now()
                dead = True
            else:
                self._store(portal, answer, self.now())
                log.info(
                    "oauth.refreshed",
                    extra={"member_id": portal.member_id, "generation": portal.token_generation},
                )
                return _auth_of(portal)
        assert dead
        log.warning("oauth.refresh_dead", extra={"portal_id": portal_id, "error": answer.get("error")})
        raise AuthRevoked(f"refresh token rejected: {answer.get('error')}", code=str(answer.get("error")))

    def recheck(self, portal_id: int) -> PortalAuth:
        """Ask the OAuth server again about tokens we already took for dead (e.g. before acting on an
        uninstall): a new pair if they live after all, else AuthRevoked with the server's error code."""
        with self.db.transaction() as session:
            generation = session.get_one(Portal, portal_id).token_generation
        return self.refresh(portal_id, generation)

    def _exchange(self, refresh_token: str) -> dict[str, object]:
        return request_tokens(self.settings, refresh_token, self.settings.portal_timeout)

    @staticmethod
    def _store(portal: Portal, answer: dict[str, object], now: datetime) -> None:
        portal.access_token = str(answer["access_token"])
        portal.refresh_token = str(answer["refresh_token"])
        portal.token_expires_at = now + timedelta(seconds=int(str(answer.get("expires_in", 3600))))
        portal.token_generation += 1
        portal.auth_failed_at = None
        endpoint = answer.get("client_endpoint")
        if isinstance(endpoint, str) and endpoint:
            portal.client_endpoint = endpoint
