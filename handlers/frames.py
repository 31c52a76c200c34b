"""Who opened a frame: the application token as a cheap filter, then the portal's word on AUTH_ID.

The check itself lives in the gateway (b24app/gateway/frames.py); this is the HTTP glue that turns
its answers into friendly pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from b24app.gateway import PortalUnavailable
from b24app.gateway.frames import FrameRejected
from handlers.common import container
from handlers.security import FrameDenied, Unauthorized, verify_portal

DEFAULT_LIFETIME = 3600


@dataclass(frozen=True)
class FrameUser:
    portal_id: int
    user_id: int
    is_admin: bool
    name: str


def _field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > 255:
        raise FrameDenied("frame_unverified")
    return value.strip()


def _lifetime(body: dict[str, Any]) -> int:
    raw = str(body.get("AUTH_EXPIRES") or "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else DEFAULT_LIFETIME


def verify_frame(body: dict[str, Any]) -> FrameUser:
    """The verified user of a frame POST, or FrameDenied (401 page; 503 when the portal was silent)."""
    member_id, app_token = _field(body, "member_id"), _field(body, "APPLICATION_TOKEN")
    auth_id = _field(body, "AUTH_ID")
    c = container()
    try:
        # Every user who can open a frame can read the application token: it only filters noise
        # before we ask a portal anything. The endpoint asked is the one stored at install.
        with c.db.transaction() as session:
            portal_id = verify_portal(session, member_id, app_token)
        who = c.frames.identify(portal_id, auth_id, _lifetime(body))
    except (Unauthorized, FrameRejected) as exc:
        raise FrameDenied("frame_unverified") from exc
    except PortalUnavailable as exc:
        raise FrameDenied("portal_silent") from exc
    return FrameUser(portal_id, who.user_id, who.is_admin, who.name)
