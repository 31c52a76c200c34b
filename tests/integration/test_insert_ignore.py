"""``insert_ignore`` (INSERT ... ON CONFLICT DO NOTHING) on both backends: True only for a new row,
and compiled once (SQLAlchemy caches no ON CONFLICT insert of its own)."""

from sqlalchemy import insert

from b24app.db import Database, _insert_ignore_statement, insert_ignore
from b24app.models import LaneLease, OutboxMessage
from tests.factories import make_portal


def test_a_row_goes_in_once_and_a_conflict_is_ignored(database: Database) -> None:
    with database.transaction() as session:
        portal_id = make_portal(session).id
    table = LaneLease.__table__
    with database.transaction() as session:
        assert insert_ignore(session, table, {"portal_id": portal_id, "queued": True, "failures": 0})
        assert not insert_ignore(session, table, {"portal_id": portal_id, "queued": False, "failures": 3})
    with database.transaction() as session:
        lease = session.get_one(LaneLease, portal_id)
        assert lease.queued and lease.failures == 0  # the first row stands


def test_the_statement_has_a_cache_key_of_its_own(database: Database) -> None:
    dialect = database.engine.dialect.name
    leases = _insert_ignore_statement(dialect, LaneLease.__table__)
    outbox = _insert_ignore_statement(dialect, OutboxMessage.__table__)
    plain = insert(LaneLease.__table__).returning(LaneLease.__table__.c.portal_id)
    key = leases._generate_cache_key()
    assert key is not None  # cached, not compiled on every call
    assert key != outbox._generate_cache_key() and key != plain._generate_cache_key()
    assert "ON CONFLICT DO NOTHING" in str(leases.compile(dialect=database.engine.dialect))
