"""Pytest fixtures: ``emulator`` (limits off), ``limited_emulator`` (manual clock), ``emulator_factory``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.emulator.server import Emulator

CLIENT_ID = "local.test.app"
CLIENT_SECRET = "test-secret"

EmulatorFactory = Callable[..., Emulator]


def _finish(emu: Emulator) -> None:
    emu.stop()
    if emu.internal_errors:
        crashes = "\n\n".join(emu.internal_errors)
        pytest.fail(f"the emulator crashed while serving:\n\n{crashes}", pytrace=False)


def started(**kwargs: Any) -> Emulator:
    """A started Emulator (``Emulator`` kwargs) with the test app registered."""
    emu = Emulator(**kwargs).start()
    emu.register_app(CLIENT_ID, CLIENT_SECRET)
    return emu


@pytest.fixture
def emulator_factory() -> Iterator[EmulatorFactory]:
    """``make(**kwargs)`` -> a started Emulator with the test app registered; all stopped at teardown."""
    made: list[Emulator] = []

    def make(**kwargs: Any) -> Emulator:
        made.append(started(**kwargs))
        return made[-1]

    yield make
    for emu in made:
        _finish(emu)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A started emulator with limits off (fast), the test app registered, no portals yet."""
    emu = started(limits_enabled=False)
    yield emu
    _finish(emu)


@pytest.fixture
def limited_emulator() -> Iterator[Emulator]:
    """Limits on, with a clock that moves only when the test calls ``emu.clock.advance(seconds)``."""
    emu = started(limits_enabled=True, manual_clock=True)
    yield emu
    _finish(emu)
