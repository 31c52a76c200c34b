"""The database itself refuses bad ledger writes: zero amounts, duplicates, edits, negative balances."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from b24app.db import Database
from registry.ledger import posting as ledger
from registry.ledger.kinds import EntryKind
from registry.ledger.models import Account
from registry.ledger.posting import Owner
from tests.factories import make_portal

NOW = datetime(2026, 1, 15, tzinfo=UTC)


def _accrual(amount: str, key: str) -> ledger.Movement:
    return ledger.Movement(
        EntryKind.ACCRUAL, Owner("contact", 5), Decimal(amount), key, "t", "test", ledger.NewLot(365)
    )


def _entry(database: Database) -> tuple[int, int]:
    with database.transaction() as session:
        portal_id = make_portal(session).id
        entry = ledger.post(session, portal_id, _accrual("10", "k1"), NOW).entry
        assert entry is not None
        return portal_id, entry.id


def test_entries_cannot_be_edited_or_deleted(database: Database) -> None:
    _, entry_id = _entry(database)
    for sql in (
        "UPDATE ledger_entries SET amount = 99 WHERE id = :id",
        "DELETE FROM ledger_entries WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            with database.transaction() as session:
                session.execute(text(sql), {"id": entry_id})


def test_zero_amount_and_duplicate_key_are_refused(database: Database) -> None:
    portal_id, _ = _entry(database)
    with pytest.raises(IntegrityError):
        with database.transaction() as session:
            ledger.post(session, portal_id, _accrual("0", "k2"), NOW)
    with pytest.raises(IntegrityError):
        with database.transaction() as session:
            ledger.post(session, portal_id, _accrual("1", "k1"), NOW)


def test_the_database_refuses_a_negative_balance_however_the_row_is_written(database: Database) -> None:
    """No flag on the row can allow it: debt is recorded as debt, the balance never goes below 0."""
    portal_id, _ = _entry(database)
    writes = (
        "UPDATE accounts SET balance = -1 WHERE portal_id = :p",
        "UPDATE accounts SET balance = -1, debt = 5, blocked = :t WHERE portal_id = :p",
        "INSERT INTO accounts (portal_id, owner_type, owner_id, balance, debt, blocked, updated_at) "
        "VALUES (:p, 'company', 9, -0.01, 0, :t, '2026-01-15 00:00:00')",
        "UPDATE accounts SET debt = -1 WHERE portal_id = :p",
    )
    for sql in writes:
        with pytest.raises(IntegrityError):
            with database.transaction() as session:
                session.execute(text(sql), {"p": portal_id, "t": True})
    assert "allow_negative" not in {c.name for c in Account.__table__.columns}


def test_uninstall_with_clean_may_delete_the_ledger(database: Database) -> None:
    portal_id, _ = _entry(database)
    with database.transaction() as session:
        session.execute(text("UPDATE portals SET status = 'uninstalled' WHERE id = :p"), {"p": portal_id})
        session.execute(text("DELETE FROM lots WHERE portal_id = :p"), {"p": portal_id})
        session.execute(text("DELETE FROM ledger_entries WHERE portal_id = :p"), {"p": portal_id})


def test_lot_remaining_and_draws_stay_in_range(database: Database) -> None:
    _entry(database)  # the accrual's lot: amount 10, remaining 10
    for sql in (
        "UPDATE lots SET remaining = -1",
        "UPDATE lots SET remaining = 11",
        "INSERT INTO lot_draws (portal_id, entry_id, lot_id, amount) "
        "SELECT portal_id, entry_id, id, 0 FROM lots",
    ):
        with pytest.raises(IntegrityError):
            with database.transaction() as session:
                session.execute(text(sql))
