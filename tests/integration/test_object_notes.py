"""A batch's delivered objects and expected echoes go to ``portal_objects`` at once: new ones
inserted, an object created again gets its new id, a mark made again moves to now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from b24app.db import Database
from b24app.models import PortalObject
from b24app.outbox import ObjectNote, note_objects
from tests.factories import make_portal

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _objects(database: Database) -> dict[tuple[str, str], tuple[str, datetime]]:
    with database.transaction() as session:
        rows = session.execute(select(PortalObject)).scalars()
        return {(r.kind, r.key): (r.remote_id, r.created_at) for r in rows}


def test_new_objects_and_marks_in_one_batch_and_existing_ones_corrected(database: Database) -> None:
    with database.transaction() as session:
        portal_id = make_portal(session).id
        first = [ObjectNote("registry_item", "entry:1", "501"), ObjectNote("balance_echo", "company:7")]
        note_objects(session, portal_id, first, NOW)
    later = NOW + timedelta(minutes=5)
    with database.transaction() as session:
        again = [
            ObjectNote("registry_item", "entry:1", "502"),  # a retry created it again
            ObjectNote("registry_item", "entry:2", "503"),
            ObjectNote("balance_echo", "company:7"),  # written again: its echo expected from now
            ObjectNote("balance_echo", "company:8"),
            ObjectNote("balance_echo", "company:8"),  # twice in one batch: one row
        ]
        note_objects(session, portal_id, again, later)
    assert _objects(database) == {
        ("registry_item", "entry:1"): ("502", NOW),
        ("registry_item", "entry:2"): ("503", later),
        ("balance_echo", "company:7"): ("1", later),
        ("balance_echo", "company:8"): ("1", later),
    }
