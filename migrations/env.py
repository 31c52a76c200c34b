"""Alembic environment: the URL comes from the app's settings (DATABASE_URL), never from alembic.ini."""

from __future__ import annotations

from alembic import context

import bootstrap.schema  # noqa: F401  - registers every table
from b24app.config import load_settings
from b24app.db import Base, make_engine

target_metadata = Base.metadata


def run_migrations() -> None:
    url = context.config.attributes.get("database_url") or load_settings({"app_env": "dev"}).database_url
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    with engine.connect() as connection:
        if url.startswith("sqlite"):
            # Table rebuilds (batch migrations) drop the old table: with foreign keys on, SQLite would
            # run the ON DELETE CASCADE of every row that points at it. Off for the migration, before
            # any transaction begins (the pragma is ignored inside one).
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    engine.dispose()


run_migrations()
