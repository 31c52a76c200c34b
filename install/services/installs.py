"""Install commands: an install confirmed with the OAuth server and the portal (outside any
transaction), recorded, then provisioned in the portal's lane; the installer page's status and retry."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app.container import Container
from b24app.lanes import LaneRun
from b24app.models import LaneLease, Portal
from b24app.portals import token_hash
from install.confirm import InstallClaim, InstallRequest, confirm
from install.services.provisioning import install_progress, request_provisioning

log = logging.getLogger(__name__)


def install(c: Container, claim: InstallClaim) -> InstallRequest:
    """Confirm the claim (InstallRefused / PortalUnavailable when nobody vouches for it), store the
    portal and its tokens, and ask for a lane run that provisions it."""
    req = confirm(c.settings, claim)  # network only: no transaction is open
    with c.db.transaction() as session:
        portal_id = register_install(session, req, token_hash(req.application_token), c.clock.now()).id
    c.jobs.enqueue_lane(portal_id, force=True)
    return req


def register_install(session: Session, req: InstallRequest, token_hash: str, now: datetime) -> Portal:
    """Create or refresh the portal row; provisioning then runs in the portal's lane."""
    portal = session.execute(select(Portal).where(Portal.member_id == req.member_id)).scalar_one_or_none()
    if portal is None:
        portal = Portal(member_id=req.member_id, token_generation=0, bucket_level=0.0)
        session.add(portal)
    portal.domain, portal.client_endpoint = req.domain, req.client_endpoint
    portal.language, portal.scenario = req.language, req.scenario
    portal.access_token, portal.refresh_token = req.access_token, req.refresh_token
    portal.token_expires_at = now + timedelta(seconds=req.expires_in)
    portal.token_generation = (portal.token_generation or 0) + 1
    portal.application_token_hash = token_hash
    portal.auth_failed_at, portal.install_error, portal.uninstalled_at = None, None, None
    portal.gone_at, portal.gone_reason = None, None  # installed again: the portal is back
    portal.user_id = req.user_id or portal.user_id or 1
    portal.scope = req.scope
    portal.status = "installing"
    session.flush()
    log.info(
        "install.accepted", extra={"portal_id": portal.id, "scenario": req.scenario, "user_id": req.user_id}
    )
    return portal


@dataclass(frozen=True)
class InstallState:
    """What the installer page shows: the status, the error, the phase under way, and why the
    worker is still waiting when the portal does not answer (the lane's last error)."""

    status: str
    error: str | None
    phase: str | None
    waiting: str | None
    language: str


def install_state(c: Container, member_id: str) -> InstallState | None:
    """The portal's install state, or None when no such portal was ever installed."""
    with c.db.transaction() as session:
        portal = _portal(session, member_id)
        if portal is None:
            return None
        phase = install_progress(session, portal.id)
        if portal.status == "installing" and phase == "done":
            phase = None  # installing again: nothing of this round has started yet
        lease = session.get(LaneLease, portal.id)
        waiting = lease.last_error if lease is not None and lease.failures else None
        return InstallState(portal.status, portal.install_error, phase, waiting, portal.language)


def retry_install(c: Container, member_id: str) -> bool:
    """Provision again after a failure (nothing to do otherwise); False when the portal is unknown."""
    with c.db.transaction() as session:
        portal = _portal(session, member_id)
        if portal is None:
            return False
        failed = portal.status == "failed"
        if failed:
            request_provisioning(session, portal)
    if failed:
        c.jobs.enqueue_lane(portal.id, force=True)
    return True


def _portal(session: Session, member_id: str) -> Portal | None:
    return session.execute(select(Portal).where(Portal.member_id == member_id)).scalar_one_or_none()


def provision_now(c: Container, portal_id: int) -> LaneRun:
    """Re-provision in this process (it holds the portal's lane like a worker would)."""
    with c.db.transaction() as session:
        request_provisioning(session, session.get_one(Portal, portal_id))
    return c.lanes.run(portal_id)
