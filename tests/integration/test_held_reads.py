"""Deal reads held in the database between turns: they serve only while the deal's newest pending
event is the one read for, and only for a while; one read per deal; gone with the portal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from b24app.db import Database
from b24app.models import Portal
from registry.bonuses import held_reads
from registry.bonuses.held_reads import FRESH_FOR, HeldDealRead
from registry.sync.deals import snapshot_from_answer
from tests.factories import make_portal

NOW = datetime(2026, 12, 1, tzinfo=UTC)
ANSWER = {"deal": {"ID": "10", "OPPORTUNITY": "150.50", "STAGE_SEMANTIC_ID": "S"}, "rows": None, "seller": 4}


def _portal_holding(database: Database, pending: dict[int, int]) -> int:
    with database.transaction() as session:
        portal_id = make_portal(session).id
        held_reads.hold(session, portal_id, {deal: ANSWER for deal in pending}, pending, NOW)
    return portal_id


def _held_count(database: Database) -> int:
    with database.transaction() as session:
        return int(session.execute(select(func.count()).select_from(HeldDealRead)).scalar_one())


def test_a_read_serves_while_its_event_is_the_newest_pending_one(database: Database) -> None:
    portal_id = _portal_holding(database, {10: 100, 11: 101, 12: 102})
    with database.transaction() as session:
        # 11 had another event after the read: read again; 12 was handled elsewhere: left alone
        assert held_reads.held_deals(session, portal_id, {10: 100, 11: 105}, NOW) == {10}
    assert _held_count(database) == 2  # the stale read of 11 is forgotten, not kept for later
    with database.transaction() as session:
        held = held_reads.held_answers(session, portal_id, [10])
    assert held[10].answer == ANSWER and held[10].read_at == NOW
    snapshot = snapshot_from_answer(10, held[10].answer, held[10].read_at)
    assert str(snapshot.amount) == "150.50" and snapshot.won and snapshot.seller_company_id == 4


def test_old_reads_are_read_again_and_forgotten(database: Database) -> None:
    portal_id = _portal_holding(database, {10: 100, 11: 101})
    later = NOW + FRESH_FOR + timedelta(seconds=1)
    with database.transaction() as session:
        assert held_reads.held_deals(session, portal_id, {10: 100}, later) == set()
    assert _held_count(database) == 0


def test_a_deal_read_again_replaces_its_read_and_used_reads_are_forgotten(database: Database) -> None:
    portal_id = _portal_holding(database, {10: 100, 11: 101})
    with database.transaction() as session:
        held_reads.hold(session, portal_id, {10: ANSWER}, {10: 107}, NOW)
        assert held_reads.held_deals(session, portal_id, {10: 107, 11: 101}, NOW) == {10, 11}
        held_reads.forget(session, portal_id, [10, 11])
    assert _held_count(database) == 0


def test_one_read_per_deal_and_none_outlives_its_portal(database: Database) -> None:
    portal_id = _portal_holding(database, {10: 100})
    row = {"portal_id": portal_id, "deal_id": 10, "inbox_id": 101, "read_at": NOW, "answer": ANSWER}
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.add(HeldDealRead(**row))
    with database.transaction() as session:
        session.execute(delete(Portal).where(Portal.id == portal_id))
    assert _held_count(database) == 0
