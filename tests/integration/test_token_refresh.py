"""A token refresh holds no database transaction while the OAuth server answers: it takes a lease,
asks outside any transaction, and stores the new pair guarded by the generation it started from.

The OAuth server is a third-party HTTP API here (``responses``), so a test can act while it "thinks".
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import responses

from b24app.config import load_settings
from b24app.db import Database
from b24app.gateway.errors import PortalUnavailable
from b24app.gateway.tokens import TokenKeeper
from b24app.models import Portal
from tests.factories import make_portal

OAUTH = "http://oauth.test/oauth/token/"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
PAIR = {"access_token": "new-access", "refresh_token": "new-refresh", "expires_in": 3600}


@pytest.fixture
def oauth() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _keeper(database: Database) -> TokenKeeper:
    settings = load_settings({"app_env": "test", "database_url": database.url, "b24_oauth_url": OAUTH})
    return TokenKeeper(database, settings, lambda: NOW, sleep=lambda _: None)


def _portal(database: Database) -> int:
    with database.transaction() as session:
        return make_portal(session).id


def test_other_writers_go_on_while_the_oauth_server_answers(
    database: Database, oauth: responses.RequestsMock
) -> None:
    portal_id = _portal(database)
    wrote: list[bool] = []

    def answer(_: Any) -> tuple[int, dict[str, str], str]:
        def write() -> None:  # another thread's transaction: it would wait for a held write lock
            with database.transaction() as session:
                session.get_one(Portal, portal_id).language = "ru"
            wrote.append(True)

        writer = threading.Thread(target=write)
        writer.start()
        writer.join(timeout=5)
        return 200, {"Content-Type": "application/json"}, json.dumps(PAIR)

    oauth.add_callback(responses.GET, OAUTH, callback=answer)
    auth = _keeper(database).refresh(portal_id, 1)
    assert wrote == [True] and auth.access_token == "new-access" and auth.generation == 2
    with database.transaction() as session:
        portal = session.get_one(Portal, portal_id)
        assert (portal.refresh_token, portal.refresh_holder, portal.refresh_until) == (
            "new-refresh",
            None,
            None,
        )
        assert portal.language == "ru"


def test_a_refresh_under_way_elsewhere_is_waited_for_not_repeated(
    database: Database, oauth: responses.RequestsMock
) -> None:
    portal_id = _portal(database)
    with database.transaction() as session:  # another worker holds the lease
        portal = session.get_one(Portal, portal_id)
        portal.refresh_holder, portal.refresh_until = "other", NOW + timedelta(seconds=20)
    keeper = _keeper(database)
    waits: list[float] = []

    def other_worker_finishes(seconds: float) -> None:
        waits.append(seconds)
        with database.transaction() as session:
            portal = session.get_one(Portal, portal_id)
            portal.access_token, portal.token_generation = "theirs", 2
            portal.refresh_holder, portal.refresh_until = None, None

    keeper.sleep = other_worker_finishes
    auth = keeper.refresh(portal_id, 1)
    assert auth.access_token == "theirs" and len(waits) == 1 and not oauth.calls


def test_a_refresh_that_takes_too_long_elsewhere_is_retried_later(database: Database) -> None:
    portal_id = _portal(database)
    with database.transaction() as session:
        portal = session.get_one(Portal, portal_id)
        portal.refresh_holder, portal.refresh_until = "other", NOW + timedelta(seconds=20)
    with pytest.raises(PortalUnavailable, match="in progress"):
        _keeper(database).refresh(portal_id, 1)
