"""A Bitrix24 portal emulator: a real HTTP server speaking the documented REST protocol."""

from tests.emulator.server import Emulator

__all__ = ["Emulator"]
