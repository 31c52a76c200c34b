"""The settings page (administrators): the program document's sections in forms, saved as a new
program version; the version history with restore; "repair the installation"; live formula checks.

Who may save is learned from the portal (``user.admin`` by the frame's ``AUTH_ID``): everyone else
sees the page read-only, and a save they post anyway is refused here with a 403 page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from b24app.i18n import N_, date_time, t
from handlers.common import container
from handlers.frame import FrameProblem, frame_error, page_language
from handlers.frames import verify_frame
from handlers.main import frame_fields
from handlers.settings_sections import SECTIONS, FieldProblem, apply_all, field_of
from handlers.settings_tiers import sample_level, tiers_field
from install.services.repair import repair
from registry.bonuses.api_keys import ALL_SCOPES, KeyProblem
from registry.bonuses.notices import render_text, template_for, values_for
from registry.program.document import ProgramError
from registry.program.formula import FormulaError, compile_formula
from registry.program.notifications import EVENTS
from registry.services import api_keys, programs
from registry.services.frames import FrameUser
from registry.services.settings import Sample, restore, sample, versions

bp = Blueprint("settings", __name__)


def _flat_form() -> dict[str, str]:
    return {k: v for k, v in request.form.items() if len(k) <= 64}


def _previews(doc: dict[str, Any], who: Sample) -> dict[str, dict[str, str]]:
    """Every event's text in ru and en as the sample client would get it (outside any transaction)."""
    own = (doc.get("notifications") or {}).get("templates")
    return {
        event: {
            code: render_text(
                event,
                code,
                template_for(event, code, own),
                {**values_for(who.amount, who.balance, who.expires, code), **sample_level(code)},
            )[0]
            for code in ("ru", "en")
        }
        for event in EVENTS
    }


def _render(
    user: FrameUser, form: dict[str, str], doc: dict[str, Any], status: int = 200, **extra: Any
) -> tuple[str, int]:
    language = page_language("ru")
    sections = [(s, s.fields(doc)) for s in SECTIONS]
    who = sample(container(), user.portal_id)
    previews = _previews(doc, who)
    page = render_template(
        "settings.html",
        lang=language,
        user=user,
        sections=sections,
        history=versions(container(), user.portal_id),
        keys=api_keys.listing(container(), user.portal_id) if user.is_admin else [],
        scopes=[str(s) for s in ALL_SCOPES],
        previews=previews,
        sample_owner=who.owner,
        frame_fields=frame_fields(form),
        when=lambda value: date_time(value, language, user.time_zone),
        **extra,
    )
    return page, status


@bp.post("/settings")
def page() -> ResponseReturnValue:
    form = _flat_form()
    user = verify_frame(form)
    return _render(user, form, programs.current(container(), user.portal_id).document)


def _admin(form: dict[str, str]) -> FrameUser | tuple[str, int]:
    user = verify_frame(form)
    if not user.is_admin:
        return frame_error(FrameProblem.ACCESS_DENIED, page_language("ru"), "settings")
    return user


@bp.post("/settings/save")
def save() -> ResponseReturnValue:
    """Validate the whole form on the server; a problem is shown next to the field it names (422)."""
    form = _flat_form()
    user = _admin(form)
    if not isinstance(user, FrameUser):
        return user
    current = programs.current(container(), user.portal_id).document
    try:
        doc = apply_all(form, current)
        if form.get("action") == "preview":
            return _render(user, form, doc)
        saved = programs.save(container(), user.portal_id, doc, f"user:{user.user_id}")
    except FieldProblem as exc:
        return _render(user, form, current, 422, errors={exc.field: exc.message}, posted=form)
    except ProgramError as exc:
        # Shown over the saved document, the posted rows keep their own numbers (removed ones too).
        field = tiers_field(exc.path, form) or field_of(exc.path, str(exc), form)
        message = str(exc).split(": ", 1)[-1]
        return _render(user, form, current, 422, errors={field: message}, posted=form)
    language = page_language("ru")
    notice = t(language, N_("Saved as version {version}.")).format(version=saved.version)
    return _render(user, form, saved.document, notice=notice)


@bp.post("/settings/restore")
def restore_version() -> ResponseReturnValue:
    form = _flat_form()
    user = _admin(form)
    if not isinstance(user, FrameUser):
        return user
    raw = form.get("version", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) < 9):
        return frame_error(FrameProblem.BAD_REQUEST, page_language("ru"), "version")
    try:
        saved = restore(container(), user.portal_id, int(raw), f"user:{user.user_id}")
    except ProgramError:
        return frame_error(FrameProblem.BAD_REQUEST, page_language("ru"), "version")
    notice = t(page_language("ru"), N_("Version {old} restored as version {new}.")).format(
        old=raw, new=saved.version
    )
    return _render(user, form, saved.document, notice=notice)


@bp.post("/settings/repair")
def repair_installation() -> ResponseReturnValue:
    form = _flat_form()
    user = _admin(form)
    if not isinstance(user, FrameUser):
        return user
    repair(container(), user.portal_id)
    notice = t(
        page_language("ru"),
        N_("Repair started: the app checks what it created on the portal and the balances."),
    )
    return _render(user, form, programs.current(container(), user.portal_id).document, notice=notice)


@bp.post("/settings/keys/create")
def create_key() -> ResponseReturnValue:
    """A new API key for the public API; its secret is shown on this page once and never again."""
    form = _flat_form()
    user = _admin(form)
    if not isinstance(user, FrameUser):
        return user
    scopes = ",".join(s for s in ALL_SCOPES if form.get(f"scope-{s}")) or "read"
    current = programs.current(container(), user.portal_id).document
    try:
        made = api_keys.create(
            container(), user.portal_id, form.get("key_name", "").strip()[:64], scopes, f"user:{user.user_id}"
        )
    except KeyProblem as exc:
        return _render(user, form, current, 422, errors={"key_name": str(exc)}, posted=form)
    return _render(user, form, current, new_key=made["key"])


@bp.post("/settings/keys/revoke")
def revoke_key() -> ResponseReturnValue:
    form = _flat_form()
    user = _admin(form)
    if not isinstance(user, FrameUser):
        return user
    try:
        api_keys.revoke(container(), user.portal_id, form.get("key_name", ""))
    except KeyProblem:
        return frame_error(FrameProblem.BAD_REQUEST, page_language("ru"), "key_name")
    notice = t(page_language("ru"), N_("The key is revoked: requests with it are refused from now on."))
    return _render(user, form, programs.current(container(), user.portal_id).document, notice=notice)


@bp.post("/settings/formula")
def check_formula() -> ResponseReturnValue:
    """Live validation while typing: whether the formula compiles, and where it breaks (1-based)."""
    form = _flat_form()
    verify_frame(form)
    try:
        compile_formula(form.get("formula", "")[:2000])
    except FormulaError as exc:
        return jsonify(ok=False, position=exc.column, message=str(exc))
    return jsonify(ok=True)
