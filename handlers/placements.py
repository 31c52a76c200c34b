"""POST /placements/tab: the "Bonuses" tab on deal, contact and company cards.

The portal opens it in a frame with the app's ``APPLICATION_TOKEN``, which we check like any
inbound call; the page is rendered from the ledger without calling the portal.
"""

from __future__ import annotations

import json
from decimal import Decimal

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from handlers.common import container, form_body
from handlers.forms import BadRequest, require
from handlers.security import verify_portal
from registry.card import TAB_ENTITIES, card_view
from registry.texts import lang, operation_label, points

bp = Blueprint("placements", __name__)


def _entity_id(body: dict[str, object]) -> int:
    try:
        options = json.loads(str(body.get("PLACEMENT_OPTIONS") or "{}"))
        return int(str(options.get("ID")))
    except (ValueError, TypeError, AttributeError) as exc:
        raise BadRequest("PLACEMENT_OPTIONS", "must be JSON with the card's ID") from exc


@bp.post("/placements/tab")
def tab() -> ResponseReturnValue:
    body = form_body()
    placement = require(body, "PLACEMENT")
    if placement not in TAB_ENTITIES:
        raise BadRequest("PLACEMENT", f"not a bonus tab: {placement!r}")
    member_id = require(body, "member_id")
    app_token = require(body, "APPLICATION_TOKEN")
    entity_id = _entity_id(body)
    language = lang(request.args.get("LANG", "ru"))
    c = container()
    with c.db.transaction() as session:
        portal_id = verify_portal(session, member_id, app_token)
        view = card_view(session, portal_id, TAB_ENTITIES[placement], entity_id, c.clock.now())
    return render_template(
        "tab.html",
        view=view,
        lang=language,
        ru=language == "ru",
        fmt=lambda value: points(Decimal(str(value)), language),
        label=lambda kind: operation_label(kind, language),
    )
