"""The outbox against the emulator: shared batches, no twin after a lost response, give-up after 24 h."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app import outbox
from b24app.clock import FrozenClock
from b24app.db import Database
from b24app.gateway import Command
from b24app.models import OutboxMessage, Portal
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness


class CommentKind:
    """A timeline comment found again by its exact text (what the registry mirror does)."""

    kind = "comment"

    def lookup(self, session: Session, message: OutboxMessage) -> Command | None:
        p = message.payload
        return Command("crm.timeline.comment.list", {"filter": {"ENTITY_ID": p["id"], "ENTITY_TYPE": "deal"}})

    def found(self, message: OutboxMessage, result: Any) -> str | None:
        return next((str(r["ID"]) for r in result if r["COMMENT"] == message.payload["text"]), None)

    def write(self, session: Session, message: OutboxMessage) -> Command | None:
        p = message.payload
        return Command(
            "crm.timeline.comment.add",
            {"fields": {"ENTITY_ID": p["id"], "ENTITY_TYPE": "deal", "COMMENT": p["text"]}},
        )

    def written(self, message: OutboxMessage, result: Any) -> str | None:
        return str(result)


@pytest.fixture
def app(database: Database, emulator: Emulator, clock: FrozenClock) -> Iterator[AppHarness]:
    harness = AppHarness(database.url, oauth_url=emulator.oauth_url(), clock=clock)
    steps = harness.container.lanes.steps
    steps[:] = [s for s in steps if s[0] == "provision"] + [("outbox", outbox.OutboxStep([CommentKind()]))]
    yield harness
    harness.close()


def _setup(app: AppHarness, emulator: Emulator, deals: int) -> tuple[EmuPortal, int, list[int]]:
    portal = emulator.add_portal()
    driver.install_api(emulator, portal, CLIENT_ID, app.base_url + "/install")
    app.drain()
    ids = [driver.create_deal(emulator, portal, TITLE=f"d{i}") for i in range(deals)]
    with app.db.transaction() as session:
        portal_id = session.execute(select(Portal.id)).scalar_one()
    return portal, portal_id, ids


def _owe(app: AppHarness, portal_id: int, deal_ids: list[int], now: Any) -> None:
    with app.db.transaction() as session:
        for deal_id in deal_ids:
            outbox.add(
                session,
                portal_id=portal_id,
                kind="comment",
                key=f"c:{deal_id}",
                payload={"id": deal_id, "text": f"Bonus note {deal_id}"},
                now=now,
            )
            assert not outbox.add(
                session, portal_id=portal_id, kind="comment", key=f"c:{deal_id}", payload={}, now=now
            )  # the same key is owed once
    app.container.jobs.enqueue_lane(portal_id, force=True)


def _statuses(app: AppHarness) -> list[str]:
    with app.db.transaction() as session:
        return list(session.execute(select(OutboxMessage.status).order_by(OutboxMessage.id)).scalars())


def test_many_writes_share_batches(app: AppHarness, emulator: Emulator, clock: FrozenClock) -> None:
    portal, portal_id, deals = _setup(app, emulator, 120)
    emulator.stats.http_requests = 0
    _owe(app, portal_id, deals, clock.now())
    app.drain()
    assert _statuses(app) == ["done"] * 120
    assert len(portal.comments) == 120
    assert emulator.stats.http_requests == 3  # 120 commands in batches of 50


def test_lost_response_makes_no_twin(app: AppHarness, emulator: Emulator, clock: FrozenClock) -> None:
    portal, portal_id, deals = _setup(app, emulator, 3)
    emulator.faults.lose_response_next(1, method="batch")
    _owe(app, portal_id, deals, clock.now())
    app.drain()
    clock.advance(minutes=1)
    app.skew = clock.now() - FrozenClock().now()  # the lane's retry comes round
    app.drain()
    assert _statuses(app) == ["done"] * 3
    assert len(portal.comments) == 3  # found by lookup, not written again
    assert len(emulator.requests.calls("crm.timeline.comment.list")) == 3


def test_gives_up_after_a_day_of_failures(app: AppHarness, emulator: Emulator, clock: FrozenClock) -> None:
    _, portal_id, deals = _setup(app, emulator, 1)
    driver.delete_deal(emulator, next(iter(emulator.portals.values())), deals[0])  # OWNER_NOT_FOUND forever
    _owe(app, portal_id, deals, clock.now())
    for _ in range(30):
        app.container.jobs.enqueue_lane(portal_id, force=True)
        app.drain()
        clock.advance(hours=1)
        _bucket_drains(app, portal_id)  # the hour passes for the portal's bucket too
    assert _statuses(app) == ["failed"]


def _bucket_drains(app: AppHarness, portal_id: int) -> None:
    """The gateway's bucket runs on real time and a lane never waits for it: empty it by hand."""
    with app.db.transaction() as session:
        session.get_one(Portal, portal_id).bucket_level = 0.0
