"""Settlement on the main page (administrators): this month per legal entity as a panel, and the CSV
of any period (``POST /settlement.csv`` with the frame's fields and ``start``/``end``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue

from handlers.common import container, form_body
from handlers.frame import FrameProblem, frame_error, page_language
from handlers.frames import verify_frame
from handlers.main import PANELS, Panel
from registry.services.frames import FrameUser
from registry.services.settlement import as_csv, report

bp = Blueprint("settlement", __name__)


def _panel(user: FrameUser) -> dict[str, Any] | None:
    """This month so far, per legal entity (None for others than administrators, or nothing yet)."""
    if not user.is_admin:
        return None
    today = container().clock.now().date()
    start = today.replace(day=1)
    rows = report(container().db, user.portal_id, start, today)
    return {"rows": rows, "start": start.isoformat(), "end": today.isoformat()} if rows else None


PANELS.append(Panel("settlement_panel.html", _panel))


def _day(body: dict[str, Any], name: str) -> date | None:
    try:
        return date.fromisoformat(str(body.get(name) or ""))
    except ValueError:
        return None


@bp.post("/settlement.csv")
def download() -> ResponseReturnValue:
    body = form_body()
    user = verify_frame(body)
    language = page_language("ru")
    if not user.is_admin:
        return frame_error(FrameProblem.ACCESS_DENIED, language, "settlement")
    start, end = _day(body, "start"), _day(body, "end")
    if start is None or end is None or end < start:
        field = "start" if start is None else "end"
        return frame_error(
            FrameProblem.BAD_REQUEST, language, f"{field}: a date YYYY-MM-DD, end not before start"
        )
    text = as_csv(report(container().db, user.portal_id, start, end))
    headers = {"Content-Disposition": f"attachment; filename=settlement-{start}-{end}.csv"}
    return Response(text, mimetype="text/csv", headers=headers)
