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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Tab:
    """The card a tab's request is for and who sent it (learned from the portal)."""

    body: dict[str, Any]
    placement: str
    entity_id: int
    user: FrameUser


def _open(body: dict[str, Any], deal_only: str = "") -> Tab | tuple[str, int]:
    """The tab a request names, verified; a bad target is the 400 page. ``deal_only``: why an action
    needs a deal (it is refused on contact and company cards)."""
    try:
        placement, entity_id = _target(body)
        if deal_only and placement != DEAL_TAB:
            raise BadRequest("PLACEMENT", deal_only)
    except BadRequest as exc:
        return frame_error(FrameProblem.BAD_REQUEST, page_language("ru"), exc.field)
    return Tab(body, placement, entity_id, verify_frame(body))


def _form_key(body: dict[str, Any]) -> str | None:
    """The form's one-time key (a write posted twice is done once), or None when malformed."""
    key = str(body.get("key") or "")
    return key if _KEY.fullmatch(key) else None


def _page(body: dict[str, Any]) -> int:
    raw = str(body.get("page") or "1")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else 1


def _render(tab: Tab, **extra: Any) -> str:
    language, user, placement = page_language("ru"), tab.user, tab.placement
    view = card(container(), user.portal_id, placement, tab.entity_id, _page(tab.body))
    return render_template(
        "tab.html",
        view=view,
        lang=language,
        entity=TAB_ENTITIES[placement],
        frame_fields={k: str(tab.body.get(k) or "") for k in FRAME_FIELDS},
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
    opened = _open(form_body())
    return opened if not isinstance(opened, Tab) else _render(opened)


@bp.post("/placements/tab/writeoff")
def write_off() -> ResponseReturnValue:
    """The manager's write-off: at most what the tab showed as allowed, posted once per form."""
    opened = _open(form_body())
    if not isinstance(opened, Tab):
        return opened
    language, key = page_language("ru"), _form_key(opened.body)
    if key is None:
        return frame_error(FrameProblem.BAD_REQUEST, language, "key")
    try:
        amount = parse_amount(opened.body.get("amount"))
    except Refused as refused:
        return _refused(opened, refused.code, None)
    request = WriteOff(TAB_ENTITIES[opened.placement], opened.entity_id, amount, key, opened.user.user_id)
    code, value = write_off_from_card(container(), opened.user.portal_id, request)
    if code is not None:
        return _refused(opened, code, value)
    done = t(language, N_("Written off: {amount}.")).format(amount=points(value, language))
    return _render(opened, notice=done)


def _refused(opened: Tab, code: str, most: Decimal | None) -> tuple[str, int]:
    language = page_language("ru")
    message = t(language, REFUSALS.get(code, N_("The write-off was refused.")))
    if most is not None:
        limit = t(language, N_("Allowed now: {amount}.")).format(amount=points(most, language))
        message = f"{message} {limit}"
    return _render(opened, error=message, error_code=code, amount=opened.body.get("amount")), 422


@bp.post("/placements/tab/request")
def request_approval() -> ResponseReturnValue:
    """A manager asks for a discount or bonus on the deal: checked and sent for approval by the lane."""
    opened = _open(form_body(), "a request is made on a deal")
    if not isinstance(opened, Tab):
        return opened
    language, key = page_language("ru"), _form_key(opened.body)
    if key is None:
        return frame_error(FrameProblem.BAD_REQUEST, language, "key")
    fields = {name: str(opened.body.get(name) or "").strip() for name in ("definition", "value", "reason")}
    request = approvals.CardRequest(opened.entity_id, opened.user.user_id, key=key, **fields)
    approvals.request_from_card(container(), opened.user.portal_id, request)
    sent = t(language, N_("The request is sent for approval; it appears in Bonus requests once checked."))
    return _render(opened, notice=sent)


@bp.post("/placements/tab/apply-offers")
def apply_offers() -> ResponseReturnValue:
    """A manager asks for the instant offers on the deal: the lane writes them onto its rows."""
    opened = _open(form_body(), "offers are applied to a deal")
    if not isinstance(opened, Tab):
        return opened
    language = page_language("ru")
    code = apply_offers_from_card(container(), opened.user.portal_id, opened.entity_id, opened.user.user_id)
    if code is not None:
        return _render(opened, refusal=t(language, OFFER_REFUSALS[code]), refusal_code=code), 422
    applying = t(language, N_("The offers' discount is being applied to the deal's products."))
    return _render(opened, notice=applying)
