"""The main page's read: the program's figures from the ledger and the clients' names, in one
transaction; a client the worker has not named yet makes the lane read the names (never the web)."""

from __future__ import annotations

from b24app.container import Container
from registry.bonuses import client_names
from registry.bonuses.dashboard import Dashboard, dashboard
from registry.services.names_step import request_names


def overview(c: Container, portal_id: int) -> Dashboard:
    now = c.clock.now()
    with c.db.transaction() as session:
        board = dashboard(session, portal_id, now)
        owners = client_names.shown(board.largest, board.expiring)
        unknown = client_names.unknown(session, portal_id, owners)
        if unknown:
            request_names(session, portal_id, now)
        board = client_names.named(board, client_names.names_of(session, portal_id, owners))
    if unknown:
        c.jobs.enqueue_lane(portal_id)  # the worker reads them; the page shows "Contact #N" meanwhile
    return board
