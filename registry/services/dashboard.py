"""The main page's read: the program's figures from the ledger, in one transaction."""

from __future__ import annotations

from b24app.container import Container
from registry.bonuses.dashboard import Dashboard, dashboard


def overview(c: Container, portal_id: int) -> Dashboard:
    with c.db.transaction() as session:
        return dashboard(session, portal_id, c.clock.now())
