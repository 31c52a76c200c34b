"""Webhook commands (console and settings page): register or remove a URL, list them with the
portal's signing secret."""

from __future__ import annotations

from typing import Any

from b24app.container import Container
from registry.bonuses import webhooks


def add(c: Container, portal_id: int, url: str) -> dict[str, Any]:
    """EndpointProblem when the URL is no http(s) URL."""
    with c.db.transaction() as session:
        return webhooks.add(session, portal_id, url, c.clock.now())


def remove(c: Container, portal_id: int, url: str) -> dict[str, Any]:
    with c.db.transaction() as session:
        return webhooks.remove(session, portal_id, url, c.clock.now())


def listing(c: Container, portal_id: int) -> dict[str, Any]:
    with c.db.transaction() as session:
        return webhooks.listing(session, portal_id, c.clock.now())
