"""The main page's campaigns panel: each campaign's last run-day, what it awarded then and in all
(``registry.services.campaign_step.summary``); left out when the program has no campaign."""

from __future__ import annotations

from typing import Any

from b24app.i18n import day, points
from handlers.common import container
from handlers.frame import page_language
from handlers.main import PANELS, Panel
from registry.services import campaign_step
from registry.services.frames import FrameUser


def _panel(user: FrameUser) -> dict[str, Any] | None:
    rows = campaign_step.summary(container(), user.portal_id)
    if not rows:
        return None
    language = page_language("ru")
    return {
        "rows": [
            {
                "code": r.code,
                "name": r.name,
                "last_run": day(r.last_run_at, language) if r.last_run_at else None,
                "last_awarded": r.last_awarded,
                "awarded_total": r.awarded_total,
                "points_total": points(r.points_total, language),
            }
            for r in rows
        ]
    }


PANELS.append(Panel("campaigns_panel.html", _panel))
