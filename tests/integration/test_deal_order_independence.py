"""Any order of duplicated or stale deal observations ends in the state the last one implies."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

from b24app.db import Base, Database
from registry.bonuses.deals import sync_deal
from registry.ledger.audit import audit
from registry.ledger.posting import balance_of
from registry.program.deal import DealSnapshot
from tests.dbsupport import import_all_models
from tests.factories import make_portal

START = datetime(2026, 3, 1, tzinfo=UTC)
observation = st.tuples(
    st.sampled_from(["S", "P", "F", "deleted"]),
    st.sampled_from([Decimal("100"), Decimal("250.50"), Decimal("1000")]),
)


def _fresh_db() -> tuple[Database, int]:
    import_all_models()
    path = tempfile.mkdtemp() + "/h.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    db = Database(f"sqlite:///{path}")
    with db.transaction() as session:
        return db, make_portal(session).id


def _snapshot(obs: tuple[str, Decimal], at: datetime) -> DealSnapshot:
    stage, amount = obs
    return DealSnapshot(
        deal_id=7,
        exists=stage != "deleted",
        observed_at=at,
        stage_semantic=stage,
        amount=amount,
        currency="RUB",
        contact_id=42,
    )


@settings(max_examples=40, deadline=None)
@given(history=st.lists(observation, min_size=1, max_size=8), replays=st.integers(0, 3))
def test_final_balance_depends_only_on_the_last_observation(
    history: list[tuple[str, Decimal]], replays: int
) -> None:
    db, portal_id = _fresh_db()
    at = START
    for obs in history + [history[-1]] * replays:  # duplicated deliveries of the final state
        at += timedelta(minutes=1)
        with db.transaction() as session:
            sync_deal(session, portal_id, _snapshot(obs, at), at)
    stage, amount = history[-1]
    expected = (
        (amount * Decimal("0.05")).quantize(Decimal("0.01"), ROUND_HALF_UP) if stage == "S" else Decimal("0")
    )
    with db.transaction() as session:
        assert balance_of(session, portal_id, "contact", 42) == expected
        assert audit(session, portal_id) == []
    db.dispose()
