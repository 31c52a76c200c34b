"""API key commands (console and settings page): create (the secret is returned once), list, revoke."""

from __future__ import annotations

from typing import Any

from b24app.container import Container
from registry.bonuses import api_keys


def create(c: Container, portal_id: int, name: str, scopes: str, actor: str) -> dict[str, Any]:
    """KeyProblem when the name is taken or the scopes are unknown."""
    wanted = api_keys.parse_scopes(scopes)
    with c.db.transaction() as session:
        token, described = api_keys.create(session, portal_id, name, wanted, actor, c.clock.now())
    return {**described, "key": token, "note": "shown once: store it now"}


def listing(c: Container, portal_id: int) -> list[dict[str, Any]]:
    with c.db.transaction() as session:
        return api_keys.listing(session, portal_id)


def revoke(c: Container, portal_id: int, name: str) -> dict[str, Any]:
    with c.db.transaction() as session:
        return api_keys.revoke(session, portal_id, name, c.clock.now())
