"""What a won deal costs the database: a group of deals is read, posted and mirrored with a few
statements per deal, and what can be read for the whole group or batch is read once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from bench.common import registry_items
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.server import Emulator
from tests.harness import AppHarness

DEALS = 50  # two groups of 25 (one transaction each), four batches of mirror writes


def _new_clients_win(emulator: Emulator, portal: EmuPortal) -> None:
    for i in range(DEALS):
        company = driver.create_company(emulator, portal, TITLE=f"Client {i}")
        driver.create_deal(
            emulator, portal, TITLE=f"d{i}", OPPORTUNITY="1000", COMPANY_ID=company, STAGE_ID="WON"
        )


@contextmanager
def _counted(app: AppHarness) -> Iterator[list[str]]:
    statements: list[str] = []

    def listener(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(app.db.engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(app.db.engine, "before_cursor_execute", listener)


def _selects_from(statements: list[str], table: str) -> int:
    return sum(1 for s in statements if re.match(rf"SELECT .* FROM {table}\b", s))


def test_a_group_of_won_deals_reads_what_it_can_once(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    _new_clients_win(emulator, portal)
    with _counted(app) as statements:
        app.drain()
    assert registry_items(portal) == DEALS  # every deal accrued and mirrored
    groups = DEALS // 25
    assert _selects_from(statements, "deal_states") == groups  # locked for the group at once
    # the entries: once for the group's mirror rows, once for each batch of registry item writes
    assert _selects_from(statements, "ledger_entries") <= 2 * groups + 2
    balance_reads = [s for s in statements if "FROM accounts" in s and "sum(lots.remaining)" in s]
    assert 1 <= len(balance_reads) <= 4  # one a batch of balance-field writes, not one a client
    # a new deal's row is written once, with its final fields; a new client's account too (its
    # final balance, no insert-ignore, locking read and update per deal): the group's accounts are
    # locked in one statement and its new rows go in with one flush
    assert not [s for s in statements if s.startswith(("UPDATE deal_states", "UPDATE accounts"))]
    assert _selects_from(statements, "accounts") - len(balance_reads) == groups
    assert not [s for s in statements if s.startswith("INSERT INTO accounts") and "ON CONFLICT" in s]
    postgres = app.db.engine.dialect.name == "postgresql"
    for table in ("deal_states", "accounts", "ledger_entries", "lots"):
        inserts = [s for s in statements if s.startswith(f"INSERT INTO {table} ")]
        # PostgreSQL takes a group's rows in one INSERT; SQLite's RETURNING keeps no row order,
        # so SQLAlchemy sends them one by one there (cheap: no round trip)
        assert len(inserts) == (groups if postgres else DEALS)
    # everything the drain did, the app's intake of the deal events included
    assert len(statements) / DEALS < (9 if postgres else 14)  # 7.7 on PostgreSQL, 13.7 on SQLite
