"""Who opened one of our pages in a portal frame: the application token filters noise, then the
portal itself vouches for the frame's ``AUTH_ID`` (b24app/gateway/frames.py, cached per token).

No transaction stays open while the portal is asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from b24app.container import Container
from b24app.gateway import PortalUnavailable
from b24app.gateway.frames import FrameRejected
from b24app.portals import Unauthorized, verify_portal


@dataclass(frozen=True)
class FrameUser:
    portal_id: int
    user_id: int
    is_admin: bool
    name: str
    time_zone: str = ""


class FrameNotVerified(Exception):
    """The frame's user could not be confirmed; ``problem`` names the friendly page to show."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def identify_frame(c: Container, member_id: str, app_token: str, auth_id: str, lifetime: int) -> FrameUser:
    """The verified user of a frame, or FrameNotVerified (``portal_silent`` when the portal was)."""
    try:
        # Every user who can open a frame can read the application token: it only filters noise
        # before we ask a portal anything. The endpoint asked is the one stored at install.
        with c.db.transaction() as session:
            portal_id = verify_portal(session, member_id, app_token)
        who = c.frames.identify(portal_id, auth_id, lifetime)
    except (Unauthorized, FrameRejected) as exc:
        raise FrameNotVerified("frame_unverified") from exc
    except PortalUnavailable as exc:
        raise FrameNotVerified("portal_silent") from exc
    return FrameUser(portal_id, who.user_id, who.is_admin, who.name, who.time_zone)
