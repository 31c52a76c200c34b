"""Who opened a frame: the fields a frame POST must carry, handed to the frame service; its refusals
become friendly pages (FrameDenied)."""

from __future__ import annotations

from typing import Any

from handlers.common import container
from handlers.security import FrameDenied
from registry.services.frames import FrameNotVerified, FrameUser, identify_frame

DEFAULT_LIFETIME = 3600


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
    try:
        return identify_frame(container(), member_id, app_token, auth_id, _lifetime(body))
    except FrameNotVerified as exc:
        raise FrameDenied(exc.problem) from exc
