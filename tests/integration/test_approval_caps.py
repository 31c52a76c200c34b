"""Caps are checked again when a request is approved, under concurrency: requests approved at the
same moment cannot pass a client's monthly maximum or yearly count together. And the schema itself
refuses a request whose lifecycle does not hold."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient

from b24app.db import Database
from registry.bonuses.decisions import Decision, Outcome, decide
from registry.bonuses.request_models import ApprovalRequest
from registry.bonuses.requests import Ask, DealFacts, Row
from registry.bonuses.submissions import submit
from registry.ledger.posting import Owner, balance_of
from registry.program.document import Program, parse
from tests.dbsupport import run_at_once
from tests.factories import make_portal

NOW = datetime(2026, 5, 1, tzinfo=UTC)
SUPERVISOR = 7


def _program(**caps: Any) -> Program:
    definition = {
        "code": "goodwill",
        "kind": "bonus_points",
        "range": {"min": 1, "max": 100},
        "approval": {"mode": "manual", "approvers": [SUPERVISOR]},
        **caps,
    }
    return parse({"approvals": [definition]})


def _requests(
    database: Database, program: Program, owner: Owner, amounts: list[str]
) -> tuple[int, list[int]]:
    row = Row(1, 5, None, "x", Decimal("10"), Decimal("1"), Decimal("10"), Decimal("0"))
    facts = DealFacts(42, owner, {"ID": "42"}, (row,))
    with database.transaction() as session:
        portal_id = make_portal(session, member_id=f"caps-{owner.id}").id
        ids = []
        for i, amount in enumerate(amounts):
            ask = Ask("goodwill", amount, "complaint", "user:3", f"test:{owner.id}:{i}")
            request = submit(session, portal_id, program, ask, facts, [SUPERVISOR], NOW)
            assert request is not None
            ids.append(request.id)
    return portal_id, ids


def _approve_together(database: Database, program: Program, portal_id: int, ids: list[int]) -> list[Outcome]:
    barrier = threading.Barrier(len(ids))
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def approve(request_id: int) -> None:
        barrier.wait()
        with database.transaction() as session:
            decision = Decision(request_id, True, f"user:{SUPERVISOR}", SUPERVISOR)
            outcome = decide(session, portal_id, program, decision, NOW)
        with lock:
            outcomes.append(outcome)

    run_at_once(approve, ids)
    return outcomes


@pytest.mark.parametrize("round_", range(3))
def test_approvals_at_once_cannot_pass_the_monthly_maximum(database: Database, round_: int) -> None:
    program = _program(per_month_max=100)
    owner = Owner("company", 500 + round_)
    portal_id, ids = _requests(database, program, owner, ["40"] * 6)  # 240 asked, 100 allowed
    outcomes = _approve_together(database, program, portal_id, ids)
    assert sorted(outcomes) == sorted([Outcome.APPROVED] * 2 + [Outcome.CAP] * 4)
    with database.transaction() as session:
        approved = session.execute(
            select(ApprovalRequest.amount).where(
                ApprovalRequest.status == "approved", ApprovalRequest.portal_id == portal_id
            )
        ).scalars()
        assert sum(approved, Decimal(0)) == Decimal("80.00")
        assert balance_of(session, portal_id, owner.type, owner.id) == Decimal("80.00")


def test_approvals_at_once_cannot_pass_the_yearly_count(database: Database) -> None:
    program = _program(per_year_count=3)
    owner = Owner("contact", 900)
    portal_id, ids = _requests(database, program, owner, ["5"] * 5)
    outcomes = _approve_together(database, program, portal_id, ids)
    assert sorted(outcomes) == sorted([Outcome.APPROVED] * 3 + [Outcome.CAP] * 2)
    with database.transaction() as session:
        cancelled = session.execute(
            select(ApprovalRequest.decision_reason).where(ApprovalRequest.status == "cancelled")
        ).scalars()
        assert list(cancelled) == ["YEARLY_COUNT"] * 2


@pytest.mark.parametrize(
    "change",
    [
        {"status": "approved"},  # approved with no one and no time
        {"status": "cancelled", "approved_by": "user:1", "approved_at": NOW},
        {"status": "archived"},
        {"amount": Decimal("0")},
        {"applied_at": NOW},  # applied while pending
    ],
)
def test_the_schema_refuses_a_broken_lifecycle(database: Database, change: dict[str, Any]) -> None:
    program = _program()
    _, [request_id] = _requests(database, program, Owner("company", 77), ["5"])
    with pytest.raises(IntegrityError), database.transaction() as session:
        request = session.get_one(ApprovalRequest, request_id)
        for key, value in change.items():
            setattr(request, key, value)
        session.flush()


def test_one_request_per_business_key(database: Database) -> None:
    program = _program()
    portal_id, [request_id] = _requests(database, program, Owner("company", 78), ["5"])
    with pytest.raises(IntegrityError), database.transaction() as session:
        twin = session.get_one(ApprovalRequest, request_id)
        session.expunge(twin)
        make_transient(twin)
        twin.id = None  # type: ignore[assignment]
        session.add(twin)
        session.flush()
    assert portal_id
