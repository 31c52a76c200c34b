"""OAuth tokens per portal: stored, refreshed single-flight under a lease, rotated refresh tokens kept."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from b24app.alarms import OAUTH_CLIENT_REFUSED, clear_alarm, raise_alarm
from b24app.config import Settings
from b24app.db import Database
from b24app.gateway.errors import AuthRevoked, PortalUnavailable
from b24app.gateway.oauth import OUR_FAULT_ERRORS, request_tokens
from b24app.models import Portal

log = logging.getLogger(__name__)
WAIT_STEP = 0.2  # seconds between looks at a refresh another worker is doing


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
    """Reads tokens and refreshes them; one refresh per portal at a time, across processes.

    No transaction stays open while the OAuth server is asked: a refresh takes a lease on the
    portal row in one short transaction (``refresh_holder``, ``refresh_until``), calls the server
    outside any transaction, then stores the new pair in another short transaction guarded by the
    generation it started from. Another worker that needs a token meanwhile waits briefly for the
    new generation, or retries later.
    """

    def __init__(
        self,
        db: Database,
        settings: Settings,
        now: Callable[[], datetime],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.db = db
        self.settings = settings
        self.now = now  # the injected clock's time
        self.sleep = sleep
        self.holder = uuid.uuid4().hex

    def current(self, portal_id: int) -> PortalAuth:
        with self.db.transaction() as session:
            return _auth_of(session.get_one(Portal, portal_id))

    def refresh(self, portal_id: int, seen_generation: int) -> PortalAuth:
        """Get a new access token unless another worker already did (generation moved on)."""
        waited = 0.0
        while True:
            state = self._take_lease(portal_id, seen_generation)
            if isinstance(state, PortalAuth):
                return state
            if state is not None:
                return self._exchange_and_store(portal_id, seen_generation, state)
            if waited >= self._patience():  # someone else's refresh takes too long: try later
                raise PortalUnavailable("token refresh in progress elsewhere", code="REFRESH_IN_PROGRESS")
            self.sleep(WAIT_STEP)
            waited += WAIT_STEP

    def recheck(self, portal_id: int) -> PortalAuth:
        """Ask the OAuth server again about tokens we already took for dead (e.g. before acting on an
        uninstall): a new pair if they live after all, else AuthRevoked with the server's error code."""
        with self.db.transaction() as session:
            generation = session.get_one(Portal, portal_id).token_generation
        return self.refresh(portal_id, generation)

    def _patience(self) -> float:
        return self.settings.portal_timeout + 5.0

    def _take_lease(self, portal_id: int, seen_generation: int) -> PortalAuth | str | None:
        """The new auth when the generation moved on; the refresh token to redeem when we hold the
        lease now; None when another holder's lease is still running."""
        now = self.now()
        with self.db.transaction() as session:
            portal = session.execute(
                select(Portal).where(Portal.id == portal_id).with_for_update()
            ).scalar_one()
            if portal.token_generation != seen_generation or portal.webhook_url:
                return _auth_of(portal)
            if not portal.refresh_token:
                raise AuthRevoked(f"portal {portal.member_id}: no refresh token")
            if portal.refresh_holder and portal.refresh_until and portal.refresh_until > now:
                return None
            portal.refresh_holder = self.holder
            portal.refresh_until = now + timedelta(seconds=self._patience())
            return portal.refresh_token

    def _exchange_and_store(self, portal_id: int, seen_generation: int, refresh_token: str) -> PortalAuth:
        try:
            answer = request_tokens(self.settings, refresh_token, self.settings.portal_timeout)
        except BaseException:
            self._release(portal_id)
            raise
        with self.db.transaction() as session:
            portal = session.execute(
                select(Portal).where(Portal.id == portal_id).with_for_update()
            ).scalar_one()
            mine = portal.refresh_holder == self.holder and portal.token_generation == seen_generation
            if mine:
                portal.refresh_holder, portal.refresh_until = None, None
            if not mine:  # our lease ran out and someone else refreshed: theirs is the pair to use
                return _auth_of(portal)
            if answer.get("error") in OUR_FAULT_ERRORS:  # our credentials, not this portal's tokens
                raise_alarm(session, OAUTH_CLIENT_REFUSED, _client_refused(answer), self.now())
            elif "error" in answer:
                portal.auth_failed_at = self.now()
            else:
                self._store(portal, answer, self.now())
                clear_alarm(session, OAUTH_CLIENT_REFUSED)
                log.info(
                    "oauth.refreshed",
                    extra={"member_id": portal.member_id, "generation": portal.token_generation},
                )
                return _auth_of(portal)
        if answer.get("error") in OUR_FAULT_ERRORS:
            raise PortalUnavailable(_client_refused(answer), code=str(answer["error"]))
        log.warning("oauth.refresh_dead", extra={"portal_id": portal_id, "error": answer.get("error")})
        raise AuthRevoked(f"refresh token rejected: {answer.get('error')}", code=str(answer.get("error")))

    def _release(self, portal_id: int) -> None:
        with self.db.transaction() as session:
            portal = session.get_one(Portal, portal_id)
            if portal.refresh_holder == self.holder:
                portal.refresh_holder, portal.refresh_until = None, None

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


def _client_refused(answer: dict[str, object]) -> str:
    return (
        f"the OAuth server refuses our application: {answer.get('error')} "
        "(check B24_CLIENT_ID and B24_CLIENT_SECRET against the local application's card)"
    )
