"""POST /events: deal events and ONAPPUNINSTALL — verify, record, enqueue, answer 200."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from b24app import inbox
from b24app.models import Portal
from handlers.common import container, form_body
from handlers.forms import BadRequest, require
from handlers.security import verify_portal
from install import service as install_service
from install.spec import DEAL_EVENTS

bp = Blueprint("events", __name__)


def _deal_id(body: dict[str, object]) -> int:
    raw = require(body, "data.FIELDS.ID")
    if not raw.isdigit():
        raise BadRequest("data[FIELDS][ID]", "must be a positive integer")
    return int(raw)


@bp.post("/events")
def receive() -> ResponseReturnValue:
    body = form_body()
    event = require(body, "event").upper()
    member_id = require(body, "auth.member_id")
    app_token = require(body, "auth.application_token")
    deal_id = _deal_id(body) if event in DEAL_EVENTS else None
    c = container()
    with c.db.transaction() as session:
        portal_id = verify_portal(session, member_id, app_token)
        now = c.clock.now()
        if event == "ONAPPUNINSTALL":
            data = body.get("data")
            clean = isinstance(data, dict) and str(data.get("CLEAN", "0")) == "1"
            install_service.uninstall(session, session.get_one(Portal, portal_id), clean, now)
            return jsonify(status="uninstalled")
        if deal_id is None:
            return jsonify(status="ignored")
        inbox.record(
            session,
            portal_id=portal_id,
            kind="deal",
            event=event,
            subject_id=deal_id,
            payload=body,
            received_at=now,
        )
        wake = c.lanes.flag_queued(session, portal_id)
    if wake:  # only after the commit: the job must find the row
        c.jobs.enqueue_lane(portal_id, force=True)
    return jsonify(status="accepted")
