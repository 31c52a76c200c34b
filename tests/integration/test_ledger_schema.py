"""The database itself refuses bad ledger writes: zero amounts, duplicates, edits, negative balances."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from b24app.db import Database
from registry.ledger import posting as ledger
from registry.ledger.posting import Owner
from tests.factories import make_portal

NOW = datetime(2026, 1, 15, tzinfo=UTC)


def _entry(database: Database) -> tuple[int, int]:
    with database.transaction() as session:
        portal_id = make_portal(session).id
        account = ledger.lock_account(session, portal_id, Owner("contact", 5), NOW, allow_negative=False)
        entry = ledger.post(
            session, account, kind="accrual", amount=Decimal("10"), key="k1", actor="t", now=NOW
        )
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
            account = ledger.lock_account(session, portal_id, Owner("contact", 5), NOW, allow_negative=False)
            ledger.post(session, account, kind="accrual", amount=Decimal("0"), key="k2", actor="t", now=NOW)
    with pytest.raises(IntegrityError):
        with database.transaction() as session:
            account = ledger.lock_account(session, portal_id, Owner("contact", 5), NOW, allow_negative=False)
            ledger.post(session, account, kind="accrual", amount=Decimal("1"), key="k1", actor="t", now=NOW)


def test_balance_cannot_go_negative_unless_allowed(database: Database) -> None:
    portal_id, _ = _entry(database)
    with pytest.raises(IntegrityError):
        with database.transaction() as session:
            session.execute(text("UPDATE accounts SET balance = -1 WHERE portal_id = :p"), {"p": portal_id})
    with database.transaction() as session:
        session.execute(
            text("UPDATE accounts SET allow_negative = :t, balance = -1 WHERE portal_id = :p"),
            {"p": portal_id, "t": True},
        )


def test_uninstall_with_clean_may_delete_the_ledger(database: Database) -> None:
    portal_id, _ = _entry(database)
    with database.transaction() as session:
        session.execute(text("UPDATE portals SET status = 'uninstalled' WHERE id = :p"), {"p": portal_id})
        session.execute(text("DELETE FROM lots WHERE portal_id = :p"), {"p": portal_id})
        session.execute(text("DELETE FROM ledger_entries WHERE portal_id = :p"), {"p": portal_id})


def test_lot_remaining_and_draws_stay_in_range(database: Database) -> None:
    portal_id, entry_id = _entry(database)
    with database.transaction() as session:
        session.execute(
            text(
                "INSERT INTO lots (portal_id, account_id, entry_id, amount, remaining, activates_at) "
                "SELECT portal_id, account_id, id, 10, 10, created_at FROM ledger_entries WHERE id = :e"
            ),
            {"e": entry_id},
        )
    for sql in (
        "UPDATE lots SET remaining = -1",
        "UPDATE lots SET remaining = 11",
        "INSERT INTO lot_draws (portal_id, entry_id, lot_id, amount) "
        "SELECT portal_id, entry_id, id, 0 FROM lots",
    ):
        with pytest.raises(IntegrityError):
            with database.transaction() as session:
                session.execute(text(sql))
