"""Twenty simultaneous write-offs of 10 against 100: exactly ten succeed, the balance ends at 0."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from b24app.db import Database
from registry.bonuses.spending import Movement, Refused, accrue_manually, write_off
from registry.ledger.audit import audit
from registry.ledger.models import LotDraw
from registry.ledger.posting import Owner, balance_of
from registry.program.document import parse
from tests.dbsupport import run_at_once
from tests.factories import make_portal

NOW = datetime(2026, 5, 1, tzinfo=UTC)
PROGRAM = parse({})


def _fund(database: Database, portal_id: int, owner: Owner) -> None:
    with database.transaction() as session:
        movement = Movement(owner, Decimal("100"), f"fund:{owner.id}", "test", reason="start")
        accrue_manually(session, portal_id, PROGRAM, movement, NOW)


def _race(database: Database, portal_id: int, owner: Owner, threads: int = 20) -> list[str]:
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []
    lock = threading.Lock()

    def spend(i: int) -> None:
        barrier.wait()
        try:
            with database.transaction() as session:
                movement = Movement(owner, Decimal("10"), f"race:{owner.id}:{i}", "test")
                write_off(session, portal_id, PROGRAM, movement, NOW)
            result = "ok"
        except Refused as refused:
            result = refused.code
        with lock:
            outcomes.append(result)

    run_at_once(spend, range(threads))
    return outcomes


@pytest.mark.parametrize("round_", range(3))
def test_twenty_concurrent_writeoffs_against_one_hundred(database: Database, round_: int) -> None:
    with database.transaction() as session:
        portal_id = make_portal(session, member_id=f"race-{round_}").id
    owner = Owner("company", 1000 + round_)
    _fund(database, portal_id, owner)
    outcomes = _race(database, portal_id, owner)
    assert sorted(outcomes) == ["INSUFFICIENT_BALANCE"] * 10 + ["ok"] * 10
    with database.transaction() as session:
        assert balance_of(session, portal_id, "company", owner.id) == Decimal("0.00")
        assert audit(session, portal_id) == []
        drawn = session.execute(select(func.sum(LotDraw.amount))).scalar_one()
        assert Decimal(drawn) == Decimal("100.00")
