"""Our own writes come back as update events: each delivered write leaves one "echo expected" mark
on what it wrote (a registry item, an owner's balance or level field), and the first update event of that
object within ``ECHO_WINDOW`` of the write uses the mark up instead of being read back.

Reading an echo back would find the ledger's values and write nothing, but it would cost a request
for every write we make (a stage move of ten thousand expired lots, every balance write). A second
event, or a later one, is read. A hand edit hidden by a mark would have to come within seconds of
our own write, before its echo; the daily healing pass finds it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app.models import PortalObject
from b24app.outbox.store import mark_object

ITEM_ECHO = "item_echo"  # portal object kind: key = the registry item's id
BALANCE_ECHO = "balance_echo"  # portal object kind: key = {owner type}:{id}
LEVEL_ECHO = "level_echo"  # portal object kind: key = {owner type}:{id} (the level field's write)
ECHO_WINDOW = timedelta(seconds=30)  # the portal sends an event within seconds of the change


def expect_echo(session: Session, portal_id: int, kind: str, key: str, now: datetime) -> None:
    """Our write of this object was delivered now: its next update event is ours."""
    mark_object(session, portal_id, kind, key, now)


def is_echo(session: Session, portal_id: int, kind: str, key: str, received_at: datetime) -> bool:
    """Whether an update event received then is the echo of our write (a mark is used up once seen)."""
    mark = _mark(session, portal_id, kind, key)
    if mark is None:
        return False
    session.delete(mark)
    session.flush()
    return abs(received_at - mark.created_at) <= ECHO_WINDOW


def _mark(session: Session, portal_id: int, kind: str, key: str) -> PortalObject | None:
    return session.execute(
        select(PortalObject).where(
            PortalObject.portal_id == portal_id, PortalObject.kind == kind, PortalObject.key == key
        )
    ).scalar_one_or_none()
