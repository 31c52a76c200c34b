"""The database refuses bad public-API rows: a key hash that is no SHA-256, empty scopes, two keys with
one name, one idempotency key answered twice, an unknown operation, an unknown entry kind."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from b24app.db import Database
from registry.bonuses.api_models import ApiKey, ApiRequest
from tests.factories import make_portal

NOW = datetime(2026, 1, 15, tzinfo=UTC)


def _key(portal_id: int, **changes: Any) -> ApiKey:
    values: dict[str, Any] = {
        "portal_id": portal_id,
        "name": "shop",
        "prefix": "bk_x",
        "key_hash": "a" * 64,
        "scopes": "read",
        "created_by": "t",
        "created_at": NOW,
    }
    return ApiKey(**{**values, **changes})


def _request(portal_id: int, **changes: Any) -> ApiRequest:
    values: dict[str, Any] = {
        "portal_id": portal_id,
        "operation": "spend",
        "idempotency_key": "k",
        "body_hash": "b" * 64,
        "status_code": 200,
        "answer": {},
        "created_at": NOW,
    }
    return ApiRequest(**{**values, **changes})


def _portal(database: Database) -> int:
    with database.transaction() as session:
        return make_portal(session).id


@pytest.mark.parametrize(
    "second",
    [{"key_hash": "short"}, {"scopes": ""}, {"name": "shop", "key_hash": "c" * 64}, {"name": "b"}],
)
def test_keys_refused_by_the_schema(database: Database, second: dict[str, Any]) -> None:
    portal_id = _portal(database)
    with database.transaction() as session:
        session.add(_key(portal_id))
    with pytest.raises(IntegrityError):  # bad hash, no scopes, a taken name, the same hash again
        with database.transaction() as session:
            session.add(_key(portal_id, **second))


@pytest.mark.parametrize(
    "second", [{}, {"body_hash": "c" * 64}, {"operation": "refund", "idempotency_key": "z"}]
)
def test_idempotent_requests_are_answered_once(database: Database, second: dict[str, Any]) -> None:
    portal_id = _portal(database)
    with database.transaction() as session:
        session.add(_request(portal_id))
    with pytest.raises(IntegrityError):
        with database.transaction() as session:
            session.add(_request(portal_id, **second))
