"""The application's main page (the local app's handler path), opened by the portal in a frame.

Who opened it comes from the portal (handlers/frames.py); administrators (``user.admin``) also
see how the portal's installation is doing.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from handlers.common import container, form_body
from handlers.frame import page_language
from handlers.frames import verify_frame
from install.services.status import status_of

bp = Blueprint("main", __name__)
ADMIN_FIELDS = ("status", "install_error", "outbox_failed", "inbox_failed", "notifications_failed")


@bp.route("/", methods=["GET", "POST"])
def index() -> ResponseReturnValue:
    user = verify_frame(form_body())  # a GET carries no frame: it gets the friendly 401 page
    health: dict[str, Any] | None = None
    if user.is_admin:
        full = status_of(container(), user.portal_id)
        health = {key: full[key] for key in ADMIN_FIELDS}
    lang = page_language("ru")
    return render_template("main.html", ru=lang == "ru", lang=lang, name=user.name, health=health)
