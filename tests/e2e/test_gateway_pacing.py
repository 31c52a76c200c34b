"""The gateway stays under the portal's leaky bucket: no QUERY_LIMIT_EXCEEDED, even past the burst."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from b24app.db import Database
from b24app.gateway import Command, PortalClient
from b24app.models import Portal
from tests.emulator import driver
from tests.emulator.pytest_plugin import CLIENT_ID, CLIENT_SECRET
from tests.emulator.server import Emulator
from tests.harness import AppHarness


@pytest.fixture
def real_limits() -> Iterator[Emulator]:
    emu = Emulator(limits_enabled=True).start()  # burst 50, 2 requests/s, real time
    emu.register_app(CLIENT_ID, CLIENT_SECRET)
    yield emu
    emu.stop()


def test_sixty_calls_pass_without_a_503(database: Database, real_limits: Emulator) -> None:
    app = AppHarness(database.url, oauth_url=real_limits.oauth_url())
    try:
        portal = real_limits.add_portal()
        driver.install_api(real_limits, portal, CLIENT_ID, app.base_url + "/install")
        app.drain()
        with app.db.transaction() as session:
            portal_id = session.execute(select(Portal.id)).scalar_one()
        client = PortalClient(app.db, app.container.settings, portal_id)
        started = time.monotonic()
        for _ in range(60):
            client.call("profile")
        elapsed = time.monotonic() - started
        assert real_limits.stats.limit_503 == 0
        assert elapsed >= 4.0  # it waited for the bucket to drain instead of bursting past it
        batch = client.batch({f"c{i}": Command("profile") for i in range(50)})
        assert len(batch.results) == 50 and not batch.errors
    finally:
        app.close()
