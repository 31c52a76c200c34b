"""POST /events: deal and client events, ONAPPUNINSTALL — verify, record, enqueue, answer 200.

Deal events are hints: the lane re-reads the deal from the portal with our own tokens, so a
forged event can make us look at a deal, never create money. ONAPPUNINSTALL is only recorded
here; the lane acts on it once the portal confirms the app is gone (install/services/uninstall.py).
"""

from __future__ import annotations

import re

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from handlers.common import container, form_body
from handlers.forms import parse_id, require
from install.spec import CLIENT_EVENTS, DEAL_EVENTS, ITEM_UPDATE_EVENT
from registry.services import intake

bp = Blueprint("events", __name__)
ITEM_EVENTS = (ITEM_UPDATE_EVENT,)  # request items moved on the kanban (registry/services/approval_step)
# The per-type form, bound for the registry only (install/spec.guard_events): a hand edit or deletion.
GUARD_EVENT = re.compile(r"ONCRMDYNAMICITEM(UPDATE|DELETE)_(\d{1,9})")


def _caller(body: dict[str, object]) -> str | None:
    """The acting user's access token (absent when automation made the change)."""
    auth = body.get("auth")
    token = auth.get("access_token") if isinstance(auth, dict) else None
    return token if isinstance(token, str) and 0 < len(token) <= 255 else None


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
    if deal_id is not None:
        intake.record_deal_event(container(), member_id, app_token, event, deal_id, body)
    elif event in ITEM_EVENTS:
        etid = parse_id(require(body, "data.FIELDS.ENTITY_TYPE_ID"), "data[FIELDS][ENTITY_TYPE_ID]")
        item_id = parse_id(require(body, "data.FIELDS.ID"), "data[FIELDS][ID]")
        caller = _caller(body)
        if not intake.record_item_move(container(), member_id, app_token, etid, item_id, caller):
            return jsonify(status="ignored")
    elif guarded := GUARD_EVENT.fullmatch(event):
        item_id = parse_id(require(body, "data.FIELDS.ID"), "data[FIELDS][ID]")
        etid = int(guarded.group(2))
        if not intake.record_registry_item(container(), member_id, app_token, event, etid, item_id):
            return jsonify(status="ignored")
    elif event in CLIENT_EVENTS:
        client_id = parse_id(require(body, "data.FIELDS.ID"), "data[FIELDS][ID]")
        intake.record_client_event(container(), member_id, app_token, event, client_id, body)
    elif event == "ONAPPUNINSTALL":
        intake.record_uninstall(container(), member_id, app_token, _clean(body))
    else:
        intake.verify_only(container(), member_id, app_token)
        return jsonify(status="ignored")
    return jsonify(status="accepted")
