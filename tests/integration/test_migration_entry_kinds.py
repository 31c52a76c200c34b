"""Migration 0007 on a ledger that has rows: ``adjustment`` split by meaning, manual accruals named,
sources filled in, a negative balance turned into debt — lots and draws untouched, the ledger still
append-only afterwards (SQLite rebuilds its tables; PostgreSQL alters them)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from tests.dbsupport import BACKENDS, PG_ADMIN_URL

T = "'2026-01-15 12:00:00'"
SEED = [
    "INSERT INTO portals (id, member_id, domain, client_endpoint, language, status, scenario,"
    " token_generation, bucket_level) VALUES (1, 'm', 'd', 'http://x/rest/', 'ru', 'installed', 'api', 0, 0)",
    "INSERT INTO accounts (id, portal_id, owner_type, owner_id, balance, debt, allow_negative, blocked,"
    f" updated_at) VALUES (1, 1, 'contact', 5, 40, 0, false, false, {T}),"
    f" (2, 1, 'company', 7, -5, 0, true, false, {T})",
    "INSERT INTO ledger_entries (id, portal_id, account_id, kind, amount, balance_after, business_key, actor,"
    " deal_id, snapshot, created_at) VALUES"
    f" (1, 1, 1, 'accrual', 50, 50, 'accrual:deal:3:1', 'deal:3', 3, '{{\"kind\": \"percent\"}}', {T}),"
    f" (2, 1, 1, 'accrual', 10, 60, 'bonus_accrue:abc', 'user:1', NULL, '{{\"kind\": \"manual\"}}', {T}),"
    f" (3, 1, 1, 'adjustment', -10, 50, 'adjust:deal:3:1:1', 'deal:3', 3, '{{}}', {T}),"
    f" (4, 1, 1, 'write_off', -5, 45, 'bonus_writeoff:def', 'user:1', NULL, '{{}}', {T}),"
    f" (5, 1, 1, 'adjustment', -5, 40, 'console:adjust:1', 'console', NULL, '{{}}', {T}),"
    f" (6, 1, 2, 'reversal', -5, -5, 'reversal:deal:4:1', 'system', 4, '{{}}', {T})",
    "INSERT INTO lots (id, portal_id, account_id, entry_id, amount, remaining, activates_at) VALUES"
    f" (1, 1, 1, 1, 40, 30, {T}), (2, 1, 1, 2, 10, 10, {T})",
    "INSERT INTO lot_draws (portal_id, entry_id, lot_id, amount) VALUES (1, 4, 1, 5), (1, 5, 1, 5)",
]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('mig')}/m.sqlite3"
        return
    name = f"bonus_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{PG_ADMIN_URL.rpartition('/')[0]}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _upgrade(url: str, revision: str) -> None:
    cfg = Config("migrations/alembic.ini")
    cfg.attributes["database_url"] = url
    command.upgrade(cfg, revision)


def _rows(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def test_old_kinds_become_the_new_ones_and_nothing_else_moves(url: str) -> None:
    _upgrade(url, "0006")
    engine = create_engine(url)
    with engine.begin() as conn:
        for sql in SEED:
            conn.execute(text(sql))
        if engine.dialect.name == "postgresql":  # rows inserted with their ids leave the sequence behind
            conn.execute(text("SELECT setval(pg_get_serial_sequence('ledger_entries', 'id'), 100)"))
    _upgrade(url, "head")
    kinds = _rows(engine, "SELECT id, kind, source FROM ledger_entries WHERE id <= 6 ORDER BY id")
    assert kinds == [
        (1, "accrual", "deal:3"),
        (2, "manual_accrual", "robot:abc"),
        (3, "deal_adjustment", "deal:3"),
        (4, "write_off", "robot:def"),
        (5, "correction", "console"),
        (6, "reversal", "deal:4"),
    ]
    assert _rows(engine, "SELECT count(*) FROM lots") == [(2,)]
    assert _rows(engine, "SELECT count(*) FROM lot_draws") == [(2,)]
    owed = _rows(engine, "SELECT balance, debt FROM accounts WHERE id = 2")
    assert [(Decimal(str(b)), Decimal(str(d))) for b, d in owed] == [(Decimal("0"), Decimal("5"))]
    added = _rows(engine, "SELECT kind, amount FROM ledger_entries WHERE account_id = 2 AND id > 6")
    assert [(k, Decimal(str(a))) for k, a in added] == [("correction", Decimal("5"))]
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(text("UPDATE ledger_entries SET amount = 1 WHERE id = 1"))
    engine.dispose()
