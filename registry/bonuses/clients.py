"""The client mirror's writes and reads (session only): rows as the portal reported them, deletions,
and the portal's clock (its UTC offset, for "today" and registration days)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from b24app import schedule
from b24app.db import insert_ignore
from b24app.models import PortalCursor
from registry.bonuses.audience import ClientRecord

CLOCK = "portal_clock"  # cursor whose value is the portal's UTC offset, e.g. "+03:00"
CHUNK = 500  # rows read or written per statement


@dataclass(frozen=True)
class ClientRow:
    """A contact or company as read from the portal (crm.item.list, original UF names)."""

    client_type: str
    client_id: int
    created_time: datetime | None = None
    updated_time: datetime | None = None
    birthdate: date | None = None
    type_id: str | None = None
    source_id: str | None = None
    assigned_by_id: int | None = None
    company_ids: list[int] = field(default_factory=list)
    uf: dict[str, Any] = field(default_factory=dict)
    name: str | None = None  # for the main page's names (client_names), not kept in the mirror

    def values(self, portal_id: int, now: datetime) -> dict[str, Any]:
        return {
            "portal_id": portal_id,
            "client_type": self.client_type,
            "client_id": self.client_id,
            "created_time": self.created_time,
            "updated_time": self.updated_time,
            "birthdate": self.birthdate,
            "type_id": self.type_id,
            "source_id": self.source_id,
            "assigned_by_id": self.assigned_by_id,
            "company_ids": self.company_ids,
            "uf": self.uf,
            "synced_at": now,
        }


def store(session: Session, portal_id: int, rows: Sequence[ClientRow], now: datetime) -> int:
    """Insert or refresh these rows; returns how many were new."""
    new = 0
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        keys = [(r.client_type, r.client_id) for r in chunk]
        known = {
            (rec.client_type, rec.client_id): rec
            for rec in session.execute(
                select(ClientRecord).where(
                    ClientRecord.portal_id == portal_id,
                    tuple_(ClientRecord.client_type, ClientRecord.client_id).in_(keys),
                )
            ).scalars()
        }
        for row in chunk:
            record = known.get((row.client_type, row.client_id))
            if record is None:
                new += insert_ignore(session, ClientRecord.__table__, row.values(portal_id, now))
                continue
            for key, value in row.values(portal_id, now).items():
                setattr(record, key, value)
    session.flush()
    return new


def forget(session: Session, portal_id: int, client_type: str, ids: Iterable[int]) -> int:
    """Drop deleted clients from the mirror (their ledger stays: it is the record of money)."""
    gone = list(ids)
    removed = 0
    for start in range(0, len(gone), CHUNK):
        result = session.execute(
            delete(ClientRecord).where(
                ClientRecord.portal_id == portal_id,
                ClientRecord.client_type == client_type,
                ClientRecord.client_id.in_(gone[start : start + CHUNK]),
            )
        )
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed


def known_ids(session: Session, portal_id: int, client_type: str, synced_before: datetime) -> set[int]:
    """Mirrored ids last synced before a moment (a sweep leaves alone what arrived while it read)."""
    return set(
        session.execute(
            select(ClientRecord.client_id).where(
                ClientRecord.portal_id == portal_id,
                ClientRecord.client_type == client_type,
                ClientRecord.synced_at < synced_before,
            )
        ).scalars()
    )


def records(
    session: Session, portal_id: int, types: Sequence[str], batch: int = 1000
) -> Iterator[ClientRecord]:
    """Every mirrored client of these types, streamed by id (memory stays flat on big portals)."""
    last = 0
    while True:
        page = list(
            session.execute(
                select(ClientRecord)
                .where(
                    ClientRecord.portal_id == portal_id,
                    ClientRecord.client_type.in_(list(types)),
                    ClientRecord.id > last,
                )
                .order_by(ClientRecord.id)
                .limit(batch)
            ).scalars()
        )
        yield from page
        if len(page) < batch:
            return
        last = page[-1].id
        session.expunge_all()  # what was yielded is done with; keep the identity map small


def record_of(session: Session, portal_id: int, client_type: str, client_id: int) -> ClientRecord | None:
    return session.execute(
        select(ClientRecord).where(
            ClientRecord.portal_id == portal_id,
            ClientRecord.client_type == client_type,
            ClientRecord.client_id == client_id,
        )
    ).scalar_one_or_none()


def portal_offset(session: Session, portal_id: int, now: datetime) -> timezone:
    """The portal's UTC offset as last read (``server.time``); UTC until it was read once (reads only)."""
    value = session.execute(
        select(PortalCursor.value).where(PortalCursor.portal_id == portal_id, PortalCursor.name == CLOCK)
    ).scalar_one_or_none()
    return parse_offset(value or "+00:00")


def remember_offset(session: Session, portal_id: int, offset: str, now: datetime) -> None:
    row = schedule.cursor(session, portal_id, CLOCK, now, value="+00:00")
    row.value, row.updated_at = _text(parse_offset(offset)), now


def parse_offset(value: str) -> timezone:
    """``+03:00`` / ``-05:30`` / ``Z`` -> a fixed zone; anything else is UTC."""
    text = value.strip()
    if len(text) == 6 and text[0] in "+-" and text[3] == ":" and (text[1:3] + text[4:]).isdigit():
        sign = 1 if text[0] == "+" else -1
        minutes = int(text[1:3]) * 60 + int(text[4:])
        if minutes < 24 * 60:
            return timezone(sign * timedelta(minutes=minutes))
    return UTC


def _text(zone: timezone) -> str:
    offset = zone.utcoffset(None)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
