"""POST /install (both scenarios), the installer page's status and retry endpoints."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from b24app.models import Portal
from handlers.common import container, form_body
from handlers.forms import BadRequest
from handlers.security import token_hash
from install import service

bp = Blueprint("install", __name__)

PAGE_TEXTS = {
    "ru": {
        "title": "Бонусы",
        "working": "Настраиваем портал…",
        "done": "Готово.",
        "failed": "Не удалось настроить портал:",
        "retry": "Повторить",
        "unfinished_title": "Установка не завершена",
        "unfinished": "Портал настроен, но страница не смогла связаться с Битрикс24. "
        "Откройте приложение из портала ещё раз, чтобы завершить установку.",
    },
    "en": {
        "title": "Bonuses",
        "working": "Setting up the portal…",
        "done": "Done.",
        "failed": "Setting up the portal failed:",
        "retry": "Retry",
        "unfinished_title": "The install is not finished",
        "unfinished": "The portal is set up, but this page could not reach Bitrix24. "
        "Open the app from the portal again to finish the install.",
    },
}


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="install-status")


@bp.post("/install")
def install() -> ResponseReturnValue:
    body = form_body()
    try:
        if body.get("event") == "ONAPPINSTALL" or "auth" in body:
            req = service.parse_api_install(body)
        else:
            req = service.parse_ui_install(body, request.args.to_dict())
    except service.InstallError as exc:
        raise BadRequest(exc.field, exc.message) from exc
    c = container()
    with c.db.transaction() as session:
        portal_id = service.register_install(
            session, req, token_hash(req.application_token), c.clock.now()
        ).id
    c.jobs.enqueue_lane(portal_id, force=True)
    if req.scenario == "api":
        return jsonify(status="accepted"), 200
    sig = _signer().dumps(req.member_id)
    lang = "ru" if req.language == "ru" else "en"
    return render_template(
        "install.html",
        lang=lang,
        t=PAGE_TEXTS[lang],
        status_url=url_for("install.status", sig=sig),
        retry_url=url_for("install.retry", sig=sig),
    )


def _portal_for(sig: str) -> tuple[int, str]:
    try:
        member_id = str(_signer().loads(sig))
    except BadSignature:
        abort(401)
    with container().db.transaction() as session:
        portal = session.execute(select(Portal).where(Portal.member_id == member_id)).scalar_one_or_none()
        if portal is None:
            abort(404)
        return portal.id, portal.status


@bp.get("/install/status/<sig>")
def status(sig: str) -> ResponseReturnValue:
    portal_id, _ = _portal_for(sig)
    with container().db.transaction() as session:
        portal = session.get_one(Portal, portal_id)
        return jsonify(status=portal.status, error=portal.install_error)


@bp.post("/install/retry/<sig>")
def retry(sig: str) -> ResponseReturnValue:
    portal_id, current = _portal_for(sig)
    c = container()
    if current == "failed":
        with c.db.transaction() as session:
            service.request_provisioning(session, session.get_one(Portal, portal_id))
        c.jobs.enqueue_lane(portal_id, force=True)
    return jsonify(status="installing"), 202
