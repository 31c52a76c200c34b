"""Database: engine, declarative base, UTC timestamps and the unit of work."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar, cast

from sqlalchemy import JSON, DateTime, Engine, MetaData, Numeric, TextClause, create_engine, event, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# Stable constraint names so Alembic migrations and tests can refer to them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


Money = Numeric(18, 2, asdecimal=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), Decimal: Money, dict[str, Any]: JSON()}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # WAL + NORMAL: a commit survives a crash of the process; only an OS crash may lose the last ones.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # SQLite's deferred transactions upgrade to writes too late and fail with SQLITE_BUSY
    # under concurrency; taking the write lock at BEGIN serialises writers cleanly.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and write-serialising transactions."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    """Owns the engine and hands out one transaction per command (the unit of work)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite admits one writer; threads of this process queue on a lock that wakes them at
        # once, instead of SQLite's busy handler, which sleeps in steps of up to 100 ms.
        self._writer: AbstractContextManager[Any] = (
            threading.RLock() if self.engine.dialect.name == "sqlite" else nullcontext()
        )

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One command, one transaction: commit on success, roll back on any error."""
        with self._writer, self._sessions() as session, session.begin():
            yield session

    def pause_for_writers(self) -> None:
        """Between the chunks of a long pass: let other processes' writers in.

        SQLite has one writer and its busy handler retries in steps of up to 100 ms; a worker
        that commits and immediately begins again would starve the web process (whose events
        must be stored within seconds), so on SQLite we leave a gap longer than one step.
        """
        if self.engine.dialect.name == "sqlite":
            time.sleep(0.12)

    def session(self) -> Session:
        """A bare session for read-only helpers and tests; the caller manages it."""
        return self._sessions()

    def dispose(self) -> None:
        self.engine.dispose()


def utcnow() -> datetime:
    return datetime.now(UTC)


def _without_conflict_clause(insert: type[Any]) -> list[tuple[str, Any]]:
    return [(name, kind) for name, kind in insert._traverse_internals if name != "_post_values_clause"]


class _PgInsertIgnore(PgInsert):
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING key``, compiled once, not on every call.

    SQLAlchemy caches no ON CONFLICT insert (the clause has no cache key), so each one was compiled
    anew: six times per won deal. This class is used for that one form only, and the class is part
    of every cache key, so it stands for the clause.
    """

    inherit_cache = True
    _cache_key_traversal = _without_conflict_clause(PgInsert)


class _SqliteInsertIgnore(SqliteInsert):
    """The SQLite twin of ``_PgInsertIgnore``."""

    inherit_cache = True
    _cache_key_traversal = _without_conflict_clause(SqliteInsert)


@lru_cache(maxsize=256)
def _insert_ignore_statement(dialect: str, table: Any, returned: str | None = None) -> Any:
    insert = _PgInsertIgnore if dialect == "postgresql" else _SqliteInsertIgnore
    key = table.c[returned] if returned else next(iter(table.primary_key.columns))
    # RETURNING tells reliably whether a row went in; SQLite's rowcount does not for DO NOTHING.
    return insert(table).on_conflict_do_nothing().returning(key)


def insert_ignore(session: Session, table: Any, values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING on either backend; True when a row was inserted."""
    # One statement per table, values as parameters: building the statement per call cost more
    # than running it (this is on the hot path of every event and every outbox message).
    stmt = _insert_ignore_statement(session.get_bind().dialect.name, table)
    return session.connection().execute(stmt, values).first() is not None


def insert_ignore_many(session: Session, table: Any, rows: list[dict[str, Any]], returned: str) -> set[Any]:
    """``insert_ignore`` for many rows in one statement; the ``returned`` column of the rows that
    went in (a row whose unique key is taken, also earlier in ``rows``, is not among them)."""
    if not rows:
        return set()
    dialect = session.get_bind().dialect.name
    columns = tuple(rows[0])
    if dialect == "postgresql" and all(tuple(row) == columns for row in rows):
        # The rows travel as one JSON parameter of a short statement: a multi-row VALUES list is
        # a new statement for psycopg every time (it caches none of over 50 parameters), and
        # converting it cost more than the insert itself.
        stmt = _pg_rows_statement(table, columns, returned)
        rows_json = json.dumps(rows, default=_json_value)
        return set(session.connection().execute(stmt, {"rows": rows_json}).scalars())
    # One multi-row INSERT instead of one statement per row: a won deal owes four outbox rows.
    stmt = _insert_ignore_statement(dialect, table, returned)
    return set(session.connection().execute(stmt, rows).scalars())


_PG_DIALECT: Dialect = postgresql.dialect()  # type: ignore[no-untyped-call]


@lru_cache(maxsize=64)
def _pg_rows_statement(table: Any, columns: tuple[str, ...], returned: str) -> TextClause:
    quote = _PG_DIALECT.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    # json_populate_recordset reads each row's values with the table's own column types.
    return text(
        f"INSERT INTO {quote(table.name)} ({names}) SELECT {names} FROM "
        f"json_populate_recordset(CAST(NULL AS {quote(table.name)}), CAST(:rows AS json)) "
        f"ON CONFLICT DO NOTHING RETURNING {quote(returned)}"
    )


def _json_value(value: Any) -> Any:
    """A row value JSON cannot hold as it is, as PostgreSQL reads it back (UTCDateTime's rule)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None).isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in a JSON row")


T = TypeVar("T")


def once_per_transaction(session: Session, key: Hashable, load: Callable[[], T]) -> T:
    """``load()`` once per transaction: for what a lane's transaction never changes but asks per
    deal or per message (the provisioned registry, the program's debt mode). None is not kept:
    it may be written later in the same transaction (provisioning)."""
    current = session.get_transaction()
    held = session.info.get("per_transaction")
    if held is None or held[0] is not current:  # a new transaction: nothing kept from the last one
        held = session.info["per_transaction"] = (current, {})
    cache: dict[Hashable, Any] = held[1]
    if key in cache:
        return cast(T, cache[key])
    value = load()
    if value is not None:
        cache[key] = value
    return value
