"""Small builders for rows tests need."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from b24app.db import utcnow
from b24app.models import Portal
from b24app.portals import token_hash


def make_portal(
    session: Session,
    member_id: str = "member-1",
    *,
    endpoint: str = "http://127.0.0.1:1/rest/",
    application_token: str = "app-token",
    status: str = "installed",
    language: str = "en",
) -> Portal:
    portal = Portal(
        member_id=member_id,
        domain="acme.bitrix24.test",
        client_endpoint=endpoint,
        language=language,
        status=status,
        scenario="api",
        application_token_hash=token_hash(application_token),
        access_token="access",
        refresh_token="refresh",
        token_expires_at=utcnow() + timedelta(hours=1),
        token_generation=1,
        bucket_level=0.0,
        user_id=1,
    )
    session.add(portal)
    session.flush()
    return portal
