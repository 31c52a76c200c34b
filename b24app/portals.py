"""Which installed portal an inbound call comes from: its stored application token, compared in
constant time (the token only filters noise; who called is asked of the portal where it matters)."""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from b24app.models import Portal


class Unauthorized(Exception):
    """Unknown portal or wrong application_token: answer 401, write nothing."""


def token_hash(application_token: str) -> str:
    return hashlib.sha256(application_token.encode()).hexdigest()


# Built once with a bound parameter: this runs for every event and robot delivery, and building
# the statement (and its cache key) per call cost more than running it.
_TOKEN_OF = select(Portal.id, Portal.application_token_hash, Portal.status).where(
    Portal.member_id == bindparam("member_id")
)


def verify_portal(session: Session, member_id: str, application_token: str) -> int:
    """The id of the installed portal whose stored token matches, else Unauthorized."""
    row = session.execute(_TOKEN_OF, {"member_id": member_id}).first()
    # Compare even for unknown portals so timing does not reveal which member_ids exist.
    stored = row.application_token_hash if row and row.application_token_hash else "0" * 64
    matches = hmac.compare_digest(stored, token_hash(application_token))
    if row is None or not matches or row.status == "uninstalled":
        raise Unauthorized("unknown portal or application token mismatch")
    return int(row.id)
