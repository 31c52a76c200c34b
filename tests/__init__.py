"""Test suite: unit, integration, end-to-end tests and the portal emulator."""
