"""POST /placements/tab: the "Bonuses" tab on deal, contact and company cards.

The portal opens it in a frame with the user's ``AUTH_ID``; the portal tells us who that is
(handlers/frames.py, cached per token), then the page is rendered from the ledger.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from b24app.i18n import lang, points
from handlers.common import container, form_body
from handlers.forms import BadRequest, load_json, parse_id, require
from handlers.frames import verify_frame
from registry.bonuses.texts import operation_label
from registry.services.cards import TAB_ENTITIES, card

bp = Blueprint("placements", __name__)


def _entity_id(body: dict[str, object]) -> int:
    options = load_json(str(body.get("PLACEMENT_OPTIONS") or "{}"), "PLACEMENT_OPTIONS")
    if not isinstance(options, dict):
        raise BadRequest("PLACEMENT_OPTIONS", "must be JSON with the card's ID")
    return parse_id(options.get("ID"), "PLACEMENT_OPTIONS.ID")


@bp.post("/placements/tab")
def tab() -> ResponseReturnValue:
    body = form_body()
    placement = require(body, "PLACEMENT")
    if placement not in TAB_ENTITIES:
        raise BadRequest("PLACEMENT", f"not a bonus tab: {placement!r}")
    entity_id = _entity_id(body)
    language = lang(request.args.get("LANG", "ru"))
    user = verify_frame(body)
    view = card(container(), user.portal_id, placement, entity_id)
    return render_template(
        "tab.html",
        view=view,
        lang=language,
        ru=language == "ru",
        fmt=lambda value: points(Decimal(str(value)), language),
        label=lambda kind: operation_label(kind, language),
    )
