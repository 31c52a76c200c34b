"""The lane agenda: one read per round says which steps may have work, and never "nothing" wrongly."""

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import event

from b24app import inbox, schedule
from b24app.clock import FrozenClock
from b24app.config import Settings, load_settings
from b24app.db import Database
from b24app.lane_agenda import Agenda, read_agenda
from b24app.lanes import LaneContext, Lanes
from b24app.models import InboxEvent
from registry.services.deal_step import deals_step
from registry.services.reconcile_step import CURSOR as RECONCILE
from registry.services.reconcile_step import reconcile_step
from tests.factories import make_portal


def _record(database: Database, portal_id: int, kind: str, clock: FrozenClock) -> int:
    with database.transaction() as session:
        inbox.record(
            session,
            portal_id=portal_id,
            kind=kind,
            event="E",
            payload={},
            received_at=clock.now(),
            subject_id=1,
        )
        return int(session.query(InboxEvent.id).filter_by(portal_id=portal_id, kind=kind).scalar() or 0)


def test_nothing_read_means_everything_may_be_due() -> None:
    agenda = Agenda()
    assert agenda.inbox("deal") and agenda.schedule("any") and agenda.portal("installing")


def test_pending_kinds_count_whatever_their_retry_time_and_done_rows_do_not(database: Database) -> None:
    clock = FrozenClock()
    with database.transaction() as session:
        portal_id = make_portal(session).id
    _record(database, portal_id, "deal", clock)
    robot = _record(database, portal_id, "robot", clock)
    _record(database, portal_id, "request", clock)
    with database.transaction() as session:
        row = session.get_one(InboxEvent, robot)
        row.retry_at = clock.now() + timedelta(hours=1)  # backing off: still counted (a "maybe")
        done = session.query(InboxEvent).filter_by(portal_id=portal_id, kind="request").one()
        done.status = "done"
    agenda = read_agenda(database, portal_id, clock.now())
    assert agenda.inbox("deal") and agenda.inbox("robot") and agenda.inbox("client", "robot")
    assert not agenda.inbox("request") and not agenda.inbox("client")


def test_schedules_are_due_as_b24app_schedule_says(database: Database) -> None:
    clock = FrozenClock()
    with database.transaction() as session:
        portal_id = make_portal(session).id
        now = clock.now()
        schedule.cursor(session, portal_id, "later", now, first_run=now + timedelta(minutes=5))
        schedule.cursor(session, portal_id, "now", now)
    agenda = read_agenda(database, portal_id, now)
    with database.transaction() as session:
        for name in ("later", "now"):
            row = schedule.cursor(session, portal_id, name, now)
            assert agenda.schedule(name) == schedule.due(session, portal_id, row, now)
    assert not agenda.schedule("later") and agenda.schedule("now")
    assert agenda.schedule("not made yet")  # the step makes it and decides
    assert agenda.schedule("later", "now")
    assert read_agenda(database, portal_id, now + timedelta(minutes=6)).schedule("later")


def test_a_portal_not_installed_has_no_schedule_due(database: Database) -> None:
    clock = FrozenClock()
    with database.transaction() as session:
        portal = make_portal(session)
        portal.status = "installing"
        portal_id = portal.id
    agenda = read_agenda(database, portal_id, clock.now())
    assert not agenda.schedule("anything") and agenda.portal("installing") and not agenda.portal("installed")


def test_each_run_reads_a_fresh_agenda(database: Database) -> None:
    clock = FrozenClock()
    with database.transaction() as session:
        portal_id = make_portal(session).id
    seen: list[Agenda] = []

    def probe(ctx: LaneContext) -> bool:
        seen.append(ctx.agenda)
        return False

    lanes = Lanes(database, _settings(), clock, [("probe", probe)])
    assert lanes.run(portal_id).acquired
    assert seen[-1].read and not seen[-1].inbox("deal") and seen[-1].portal("installed")
    _record(database, portal_id, "deal", clock)
    lanes.run(portal_id)
    assert seen[-1].inbox("deal")


def test_a_step_the_agenda_rules_out_sends_no_statement(database: Database) -> None:
    """The point of the agenda: an idle step costs no transaction and no query of its own."""
    clock = FrozenClock()
    with database.transaction() as session:
        portal_id = make_portal(session).id
        schedule.cursor(
            session, portal_id, RECONCILE, clock.now(), first_run=clock.now() + timedelta(hours=1)
        )
    statements: list[str] = []

    def listener(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", listener)
    try:
        idle = Agenda(
            clock.now(), "installed", frozenset({"robot"}), {RECONCILE: clock.now() + timedelta(hours=1)}
        )
        ctx = LaneContext(database, _settings(), portal_id, cast(Any, None), clock, agenda=idle)
        assert deals_step(ctx) is False and reconcile_step(ctx) is False
    finally:
        event.remove(database.engine, "before_cursor_execute", listener)
    assert statements == []


def _settings() -> Settings:
    return load_settings({"app_env": "test", "lane_lease_seconds": 60}, env={})
