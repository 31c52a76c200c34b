"""POST /install (both scenarios), the installer page's status and retry endpoints.

An install is confirmed with the OAuth server and the portal (install/confirm.py) before anything
is stored or enqueued; ``/install`` is throttled per client address.
"""

from __future__ import annotations

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
from install.services import installs

bp = Blueprint("install", __name__)
log = logging.getLogger(__name__)

PAGE_TEXTS = {  # English msgids; the page shows them in the portal's language (b24app.i18n)
    "title": N_("Bonuses"),
    "working": N_("Setting up the portal…"),
    "done": N_("Done."),
    "failed": N_("Setting up the portal failed:"),
    "retry": N_("Retry"),
    "unfinished_title": N_("The install is not finished"),
    "unfinished": N_(
        "The portal is set up, but this page could not reach Bitrix24. "
        "Open the app from the portal again to finish the install."
    ),
}


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
    return jsonify(status=state[0], error=state[1])


@bp.post("/install/retry/<sig>")
def retry(sig: str) -> ResponseReturnValue:
    if not installs.retry_install(container(), _member_id(sig)):
        abort(404)
    return jsonify(status="installing"), 202
