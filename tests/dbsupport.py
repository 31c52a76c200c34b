"""Database fixtures shared by every test tier: each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from b24app.db import Base, Database

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = [b for b in os.environ.get("TEST_DATABASES", "sqlite,postgres").split(",") if b]


def import_all_models() -> None:
    """Import every module that declares tables so ``Base.metadata`` is complete."""
    import bootstrap.schema  # noqa: F401


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throw-away PostgreSQL database for this test session."""
    name = f"bonus_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_schema(postgres_url: str) -> str:
    import_all_models()
    engine = create_engine(postgres_url)
    Base.metadata.create_all(engine)
    engine.dispose()
    return postgres_url


def truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of an empty, fully created schema on the parametrised backend. The shared
    PostgreSQL schema is emptied after the test, whatever the test built on it (a container of
    its own, a second process), so the next test finds it empty too."""
    import_all_models()
    if request.param == "postgres":
        url = str(request.getfixturevalue("postgres_schema"))
        yield url
        engine = create_engine(url)
        truncate_all(engine)
        engine.dispose()
        return
    path = tmp_path_factory.mktemp("db") / "test.sqlite3"
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    yield url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    try:
        yield db
    finally:
        db.dispose()  # the schema is emptied by ``database_url``


def run_at_once(target: Callable[[int], None], args: Iterable[int]) -> None:
    """Run ``target`` once per argument, each in its own thread (races); wait up to a minute for each."""
    workers = [threading.Thread(target=target, args=(arg,)) for arg in args]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
