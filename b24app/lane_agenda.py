"""What a portal has waiting, read once per lane round: idle steps answer from it without a transaction.

Most of a lane's steps are idle in most rounds (no inbox rows of their kinds, a schedule not due),
and each used to find that out in a transaction of its own. The agenda is one short read at the
start of a round: the portal's status, the inbox kinds with pending rows, and when each schedule
comes round. A step asks it first and opens its transaction only when it may have work.

It only ever says "maybe" too often, never "nothing" wrongly: a kind counts while any row of it is
pending (whatever its retry time), a schedule not created yet counts as due. Work recorded after
the round began is seen by the next round (a step that records work reports itself busy) or by
the next run (an inbound event queues one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select

from b24app.db import Database
from b24app.models import InboxEvent, Portal, PortalCursor

_INBOX = cast(Table, InboxEvent.__table__)
_CURSORS = cast(Table, PortalCursor.__table__)
_PORTALS = cast(Table, Portal.__table__)
# Built once with bound parameters: read at the start of every round of every lane.
_STATUS = select(_PORTALS.c.status).where(_PORTALS.c.id == bindparam("portal_id"))
_KINDS = (
    select(_INBOX.c.kind)
    .where(_INBOX.c.portal_id == bindparam("portal_id"), _INBOX.c.status == "pending")
    .distinct()
)
_SCHEDULES = select(_CURSORS.c.name, _CURSORS.c.next_run_at).where(
    _CURSORS.c.portal_id == bindparam("portal_id")
)


@dataclass(frozen=True)
class Agenda:
    """A round's view of what may be waiting; ``Agenda()`` (nothing read) says everything may be."""

    now: datetime | None = None
    status: str | None = None
    kinds: frozenset[str] = frozenset()
    schedules: Mapping[str, datetime | None] = field(default_factory=dict)

    @property
    def read(self) -> bool:
        return self.now is not None

    def inbox(self, *kinds: str) -> bool:
        """Whether rows of any of these inbox kinds may be pending."""
        return not self.read or not self.kinds.isdisjoint(kinds)

    def schedule(self, *names: str) -> bool:
        """Whether any of these schedules may have come round (b24app.schedule.due, read ahead)."""
        if not self.read:
            return True
        return self.status == "installed" and any(self._due(name) for name in names)

    def portal(self, *statuses: str) -> bool:
        """Whether the portal may be in one of these statuses."""
        return not self.read or self.status in statuses

    def _due(self, name: str) -> bool:
        if name not in self.schedules:
            return True  # not created yet: the step creates it and decides
        at = self.schedules[name]
        assert self.now is not None
        return at is None or at <= self.now


def read_agenda(db: Database, portal_id: int, now: datetime) -> Agenda:
    """The portal's agenda now: three indexed reads in one short transaction."""
    key = {"portal_id": portal_id}
    with db.transaction() as session:
        connection = session.connection()
        status = connection.execute(_STATUS, key).scalar_one_or_none()
        kinds = frozenset(connection.execute(_KINDS, key).scalars())
        schedules = {name: at for name, at in connection.execute(_SCHEDULES, key)}
    return Agenda(now, status, kinds, schedules)
