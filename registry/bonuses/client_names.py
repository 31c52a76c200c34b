"""Client names for the main page: the portal's contact and company names the worker read by id,
kept only for the clients the dashboard shows (never logged: they are personal data).

A row with no name is a client the portal did not return (deleted, or not visible to the app): it
counts as read, so the page falls back to "Contact #N" without asking the portal again and again.
``read_at`` None marks a name the portal has changed since (a client event): it is read again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, select, tuple_, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from b24app.db import Base
from registry.bonuses.dashboard import Dashboard, Holder

FRESH_FOR = timedelta(days=1)  # names are read again daily: a lost client event is caught by then
NAME_LENGTH = 255
Owner = tuple[str, int]  # (contact | company, id)


class ClientName(Base):
    """The name of one contact or company as the portal last gave it (None: not returned)."""

    __tablename__ = "client_names"
    __table_args__ = (
        UniqueConstraint("portal_id", "owner_type", "owner_id"),
        CheckConstraint("owner_type IN ('contact','company')", name="owner_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    owner_type: Mapped[str] = mapped_column(String(8))
    owner_id: Mapped[int]
    name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    read_at: Mapped[datetime | None]


def shown(*lists: list[Holder]) -> list[Owner]:
    """The clients the main page names, in the order shown, each once."""
    owners = [(h.owner_type, h.owner_id) for holders in lists for h in holders]
    return list(dict.fromkeys(owners))


def _rows(session: Session, portal_id: int, owners: Iterable[Owner]) -> dict[Owner, ClientName]:
    wanted = list(owners)
    if not wanted:
        return {}
    rows = session.execute(
        select(ClientName).where(
            ClientName.portal_id == portal_id,
            tuple_(ClientName.owner_type, ClientName.owner_id).in_(wanted),
        )
    ).scalars()
    return {(r.owner_type, r.owner_id): r for r in rows}


def names_of(session: Session, portal_id: int, owners: Iterable[Owner]) -> dict[Owner, str]:
    """The known names of ``owners`` (a client without one is left out)."""
    return {key: row.name for key, row in _rows(session, portal_id, owners).items() if row.name}


def to_read(session: Session, portal_id: int, owners: Iterable[Owner], now: datetime) -> list[Owner]:
    """The owners without a name read in the last day (never read, changed since, or old)."""
    wanted = list(owners)
    rows = _rows(session, portal_id, wanted)
    return [o for o in wanted if o not in rows or _stale(rows[o], now)]


def unknown(session: Session, portal_id: int, owners: Iterable[Owner]) -> list[Owner]:
    """The owners never read: what makes the page ask the worker for a read (a changed name is
    shown as it was until the worker's own schedule reads it again)."""
    wanted = list(owners)
    rows = _rows(session, portal_id, wanted)
    return [o for o in wanted if o not in rows]


def _stale(row: ClientName, now: datetime) -> bool:
    return row.read_at is None or row.read_at <= now - FRESH_FOR


def store(
    session: Session, portal_id: int, asked: Iterable[Owner], found: Mapping[Owner, str], now: datetime
) -> None:
    """The names read for ``asked``; an owner the portal did not return is kept with no name."""
    wanted = list(asked)
    rows = _rows(session, portal_id, wanted)
    for owner in wanted:
        name = (found.get(owner) or "")[:NAME_LENGTH] or None
        row = rows.get(owner)
        if row is None:
            row = ClientName(portal_id=portal_id, owner_type=owner[0], owner_id=owner[1])
            session.add(row)
        row.name, row.read_at = name, now
    session.flush()


def refresh(session: Session, portal_id: int, names: Mapping[Owner, str | None], now: datetime) -> None:
    """Names the client mirror has just read (None: the client is gone); only the clients already
    in the table are touched, so the table never holds more than the page has shown."""
    for owner, row in _rows(session, portal_id, names).items():
        row.name, row.read_at = (names[owner] or "")[:NAME_LENGTH] or None, now


def mark_changed(session: Session, portal_id: int, owners: Iterable[Owner]) -> int:
    """Names the portal has changed since they were read (client events): read again when shown."""
    wanted = list(owners)
    if not wanted:
        return 0
    result = session.execute(
        update(ClientName)
        .where(
            ClientName.portal_id == portal_id,
            ClientName.read_at.is_not(None),
            tuple_(ClientName.owner_type, ClientName.owner_id).in_(wanted),
        )
        .values(read_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def named(board: Dashboard, names: Mapping[Owner, str]) -> Dashboard:
    """The board with each holder's name where it is known."""

    def one(h: Holder) -> Holder:
        return replace(h, name=names.get((h.owner_type, h.owner_id)))

    return replace(board, largest=[one(h) for h in board.largest], expiring=[one(h) for h in board.expiring])
