"""Frame authentication: the portal tells us who opened one of our pages, by the frame's ``AUTH_ID``.

Every frame POST carries ``APPLICATION_TOKEN``, which every user who can open a card tab can read,
so it proves nothing about the person (api-reference/widgets/_includes/widget_data.md). What
proves it is the portal accepting the frame's ``AUTH_ID`` (the user's own access token) on the
endpoint we stored at install: ``user.current`` and ``user.admin`` in one batch. The answer is
cached per token (by its hash) for the token's lifetime, so reopening a tab costs nothing.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass

from cachetools import TLRUCache

from b24app.db import Database
from b24app.gateway.errors import CallerRejected
from b24app.gateway.identity import Identity, identify
from b24app.models import Portal

FRAME_DEADLINE = 3.0  # seconds; a person is waiting for the page
MAX_LIFETIME = 3600  # an access token lives an hour (settings/oauth/auto-renewal.md)
CACHE_SIZE = 10_000


class FrameRejected(Exception):
    """The portal did not vouch for the frame's token (or the portal is not installed here)."""


@dataclass(frozen=True)
class _Cached:
    identity: Identity
    lifetime: float


def _until(_key: str, value: _Cached, now: float) -> float:
    return now + value.lifetime


class FrameVerifier:
    """Verifies frames for one web process; safe to share between its threads."""

    def __init__(self, db: Database, *, deadline: float = FRAME_DEADLINE) -> None:
        self.db = db
        self.deadline = deadline
        self._cache: TLRUCache[str, _Cached] = TLRUCache(CACHE_SIZE, _until, timer=time.monotonic)
        self._lock = threading.Lock()

    def identify(self, portal_id: int, auth_id: str, lifetime: int) -> Identity:
        """The user behind ``auth_id`` on the installed portal ``portal_id``, or FrameRejected.

        PortalUnavailable (the portal did not answer in time) passes through: that is not a "no".
        """
        key = hashlib.sha256(f"{portal_id}:{auth_id}".encode()).hexdigest()
        with self._lock:
            hit: _Cached | None = self._cache.get(key)
        if hit is not None:
            return hit.identity
        endpoint = self._endpoint(portal_id)
        try:
            identity = identify(endpoint, auth_id, self.deadline)
        except CallerRejected as exc:
            raise FrameRejected(exc.code) from exc
        with self._lock:
            self._cache[key] = _Cached(identity, float(min(max(lifetime, 0), MAX_LIFETIME)))
        return identity

    def _endpoint(self, portal_id: int) -> str:
        # A short read of its own: no transaction stays open while the portal is asked.
        with self.db.transaction() as session:
            portal = session.get(Portal, portal_id)
            if portal is None or portal.status == "uninstalled" or not portal.client_endpoint:
                raise FrameRejected("portal not installed")
            return portal.client_endpoint
