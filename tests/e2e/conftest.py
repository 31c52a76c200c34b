"""End-to-end fixtures: the app served over HTTP and a portal (Russian) with the app installed.

A module changes the app by overriding ``app_clock`` (e.g. with the ``clock`` it moves) or
``app_overrides`` (settings), and can extend ``portal``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from b24app.clock import Clock, FrozenClock
from b24app.db import Database
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def app_clock() -> Clock | None:
    return None  # the system clock


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
def app(
    database: Database, emulator: Emulator, app_clock: Clock | None, app_overrides: dict[str, Any]
) -> Iterator[AppHarness]:
    harness = AppHarness(
        database.url, oauth_url=emulator.oauth_url(), clock=app_clock, overrides=app_overrides
    )
    yield harness
    harness.close()


@pytest.fixture
def portal(app: AppHarness, emulator: Emulator) -> EmuPortal:
    p = emulator.add_portal(lang="ru")
    driver.install_api(emulator, p, CLIENT_ID, app.base_url + "/install")
    app.drain()
    return p
