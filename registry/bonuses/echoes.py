"""Our own writes come back as update events: each delivered write leaves one "echo expected" mark
on what it wrote (a registry item, an owner's balance or level field), and the first update event of that
object within ``ECHO_WINDOW`` of the write uses the mark up instead of being read back.

Reading an echo back would find the ledger's values and write nothing, but it would cost a request
for every write we make (a stage move of ten thousand expired lots, every balance write). A second
event, or a later one, is read. A hand edit hidden by a mark would have to come within seconds of
our own write, before its echo; the daily healing pass finds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from b24app.models import PortalObject
from b24app.outbox.store import ObjectNote

ITEM_ECHO = "item_echo"  # portal object kind: key = the registry item's id
BALANCE_ECHO = "balance_echo"  # portal object kind: key = {owner type}:{id}
LEVEL_ECHO = "level_echo"  # portal object kind: key = {owner type}:{id} (the level field's write)
ECHO_WINDOW = timedelta(seconds=30)  # the portal sends an event within seconds of the change


def echo_expected(kind: str, key: str) -> ObjectNote:
    """Our write of this object was delivered: its next update event is ours (the note of the
    delivered message; the outbox writes a batch's notes at once)."""
    return ObjectNote(kind, key)


def take_echoes(
    session: Session, portal_id: int, kinds: Sequence[str], events: Sequence[tuple[str, datetime]]
) -> list[bool]:
    """For each update event ``(key, received_at)``, in order: whether it is the echo of our write of
    one of ``kinds`` (tried in order; a mark is used up once seen, even when it was too old). One read
    and one delete however many events: a burst of balance writes echoes one event each."""
    keys = sorted({key for key, _ in events})
    if not keys:
        return []
    rows = session.execute(
        select(PortalObject.id, PortalObject.kind, PortalObject.key, PortalObject.created_at).where(
            PortalObject.portal_id == portal_id, PortalObject.kind.in_(kinds), PortalObject.key.in_(keys)
        )
    )
    marks = {(kind, key): (mark_id, created_at) for mark_id, kind, key, created_at in rows}
    answers: list[bool] = []
    used: list[int] = []
    for key, received_at in events:
        echo, spent = _take(marks, kinds, key, received_at)
        answers.append(echo)
        used += spent
    if used:
        session.execute(delete(PortalObject).where(PortalObject.id.in_(used)))
    return answers


def _take(
    marks: dict[tuple[str, str], tuple[int, datetime]],
    kinds: Sequence[str],
    key: str,
    received_at: datetime,
) -> tuple[bool, list[int]]:
    """Whether one event is an echo, and the marks it used up (a stale mark is spent too)."""
    spent: list[int] = []
    for kind in kinds:
        mark = marks.pop((kind, key), None)
        if mark is None:
            continue
        spent.append(mark[0])
        if abs(received_at - mark[1]) <= ECHO_WINDOW:
            return True, spent
    return False, spent
