"""The outbox's rows: owing a delivery (idempotent by key), backoff, the next retry, pruning, and the
portal ids of objects deliveries created."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from b24app.db import insert_ignore, insert_ignore_many
from b24app.models import OutboxMessage, PortalObject

GIVE_UP_AFTER = timedelta(hours=24)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 3600))


def row(portal_id: int, kind: str, key: str, payload: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The values of one owed delivery (for ``add`` and ``add_many``)."""
    return {
        "portal_id": portal_id,
        "kind": kind,
        "key": key,
        "payload": dict(payload),
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }


def add(
    session: Session, *, portal_id: int, kind: str, key: str, payload: Mapping[str, Any], now: datetime
) -> bool:
    """Owe one delivery; a message with the same key is not added twice."""
    return insert_ignore(session, OutboxMessage.__table__, row(portal_id, kind, key, payload, now))


def add_many(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """Owe these deliveries (``row`` values of one portal) in one statement; the keys added."""
    added: set[str] = insert_ignore_many(session, OutboxMessage.__table__, rows, "key")
    return added


def next_due(session: Session, portal_id: int, now: datetime) -> datetime | None:
    """The earliest retry of a pending message after ``now`` (a lane wake-up)."""
    at: datetime | None = session.execute(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.portal_id == portal_id,
            OutboxMessage.status == "pending",
            OutboxMessage.next_attempt_at > now,
        )
    ).scalar_one()
    return at


def prune(session: Session, portal_id: int, before: datetime) -> int:
    """Delete messages delivered before ``before`` (what they created is kept in ``portal_objects``)."""
    result = session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.portal_id == portal_id,
            OutboxMessage.status == "done",
            OutboxMessage.done_at < before,
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# Built once with bound parameters (every delivered registry item): building a statement and its
# cache key per call cost more than running it.
_OBJECT_KEY = (
    PortalObject.portal_id == bindparam("portal_id"),
    PortalObject.kind == bindparam("kind"),
    PortalObject.key == bindparam("key"),
)
_OBJECT = select(PortalObject).where(*_OBJECT_KEY)
_REMOTE_ID = select(PortalObject.remote_id).where(*_OBJECT_KEY)


_OBJECTS: Any = PortalObject.__table__
_OBJECT_ROW = (
    # Not the columns' names: an UPDATE reserves those for its SET clause (CompileError otherwise).
    _OBJECTS.c.portal_id == bindparam("row_portal_id"),
    _OBJECTS.c.kind == bindparam("row_kind"),
    _OBJECTS.c.key == bindparam("row_key"),
)
_SET_REMOTE_ID = update(_OBJECTS).where(*_OBJECT_ROW).values(remote_id=bindparam("new_remote_id"))
_SET_CREATED_AT = update(_OBJECTS).where(*_OBJECT_ROW).values(created_at=bindparam("new_created_at"))


MARK = "1"  # the remote id of a mark: an object row that only records when (an expected echo)


@dataclass(frozen=True)
class ObjectNote:
    """What a delivered message leaves in ``portal_objects``: the portal's id of an object it
    created (corrected when a retry created it again), or with ``remote_id`` None a mark made now
    (an existing one moved to now): an echo of our write is expected."""

    kind: str
    key: str
    remote_id: str | None = None


def note_objects(session: Session, portal_id: int, notes: Sequence[ObjectNote], now: datetime) -> None:
    """Keep the notes of a batch of delivered messages: one multi-row insert per kind; the objects
    already there are corrected one by one (a retry, a new mark)."""
    latest = {(note.kind, note.key): note for note in notes}  # an object noted twice: the last note
    by_kind: dict[str, list[ObjectNote]] = defaultdict(list)
    for note in latest.values():
        by_kind[note.kind].append(note)
    for kind, group in by_kind.items():
        key_of = {"portal_id": portal_id, "kind": kind}
        rows = [{**key_of, "key": n.key, "remote_id": n.remote_id or MARK, "created_at": now} for n in group]
        added = insert_ignore_many(session, _OBJECTS, rows, "key")
        for note in (n for n in group if n.key not in added):
            row_key = _row({**key_of, "key": note.key})
            if note.remote_id is None:
                session.connection().execute(_SET_CREATED_AT, {**row_key, "new_created_at": now})
            else:
                session.connection().execute(_SET_REMOTE_ID, {**row_key, "new_remote_id": note.remote_id})


def _row(key_of: dict[str, Any]) -> dict[str, Any]:
    """The object's key under the UPDATE statements' parameter names."""
    return {f"row_{name}": value for name, value in key_of.items()}


def remote_id_of(session: Session, portal_id: int, kind: str, key: str) -> str | None:
    key_of = {"portal_id": portal_id, "kind": kind, "key": key}
    found: str | None = session.execute(_REMOTE_ID, key_of).scalar_one_or_none()
    return found
