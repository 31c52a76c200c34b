"""POST /robots/<code>: a robot or workflow action started on a document — record it, answer 200.

The application token only says the call names an installed portal (every frame user can read
it). The caller's own ``auth[access_token]`` is kept with the call so that the lane can ask the
portal who it belongs to (``user.current``) before the ledger is touched; a token the portal
refuses writes nothing. The write-off itself runs in the portal's lane; the workflow gets its
answer through ``bizproc.event.send``. A repeated delivery (same ``event_token``) is stored once.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from handlers.common import container, form_body
from handlers.forms import BadRequest, require
from registry.bonuses.robots import CALLER_TOKEN, TEXT_LIMIT, TEXT_PROPERTIES
from registry.services import intake

bp = Blueprint("robots", __name__)
KNOWN_CODES = frozenset({"bonus_writeoff", "bonus_accrue", "bonus_request"})


def _document(body: dict[str, Any]) -> list[str]:
    document = body.get("document_id")
    if not isinstance(document, list) or len(document) != 3 or not all(isinstance(p, str) for p in document):
        raise BadRequest("document_id", "must have three parts")
    if any(len(part) > 128 for part in document):
        raise BadRequest("document_id", "parts are at most 128 characters")
    # What the parts name (an id out of range, "CONTACT_²", a lead) is the lane's to refuse: the
    # workflow is answered DOCUMENT_NOT_FOUND / UNSUPPORTED_DOCUMENT instead of waiting for ever.
    return [str(p) for p in document]


def _document_type(body: dict[str, Any]) -> list[str] | None:
    """``document_type`` as sent (checked against ``document_id`` by the lane), if any."""
    value = body.get("document_type")
    if not isinstance(value, list):
        return None
    return [str(p)[:128] for p in value[:3]]


def _properties(body: dict[str, Any]) -> dict[str, str]:
    """Flat string properties; free texts cut to what the registry keeps, anything else bounded."""
    raw = body.get("properties")
    properties: dict[str, str] = {}
    for key, value in (raw if isinstance(raw, dict) else {}).items():
        if not isinstance(value, str):
            raise BadRequest(f"properties[{key}]", "must be a single value")
        if key in TEXT_PROPERTIES:
            value = value[:TEXT_LIMIT]
        elif len(value) > TEXT_LIMIT:
            raise BadRequest(f"properties[{key}]", f"is longer than {TEXT_LIMIT} characters")
        properties[key] = value
    return properties


@bp.post("/robots/<code>")
def start(code: str) -> ResponseReturnValue:
    if code not in KNOWN_CODES:
        raise BadRequest("code", f"unknown robot {code!r}")
    body = form_body()
    member_id = require(body, "auth.member_id")
    app_token = require(body, "auth.application_token")
    caller_token = require(body, "auth.access_token")
    event_token = require(body, "event_token")
    if len(event_token) > 255 or len(caller_token) > 255:
        raise BadRequest("event_token" if len(event_token) > 255 else "auth[access_token]", "is too long")
    payload = {
        "code": code,
        "event_token": event_token,  # needed to answer; not a credential for anything else
        "workflow_id": str(body.get("workflow_id", ""))[:64],
        "document_id": _document(body),
        "document_type": _document_type(body),
        "properties": _properties(body),
        CALLER_TOKEN: caller_token,  # checked with the portal in the lane, then erased
    }
    intake.record_robot_call(container(), member_id, app_token, code, payload)
    return jsonify(status="accepted")
