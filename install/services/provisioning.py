"""The provisioning lane step: create (or find) on the portal what the app needs, then record it."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app.gateway import PortalCallError
from b24app.lanes import LaneContext
from b24app.models import Portal, ProvisionedObject
from install import spec
from install.provision import Provisioned, Provisioner
from registry.bonuses.target import REQUESTS_KEY, TARGET_KEY, TARGET_KIND

log = logging.getLogger(__name__)


def request_provisioning(session: Session, portal: Portal) -> None:
    """Retry after a failure: back to ``installing`` so the lane provisions again."""
    portal.status, portal.install_error = "installing", None


def provision_step(ctx: LaneContext, base_url: str) -> bool:
    """Lane step: provision a portal whose status is ``installing``."""
    with ctx.db.transaction() as session:
        portal = session.get_one(Portal, ctx.portal_id)
        if portal.status != "installing":
            return False
        language, user_id = portal.language, portal.user_id or 1
    try:
        result = Provisioner(ctx.client, spec.Urls(base_url), language, user_id).run()
    except PortalCallError as exc:
        with ctx.db.transaction() as session:
            portal = session.get_one(Portal, ctx.portal_id)
            portal.status, portal.install_error = "failed", str(exc)
        log.warning("install.failed", extra={"portal_id": ctx.portal_id, "code": exc.code})
        return False
    now = ctx.clock.now()
    with ctx.db.transaction() as session:
        _record(session, ctx.portal_id, result, now)
        portal = session.get_one(Portal, ctx.portal_id)
        portal.status, portal.installed_at = "installed", now
    log.info(
        "install.provisioned", extra={"portal_id": ctx.portal_id, "objects_created": len(result.created)}
    )
    return True


def _record(session: Session, portal_id: int, result: Provisioned, now: datetime) -> None:
    existing = {
        (o.kind, o.key): o
        for o in session.execute(
            select(ProvisionedObject).where(ProvisionedObject.portal_id == portal_id)
        ).scalars()
    }
    rows = dict(result.objects)
    details: dict[tuple[str, str], dict[str, Any]] = {}
    if result.target:
        rows[(TARGET_KIND, TARGET_KEY)] = str(result.target.entity_type_id)
        details[(TARGET_KIND, TARGET_KEY)] = result.target.to_details()
    if result.requests:
        rows[(TARGET_KIND, REQUESTS_KEY)] = str(result.requests["entity_type_id"])
        details[(TARGET_KIND, REQUESTS_KEY)] = result.requests
    for (kind, key), remote in rows.items():
        row = existing.get((kind, key))
        if row is None:
            row = ProvisionedObject(portal_id=portal_id, kind=kind, key=key, created_at=now)
            session.add(row)
        row.remote_id, row.details = remote, details.get((kind, key), {})
