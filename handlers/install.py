"""POST /install (both scenarios), the installer page's status and retry endpoints.

An install is confirmed with the OAuth server and the portal (install/confirm.py) before anything
is stored or enqueued; ``/install`` is throttled per client address.
"""

from __future__ import annotations

import json
import logging
from typing import cast

from flask import Blueprint, Flask, abort, current_app, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue, RouteCallable
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeSerializer

from b24app import i18n
from b24app.config import Settings
from b24app.gateway import PortalUnavailable
from b24app.i18n import N_
from handlers.common import container, form_body
from handlers.forms import BadRequest
from handlers.frame import FrameProblem, frame_error, page_language
from install import confirm
from install.provision import PHASES
from install.services import installs

bp = Blueprint("install", __name__)
log = logging.getLogger(__name__)

PAGE_TEXTS = {  # English msgids; the page shows them in the portal's language (b24app.i18n)
    "title": N_("Bonuses"),
    "working": N_("Setting up the portal…"),
    "done": N_("Done."),
    "failed": N_("Setting up the portal failed:"),
    "retry": N_("Retry"),
    "step_done": N_("done"),
    "step_current": N_("in progress"),
    "step_todo": N_("waiting"),
    "step_failed": N_("failed"),
    "unfinished_title": N_("The install is not finished"),
    "unfinished": N_(
        "The portal is set up, but this page could not reach Bitrix24. "
        "Open the app from the portal again to finish the install."
    ),
}


STEP_STATES = ("done", "current", "todo", "failed")
STEP_TEXTS = {
    "check": N_("Checking what the portal already has"),
    "create": N_("Creating balance fields, event handlers, robots and card tabs"),
    "smart_process": N_("Creating the “Bonuses” smart process with its stages and fields"),
}
# Portal errors that mean "not allowed": the administrator should check rights and scopes.
REFUSALS = (
    "ACCESS_DENIED",
    "insufficient_scope",
    "NO_AUTH_FOUND",
    "expired_token",
    "invalid_token",
    "INVALID_CREDENTIALS",
    "ERROR_METHOD_NOT_FOUND",
    "authorization",
)
CHECK_RIGHTS = N_(
    "Bitrix24 refused the request. Check that a portal administrator installs the app and that the app "
    "has the crm, bizproc, placement and user permissions in its settings, then press Retry."
)
CHECK_LATER = N_(
    "Bitrix24 could not finish the setup. Press Retry; if it fails again, send the error above to support."
)
WAITING = N_(
    "Bitrix24 is not answering at the moment; the app keeps trying. Check that the portal is available."
)


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="install-status")


def _claim(body: dict[str, object]) -> confirm.InstallClaim:
    try:
        if body.get("event") == "ONAPPINSTALL" or "auth" in body:
            return confirm.parse_api_install(body)
        return confirm.parse_ui_install(body, request.args.to_dict())
    except confirm.InstallError as exc:
        raise BadRequest(exc.field, exc.message) from exc


def _not_installed(claim: confirm.InstallClaim, status: int, key: str) -> ResponseReturnValue:
    if claim.scenario == "api":
        error = "unauthorized" if status == 401 else "unavailable"
        return jsonify(error=error, message="the install could not be confirmed"), status
    return frame_error(FrameProblem(key), page_language())


@bp.post("/install")
def install() -> ResponseReturnValue:
    claim = _claim(form_body())
    try:
        req = installs.install(container(), claim)
    except confirm.InstallRefused as exc:
        log.warning("install.refused", extra={"scenario": claim.scenario, "reason": exc.reason})
        return _not_installed(claim, 401, "install_refused")
    except PortalUnavailable as exc:
        log.warning("install.unconfirmed", extra={"scenario": claim.scenario, "error": str(exc)})
        return _not_installed(claim, 503, "install_later")
    if req.scenario == "api":
        return jsonify(status="accepted"), 200
    sig = _signer().dumps(req.member_id)
    lang = "ru" if req.language == "ru" else "en"
    return render_template(
        "install.html",
        lang=lang,
        t={key: i18n.t(lang, text) for key, text in PAGE_TEXTS.items()},
        steps=steps("installing", None, lang),
        step_words=json.dumps({s: i18n.t(lang, PAGE_TEXTS[f"step_{s}"]) for s in STEP_STATES}),
        status_url=url_for("install.status", sig=sig),
        retry_url=url_for("install.retry", sig=sig),
    )


def throttle(app: Flask, settings: Settings) -> None:
    """Per-IP limit on POST /install (each attempt costs an OAuth round trip), shared through Redis
    when the app runs several processes."""
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=settings.redis_url or "memory://",
        key_prefix="bonus-install",
        strategy="moving-window",
    )
    view = app.view_functions["install.install"]
    app.view_functions["install.install"] = cast(
        RouteCallable, limiter.limit(settings.install_rate_limit)(view)
    )


def _member_id(sig: str) -> str:
    try:
        return str(_signer().loads(sig))
    except BadSignature:
        abort(401)


@bp.get("/install/status/<sig>")
def status(sig: str) -> ResponseReturnValue:
    state = installs.install_state(container(), _member_id(sig))
    if state is None:
        abort(404)
    language = i18n.lang(state.language)
    return jsonify(
        status=state.status,
        error=state.error,
        advice=i18n.t(language, advice(state.error)) if state.status == "failed" else None,
        steps=steps(state.status, state.phase, language),
        waiting=i18n.t(language, WAITING) if state.waiting and state.status == "installing" else None,
    )


def steps(status: str, phase: str | None, language: str) -> list[dict[str, str]]:
    """Each provisioning phase with its words and ``done`` / ``current`` / ``todo`` (``failed`` at the
    phase a failure stopped in)."""
    at = PHASES.index(phase) if phase in PHASES else (len(PHASES) if status == "installed" else -1)
    out = []
    for index, name in enumerate(PHASES):
        state = "done" if index < at else "current" if index == at else "todo"
        if state == "current" and status == "failed":
            state = "failed"
        out.append({"key": name, "label": i18n.t(language, STEP_TEXTS[name]), "state": state})
    return out


def advice(error: str | None) -> str:
    """What the administrator should check, from the portal's error code."""
    text = (error or "").lower()
    if any(code.lower() in text for code in REFUSALS):
        return CHECK_RIGHTS
    return CHECK_LATER


@bp.post("/install/retry/<sig>")
def retry(sig: str) -> ResponseReturnValue:
    if not installs.retry_install(container(), _member_id(sig)):
        abort(404)
    return jsonify(status="installing"), 202
