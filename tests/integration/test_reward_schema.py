"""The database refuses bad deal rewards: a bundle twice on one deal, unknown kinds or states, negatives."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from b24app.db import Database
from registry.bonuses.reward_models import DealReward
from tests.factories import make_portal

NOW = datetime(2026, 1, 15, tzinfo=UTC)


def _reward(portal_id: int, **changes: Any) -> DealReward:
    values: dict[str, Any] = {
        "portal_id": portal_id,
        "deal_id": 7,
        "kind": "bundle",
        "code": "b30",
        "status": "to_add",
        "created_at": NOW,
        "updated_at": NOW,
        **changes,
    }
    return DealReward(**values)


def _portal(database: Database) -> int:
    with database.transaction() as session:
        return make_portal(session).id


@pytest.mark.parametrize(
    "changes",
    [{"kind": "gift"}, {"status": "lost"}, {"units": Decimal("-1")}, {"value": Decimal("-0.01")}],
)
def test_bad_values_are_refused(database: Database, changes: dict[str, Any]) -> None:
    portal_id = _portal(database)
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.add(_reward(portal_id, **changes))
        session.flush()


def test_a_deal_holds_a_bundle_once(database: Database) -> None:
    portal_id = _portal(database)
    with database.transaction() as session:
        session.add(_reward(portal_id))
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.add(_reward(portal_id, status="waiting"))
        session.flush()
    with database.transaction() as session:  # an offer accrues once per win: generations differ
        session.add(_reward(portal_id, kind="offer", code="acc10", status="active", generation=1))
        session.add(_reward(portal_id, kind="offer", code="acc10", status="active", generation=2))
