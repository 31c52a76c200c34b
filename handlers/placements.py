"""POST /placements/tab: the "Bonuses" tab on deal, contact and company cards; its write-off, the
deal's request for approval and its "apply offers".

The portal opens the tab in a frame with the user's ``AUTH_ID``; the portal tells us who that is
(handlers/frames.py, cached per token), then the page is rendered from the ledger. The page's own
forms (paging, write-off, requests, offers) post the frame's fields again, so every request is verified
the same way.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from b24app.i18n import N_, date_time, day, points, t
from handlers.common import container, form_body
from handlers.forms import BadRequest, load_json, parse_id
from handlers.frame import FrameProblem, frame_error, page_language
from handlers.frames import verify_frame
from registry.bonuses.card_words import actor, reason
from registry.bonuses.spending import Refused, parse_amount
from registry.bonuses.texts import operation_label
from registry.services import approvals
from registry.services.cards import TAB_ENTITIES, WriteOff, apply_offers_from_card, card, write_off_from_card
from registry.services.frames import FrameUser

bp = Blueprint("placements", __name__)
DEAL_TAB = "CRM_DEAL_DETAIL_TAB"
FRAME_FIELDS = ("AUTH_ID", "AUTH_EXPIRES", "member_id", "APPLICATION_TOKEN", "PLACEMENT", "PLACEMENT_OPTIONS")
_KEY = re.compile(r"[0-9a-f]{32}")
REFUSALS = {
    "BAD_AMOUNT": N_("Enter an amount greater than zero with at most two decimals."),
    "INSUFFICIENT_BALANCE": N_("The client cannot spend that much now."),
    "CAP_EXCEEDED": N_("That is more than the program allows for one write-off."),
    "BLOCKED": N_("Spending is blocked for this client."),
    "NO_CLIENT": N_("The deal has no client yet."),
}
OFFER_REFUSALS = {
    "DEAL_WON": N_("The deal is already won: offers are applied as a discount only before the win."),
    "NO_INSTANT_OFFERS": N_("The program has no offers given as a discount."),
}


def _target(body: dict[str, Any]) -> tuple[str, int]:
    placement = str(body.get("PLACEMENT") or "")
    if placement not in TAB_ENTITIES:
        raise BadRequest("PLACEMENT", f"not a bonus tab: {placement!r}")
    options = load_json(str(body.get("PLACEMENT_OPTIONS") or "{}"), "PLACEMENT_OPTIONS")
    if not isinstance(options, dict):
        raise BadRequest("PLACEMENT_OPTIONS", "must be JSON with the card's ID")
    return placement, parse_id(options.get("ID"), "PLACEMENT_OPTIONS.ID")


def _page(body: dict[str, Any]) -> int:
    raw = str(body.get("page") or "1")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else 1


def _render(body: dict[str, Any], user: FrameUser, placement: str, entity_id: int, **extra: Any) -> str:
    language = page_language("ru")
    view = card(container(), user.portal_id, placement, entity_id, _page(body))
    return render_template(
        "tab.html",
        view=view,
        lang=language,
        entity=TAB_ENTITIES[placement],
        frame_fields={k: str(body.get(k) or "") for k in FRAME_FIELDS},
        form_key=uuid.uuid4().hex,
        fmt=lambda value: points(Decimal(str(value)), language),
        when=lambda value: date_time(value, language, user.time_zone),
        day=lambda value: day(value, language, user.time_zone),
        label=lambda kind: operation_label(kind, language),
        why=lambda line: reason(line, language),
        who=lambda line: actor(line, language, user.user_id, user.name),
        requestable=approvals.definitions(container(), user.portal_id) if placement == DEAL_TAB else [],
        **extra,
    )


@bp.post("/placements/tab")
def tab() -> ResponseReturnValue:
    body = form_body()
    try:
        placement, entity_id = _target(body)
    except BadRequest as exc:
        return frame_error(FrameProblem.BAD_REQUEST, page_language("ru"), exc.field)
    user = verify_frame(body)
    return _render(body, user, placement, entity_id)


@bp.post("/placements/tab/writeoff")
def write_off() -> ResponseReturnValue:
    """The manager's write-off: at most what the tab showed as allowed, posted once per form."""
    body = form_body()
    try:
        placement, entity_id = _target(body)
    except BadRequest as exc:
        return frame_error(FrameProblem.BAD_REQUEST, page_language("ru"), exc.field)
    user = verify_frame(body)
    language = page_language("ru")
    key = str(body.get("key") or "")
    if not _KEY.fullmatch(key):
        return frame_error(FrameProblem.BAD_REQUEST, language, "key")
    try:
        amount = parse_amount(body.get("amount"))
    except Refused as refused:
        return _refused(body, user, placement, entity_id, refused.code, None)
    request = WriteOff(TAB_ENTITIES[placement], entity_id, amount, key, user.user_id)
    code, value = write_off_from_card(container(), user.portal_id, request)
    if code is not None:
        return _refused(body, user, placement, entity_id, code, value)
    done = t(language, N_("Written off: {amount}.")).format(amount=points(value, language))
    return _render(body, user, placement, entity_id, notice=done)


def _refused(
    body: dict[str, Any], user: FrameUser, placement: str, entity_id: int, code: str, most: Decimal | None
) -> tuple[str, int]:
    language = page_language("ru")
    message = t(language, REFUSALS.get(code, N_("The write-off was refused.")))
    if most is not None:
        limit = t(language, N_("Allowed now: {amount}.")).format(amount=points(most, language))
        message = f"{message} {limit}"
    page = _render(
        body, user, placement, entity_id, error=message, error_code=code, amount=body.get("amount")
    )
    return page, 422


@bp.post("/placements/tab/request")
def request_approval() -> ResponseReturnValue:
    """A manager asks for a discount or bonus on the deal: checked and sent for approval by the lane."""
    body = form_body()
    try:
        placement, entity_id = _target(body)
        if placement != DEAL_TAB:
            raise BadRequest("PLACEMENT", "a request is made on a deal")
    except BadRequest as exc:
        return frame_error(FrameProblem.BAD_REQUEST, page_language("ru"), exc.field)
    user = verify_frame(body)
    language = page_language("ru")
    key = str(body.get("key") or "")
    if not _KEY.fullmatch(key):
        return frame_error(FrameProblem.BAD_REQUEST, language, "key")
    fields = {name: str(body.get(name) or "").strip() for name in ("definition", "value", "reason")}
    request = approvals.CardRequest(entity_id, user.user_id, key=key, **fields)
    approvals.request_from_card(container(), user.portal_id, request)
    sent = t(language, N_("The request is sent for approval; it appears in Bonus requests once checked."))
    return _render(body, user, placement, entity_id, notice=sent)


@bp.post("/placements/tab/apply-offers")
def apply_offers() -> ResponseReturnValue:
    """A manager asks for the instant offers on the deal: the lane writes them onto its rows."""
    body = form_body()
    try:
        placement, entity_id = _target(body)
        if placement != DEAL_TAB:
            raise BadRequest("PLACEMENT", "offers are applied to a deal")
    except BadRequest as exc:
        return frame_error(FrameProblem.BAD_REQUEST, page_language("ru"), exc.field)
    user = verify_frame(body)
    language = page_language("ru")
    code = apply_offers_from_card(container(), user.portal_id, entity_id, user.user_id)
    if code is not None:
        refusal = t(language, OFFER_REFUSALS[code])
        return _render(body, user, placement, entity_id, refusal=refusal, refusal_code=code), 422
    applying = t(language, N_("The offers' discount is being applied to the deal's products."))
    return _render(body, user, placement, entity_id, notice=applying)
