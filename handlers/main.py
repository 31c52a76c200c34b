"""The application's main page (the local app's handler path and the ``DEFAULT`` placement): the
program's dashboard, opened by the portal in a frame.

Who opened it comes from the portal (handlers/frames.py), never from the form; administrators
(``user.admin``) also see the health of the portal's installation and reach the settings.
Later features add a panel each to ``PANELS`` (e.g. requests waiting for this user's approval):
a panel is shown only when its feature has something to show, never with made-up data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, current_app, render_template, url_for
from flask.typing import ResponseReturnValue

from b24app.i18n import N_, date_time, day, day_month, points, t
from handlers.chart import line_chart
from handlers.common import container, form_body
from handlers.frame import page_language
from handlers.frames import verify_frame
from install.services.status import status_of
from registry.services import approvals
from registry.services.dashboard import overview
from registry.services.frames import FrameUser

bp = Blueprint("main", __name__)
FRAME_FIELDS = ("AUTH_ID", "AUTH_EXPIRES", "member_id", "APPLICATION_TOKEN", "PLACEMENT", "PLACEMENT_OPTIONS")
SERIES = (
    ("accrued", N_("Accrued")),
    ("spent", N_("Spent")),
    ("expired", N_("Expired")),
    ("outstanding", N_("Outstanding")),
)


@dataclass(frozen=True)
class Panel:
    """A block of the main page from a later feature: its template and what it shows to ``user``
    (None: nothing to show, the panel is left out)."""

    template: str
    data: Callable[[FrameUser], dict[str, Any] | None]


def _awaiting_approval(user: FrameUser) -> dict[str, Any] | None:
    rows = approvals.pending(container(), user.portal_id, user.user_id)
    return {"rows": rows[:5], "count": len(rows)} if rows else None


PANELS: list[Panel] = [  # each feature adds its own
    Panel("panels/approvals.html", _awaiting_approval),
]


REPAIRED = N_("{balances} balances and {items} items repaired, {when}")
_REPORT = re.compile(r"(\d+) balances, (\d+) items, (\d{4}-\d\d-\d\d \d\d:\d\d)")


def repair_words(report: str | None, language: str, zone: str) -> str | None:
    """The healing pass's report ("3 balances, 1 items, 2026-11-23 04:00", UTC) in the user's words."""
    found = _REPORT.fullmatch(report or "")
    if found is None:
        return report
    when = datetime.fromisoformat(found.group(3)).replace(tzinfo=UTC)
    return t(language, REPAIRED).format(
        balances=found.group(1), items=found.group(2), when=date_time(when, language, zone)
    )


def frame_fields(body: dict[str, Any]) -> dict[str, str]:
    """The frame's fields a page re-posts from its own forms (every request is verified again)."""
    return {k: str(body.get(k) or "") for k in FRAME_FIELDS}


def _health(user: FrameUser) -> dict[str, Any] | None:
    if not user.is_admin:
        return None
    status = status_of(container(), user.portal_id)
    language = page_language("ru")
    audit = status["ledger_audit"]
    if audit:
        checked = datetime.fromisoformat(audit["checked_at"])
        audit = {**audit, "checked_at": date_time(checked, language, user.time_zone)}
    status = {
        **status,
        "last_healing": repair_words(status["last_healing"], language, user.time_zone),
        "ledger_audit": audit,
    }
    return {
        key: status[key]
        for key in (
            "status",
            "install_error",
            "outbox_failed",
            "inbox_failed",
            "notifications_failed",
            "queue_depth",
            "inbox_pending",
            "last_healing",
            "ledger_audit",
            "lane_error",
        )
    }


@bp.route("/", methods=["GET", "POST"])
def index() -> ResponseReturnValue:
    body = form_body()
    user = verify_frame(body)  # a GET carries no frame: it gets the friendly 401 page
    language = page_language("ru")
    board = overview(container(), user.portal_id)
    fmt = lambda value: points(Decimal(value), language)  # noqa: E731
    labels = [day_month(d.day, language) for d in board.days]
    chart = line_chart(
        labels,
        [(name, t(language, label), [getattr(d, name) for d in board.days]) for name, label in SERIES],
        fmt,
    )
    panels = [(p.template, data) for p in PANELS if (data := p.data(user)) is not None]
    return render_template(
        "main.html",
        lang=language,
        name=user.name,
        user=user,
        board=board,
        chart=chart,
        panels=panels,
        health=_health(user),
        frame_fields=frame_fields(body),
        settings_url=url_for("settings.page") if "settings" in current_app.blueprints else None,
        fmt=fmt,
        day=lambda value: day(value, language, user.time_zone),
    )
