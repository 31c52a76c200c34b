"""Pytest fixtures: a started emulator (limits off unless asked) with one portal and the test app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.emulator.server import Emulator

CLIENT_ID = "local.test.app"
CLIENT_SECRET = "test-secret"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = Emulator(limits_enabled=False).start()
    emu.register_app(CLIENT_ID, CLIENT_SECRET)
    yield emu
    emu.stop()


@pytest.fixture
def limited_emulator() -> Iterator[Emulator]:
    """Limits on, with a clock that moves only when the test says so."""
    emu = Emulator(limits_enabled=True, manual_clock=True).start()
    emu.register_app(CLIENT_ID, CLIENT_SECRET)
    yield emu
    emu.stop()
