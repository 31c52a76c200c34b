"""Repair the installation (the settings page's button): provision again what the app creates on
the portal (found or re-created, never duplicated) and compare the portal with the ledger now.

Only recorded here; the worker's lane does the portal calls.
"""

from __future__ import annotations

from b24app.container import Container
from b24app.models import Portal
from install.services.provisioning import request_provisioning
from registry.bonuses.healing import request_healing


def repair(c: Container, portal_id: int) -> None:
    with c.db.transaction() as session:
        portal = session.get_one(Portal, portal_id)
        if portal.status != "uninstalled":
            request_provisioning(session, portal)
        request_healing(session, portal_id, c.clock.now())
    c.jobs.enqueue_lane(portal_id)
