"""The provisioning lane step: create (or find) on the portal what the app needs, then record it."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app.gateway import PortalCallError
from b24app.lanes import LaneContext
from b24app.models import Portal, PortalCursor, ProvisionedObject
from install import spec
from install.provision import Provisioned, Provisioner
from registry.bonuses.target import REQUESTS_KEY, TARGET_KEY, TARGET_KIND

log = logging.getLogger(__name__)
PROGRESS = "install_progress"  # a PortalCursor: the provisioning phase under way


def request_provisioning(session: Session, portal: Portal) -> None:
    """Retry after a failure: back to ``installing`` so the lane provisions again."""
    portal.status, portal.install_error = "installing", None


def provision_step(ctx: LaneContext, base_url: str) -> bool:
    """Lane step: provision a portal whose status is ``installing``."""
    if not ctx.agenda.portal("installing"):
        return False
    with ctx.db.transaction() as session:
        portal = session.get_one(Portal, ctx.portal_id)
        if portal.status != "installing":
            return False
        language, user_id = portal.language, portal.user_id or 1
        owners = _robot_owners(session, ctx.portal_id)
    try:
        progress = partial(mark_progress, ctx, ctx.portal_id)
        result = Provisioner(ctx.client, spec.Urls(base_url), language, user_id, owners, progress).run()
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
        _cursor(session, ctx.portal_id, now).value = "done"
    log.info(
        "install.provisioned", extra={"portal_id": ctx.portal_id, "objects_created": len(result.created)}
    )
    return True


def _cursor(session: Session, portal_id: int, now: datetime) -> PortalCursor:
    row = session.execute(
        select(PortalCursor).where(PortalCursor.portal_id == portal_id, PortalCursor.name == PROGRESS)
    ).scalar_one_or_none()
    if row is None:
        row = PortalCursor(portal_id=portal_id, name=PROGRESS, updated_at=now)
        session.add(row)
    row.updated_at = now
    return row


def mark_progress(ctx: LaneContext, portal_id: int, phase: str) -> None:
    """The phase provisioning starts now, for the installer page (its own short transaction)."""
    with ctx.db.transaction() as session:
        _cursor(session, portal_id, ctx.clock.now()).value = phase


def install_progress(session: Session, portal_id: int) -> str | None:
    """The provisioning phase under way (``install.provision.PHASES``), ``done``, or None."""
    return session.execute(
        select(PortalCursor.value).where(PortalCursor.portal_id == portal_id, PortalCursor.name == PROGRESS)
    ).scalar_one_or_none()


def _record(session: Session, portal_id: int, result: Provisioned, now: datetime) -> None:
    existing = {
        (o.kind, o.key): o
        for o in session.execute(
            select(ProvisionedObject).where(ProvisionedObject.portal_id == portal_id)
        ).scalars()
    }
    rows = dict(result.objects)
    details: dict[tuple[str, str], dict[str, Any]] = dict(result.details)
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


def _robot_owners(session: Session, portal_id: int) -> dict[str, int]:
    """Robot code -> the user it was registered for (a new installing user re-owns the robots)."""
    rows = session.execute(
        select(ProvisionedObject.key, ProvisionedObject.details).where(
            ProvisionedObject.portal_id == portal_id, ProvisionedObject.kind == "robot"
        )
    )
    return {key: int(details["auth_user_id"]) for key, details in rows if (details or {}).get("auth_user_id")}
