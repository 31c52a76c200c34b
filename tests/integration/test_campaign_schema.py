"""The database refuses a second award for one (campaign, client, occurrence), a non-positive award,
an unknown client type, and a ledger entry of an unknown kind; the campaign kind is accepted."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from b24app.db import Database
from registry.bonuses.audience import CampaignAward, ClientRecord
from registry.ledger import posting as ledger
from registry.ledger.kinds import EntryKind
from registry.ledger.posting import Owner
from tests.factories import make_portal

NOW = datetime(2026, 5, 17, tzinfo=UTC)


def _award(portal_id: int, **changes: Any) -> dict[str, Any]:
    row = {
        "portal_id": portal_id,
        "campaign": "birthday",
        "client_type": "contact",
        "client_id": 5,
        "occurrence": date(2026, 5, 17),
        "points": Decimal("100"),
        "awarded_at": NOW,
    }
    return {**row, **changes}


def _portal(database: Database) -> int:
    with database.transaction() as session:
        return make_portal(session).id


def test_one_award_per_campaign_client_and_occurrence(database: Database) -> None:
    portal_id = _portal(database)
    with database.transaction() as session:
        session.execute(
            insert(CampaignAward), [_award(portal_id), _award(portal_id, occurrence=date(2027, 5, 17))]
        )
    with pytest.raises(IntegrityError):
        with database.transaction() as session:
            session.execute(insert(CampaignAward), [_award(portal_id)])


@pytest.mark.parametrize(
    "changes", [{"points": Decimal("0")}, {"points": Decimal("-5")}, {"client_type": "lead"}]
)
def test_bad_awards_are_refused(database: Database, changes: dict[str, Any]) -> None:
    portal_id = _portal(database)
    with pytest.raises(IntegrityError):
        with database.transaction() as session:
            session.execute(insert(CampaignAward), [_award(portal_id, **changes)])


def test_mirror_rows_are_unique_per_client(database: Database) -> None:
    portal_id = _portal(database)
    row = {
        "portal_id": portal_id,
        "client_type": "contact",
        "client_id": 7,
        "company_ids": [],
        "uf": {},
        "synced_at": NOW,
    }
    with database.transaction() as session:
        session.execute(insert(ClientRecord), [row, {**row, "client_type": "company"}])
    with pytest.raises(IntegrityError):
        with database.transaction() as session:
            session.execute(insert(ClientRecord), [row])


def test_the_campaign_kind_is_a_ledger_kind(database: Database) -> None:
    portal_id = _portal(database)
    movement = ledger.Movement(
        EntryKind.CAMPAIGN,
        Owner("contact", 5),
        Decimal("100"),
        "campaign:b:contact:5:2026-05-17",
        "system",
        "campaign:b",
        ledger.NewLot(30),
    )
    with database.transaction() as session:
        entry = ledger.post(session, portal_id, movement, NOW).entry
        assert entry is not None and entry.kind == "campaign"
