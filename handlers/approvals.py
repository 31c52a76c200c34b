"""The approvals page in the portal's frame: the requests the user may decide, and
``POST /approvals/decide`` (form ``request_id``, ``decision`` = approve | cancel).

Who decides is what the portal says about the frame's ``AUTH_ID`` (handlers/frames.py), never a
user id from the form; someone who is not one of the request's approvers is refused and nothing
changes. A decision already made is final: deciding again changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from b24app.i18n import N_, t
from handlers.common import container, form_body
from handlers.forms import BadRequest, parse_id
from handlers.frame import FrameProblem, frame_error, page_language
from handlers.frames import verify_frame
from handlers.main import PANELS, Panel
from registry.bonuses.decisions import Outcome
from registry.services import approvals
from registry.services.frames import FrameUser

bp = Blueprint("approvals", __name__)
DECISIONS = {"approve": True, "cancel": False}
FRAME_FIELDS = ("AUTH_ID", "AUTH_EXPIRES", "member_id", "APPLICATION_TOKEN")
NOTICES: dict[Outcome, tuple[str, int]] = {
    Outcome.APPROVED: (N_("Request #{id} is approved; it is being applied."), 200),
    Outcome.CANCELLED: (N_("Request #{id} is cancelled."), 200),
    Outcome.CAP: (N_("Request #{id} would pass the client's cap: it was cancelled."), 200),
    Outcome.FINAL: (N_("Request #{id} was already decided; a decision is final."), 409),
    Outcome.NOT_APPROVER: (N_("You are not an approver of request #{id}."), 403),
    Outcome.NOT_FOUND: (N_("There is no request #{id}."), 404),
}


def _panel(user: FrameUser) -> dict[str, Any] | None:
    """The main page's panel: this user's pending requests (left out when there are none)."""
    rows = approvals.pending(container(), user.portal_id, user.user_id)
    return {"rows": rows} if rows else None


PANELS.append(Panel("approvals_panel.html", _panel))


def _page(body: dict[str, Any], user: FrameUser, notice: str = "", status: int = 200) -> ResponseReturnValue:
    lang = page_language("ru")
    frame = {name: str(body.get(name) or "") for name in FRAME_FIELDS}
    rows = approvals.pending(container(), user.portal_id, user.user_id)
    return render_template("approvals.html", lang=lang, rows=rows, frame=frame, notice=notice), status


@bp.post("/approvals")
def page() -> ResponseReturnValue:
    body = form_body()
    return _page(body, verify_frame(body))


@bp.post("/approvals/decide")
def decide() -> ResponseReturnValue:
    body = form_body()
    user = verify_frame(body)
    try:
        request_id = parse_id(body.get("request_id"), "request_id")
        decision = str(body.get("decision") or "")
        if decision not in DECISIONS:
            raise BadRequest("decision", "must be approve or cancel")
    except BadRequest as exc:
        return frame_error(FrameProblem.BAD_REQUEST, page_language("ru"), f"{exc.field}: {exc.message}")
    outcome = approvals.decide_request(
        container(), user.portal_id, request_id, DECISIONS[decision], user_id=user.user_id
    )
    text, status = NOTICES[outcome]
    return _page(body, user, t(page_language("ru"), text).format(id=request_id), status)
