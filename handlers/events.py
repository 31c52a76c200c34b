"""POST /events: deal events and ONAPPUNINSTALL — verify, record, enqueue, answer 200.

Deal events are hints: the lane re-reads the deal from the portal with our own tokens, so a
forged event can make us look at a deal, never create money. ONAPPUNINSTALL is only recorded
here; the lane acts on it once the portal confirms the app is gone (install/uninstall.py).
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from b24app import inbox
from handlers.common import container, form_body
from handlers.forms import parse_id, require
from handlers.security import verify_portal
from install import uninstall
from install.spec import DEAL_EVENTS

bp = Blueprint("events", __name__)


def _clean(body: dict[str, object]) -> bool:
    data = body.get("data")
    return isinstance(data, dict) and str(data.get("CLEAN", "0")) == "1"


@bp.post("/events")
def receive() -> ResponseReturnValue:
    body = form_body()
    event = require(body, "event").upper()
    member_id = require(body, "auth.member_id")
    app_token = require(body, "auth.application_token")
    deal_id = parse_id(require(body, "data.FIELDS.ID"), "data[FIELDS][ID]") if event in DEAL_EVENTS else None
    c = container()
    with c.db.transaction() as session:
        portal_id = verify_portal(session, member_id, app_token)
        now = c.clock.now()
        if deal_id is None and event != "ONAPPUNINSTALL":
            return jsonify(status="ignored")
        if deal_id is None:
            uninstall.record(session, portal_id, _clean(body), now)
        else:
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
