"""POST /robots/<code>: a robot or workflow action started on a document — record it, answer 200.

The write-off itself runs in the portal's lane; the workflow gets its answer through
``bizproc.event.send``. A repeated delivery (same ``event_token``) is stored once.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from b24app import inbox
from handlers.common import container, form_body
from handlers.forms import BadRequest, require
from handlers.security import verify_portal

bp = Blueprint("robots", __name__)
KNOWN_CODES = frozenset({"bonus_writeoff", "bonus_accrue"})


@bp.post("/robots/<code>")
def start(code: str) -> ResponseReturnValue:
    if code not in KNOWN_CODES:
        raise BadRequest("code", f"unknown robot {code!r}")
    body = form_body()
    member_id = require(body, "auth.member_id")
    app_token = require(body, "auth.application_token")
    event_token = require(body, "event_token")
    document = body.get("document_id")
    if not isinstance(document, list) or len(document) != 3:
        raise BadRequest("document_id", "must have three parts")
    properties = body.get("properties") if isinstance(body.get("properties"), dict) else {}
    document_type = body.get("document_type")  # checked against document_id by the lane
    c = container()
    with c.db.transaction() as session:
        portal_id = verify_portal(session, member_id, app_token)
        token_key = hashlib.sha256(event_token.encode()).hexdigest()
        payload = {
            "code": code,
            "event_token": event_token,  # needed to answer; not a credential for anything else
            "workflow_id": str(body.get("workflow_id", "")),
            "document_id": [str(p) for p in document],
            "document_type": [str(p) for p in document_type] if isinstance(document_type, list) else None,
            "properties": properties,
            "user_id": str((body.get("auth") or {}).get("user_id", "")),
        }
        inbox.record(
            session,
            portal_id=portal_id,
            kind="robot",
            event=code,
            dedup_key=f"robot:{portal_id}:{token_key}",  # a repeated delivery is stored once
            payload=payload,
            received_at=c.clock.now(),
        )
        wake = c.lanes.flag_queued(session, portal_id)
    if wake:
        c.jobs.enqueue_lane(portal_id, force=True)
    return jsonify(status="accepted")
