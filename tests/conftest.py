"""Shared fixtures: databases on both backends and the portal emulator."""

from tests.dbsupport import database, database_url, postgres_schema, postgres_url  # noqa: F401
from tests.emulator.pytest_plugin import emulator, emulator_factory, limited_emulator  # noqa: F401
