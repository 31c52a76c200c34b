"""Alembic migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from b24app.db import Base
from tests.dbsupport import PG_ADMIN_URL, import_all_models


def _upgrade_and_diff(url: str) -> list[object]:
    cfg = Config("migrations/alembic.ini")
    cfg.attributes["database_url"] = url
    command.upgrade(cfg, "head")
    import_all_models()
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    return list(diff)


def test_sqlite_migrations_match_models(tmp_path: object) -> None:
    assert _upgrade_and_diff(f"sqlite:///{tmp_path}/m.sqlite3") == []


def test_postgres_migrations_match_models() -> None:
    name = f"bonus_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        assert _upgrade_and_diff(f"{PG_ADMIN_URL.rpartition('/')[0]}/{name}") == []
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
