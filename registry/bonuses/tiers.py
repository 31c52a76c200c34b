"""Client levels (the program's ``tiers``): what each won deal adds to its client's won total, and
``recalculate``, the one place a client's level is derived and stored.

A deal's sync keeps its ``ClientWin`` row (won: its amount; not won or deleted: no row) and
recalculates the clients it touched; a daily pass recalculates those whose deals left the 12-month
window. A change of level owes, in the same transaction, the client's notification (event
``level_changed``), a timeline comment on the client, a ``level_changed`` webhook and, when the
program names one, the client's level field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from b24app import outbox
from b24app.db import insert_ignore
from b24app.i18n import N_, lang, percent, t
from registry.bonuses import notices, webhooks
from registry.bonuses.clients import portal_offset
from registry.bonuses.segments import local_day, yearly
from registry.bonuses.texts import portal_language
from registry.bonuses.tier_models import ClientLevel, ClientWin
from registry.ledger.posting import Owner
from registry.program.document import Program
from registry.program.tiers import Level, Tiers

ZERO = Decimal("0.00")
EVENT = "level_changed"  # the notification event and the webhook event
FIELD_KIND = "level_field"  # the outbox kind writing the client's level field
COMMENT = N_("Client level: {previous} → {level}.")
NO_LEVEL = N_("no level")


# Built once with bound parameters (every won deal): building it per call cost more than running it.
_WIN = select(ClientWin).where(
    ClientWin.portal_id == bindparam("portal_id"), ClientWin.deal_id == bindparam("deal_id")
)


def track(
    session: Session,
    portal_id: int,
    program: Program,
    deal_id: int,
    owner: Owner | None,
    amount: Decimal,
    now: datetime,
    *,
    fresh: bool = False,
) -> None:
    """Keep the deal's win row (``owner`` None: the deal is not won) and recalculate whom it moved.

    ``fresh``: the deal was never synced before, so its row is most likely missing: it is inserted
    first and read only if one was there after all (one statement instead of two per new deal).
    """
    won = max(amount, ZERO)
    if fresh and owner is not None and _add_win(session, portal_id, deal_id, owner, won, now):
        recalculate(session, portal_id, program, owner, now)
        return
    row = session.execute(_WIN, {"portal_id": portal_id, "deal_id": deal_id}).scalar_one_or_none()
    touched: list[Owner] = []
    if row is not None and (owner is None or (row.owner_type, row.owner_id) != (owner.type, owner.id)):
        touched.append(Owner(row.owner_type, row.owner_id))
        session.delete(row)
        session.flush()
        row = None
    if owner is not None and row is None:
        _add_win(session, portal_id, deal_id, owner, won, now)
        touched.append(owner)
    elif owner is not None and row is not None and row.amount != won:
        row.amount = won
        touched.append(owner)
    for client in touched:
        recalculate(session, portal_id, program, client, now)


def _add_win(
    session: Session, portal_id: int, deal_id: int, owner: Owner, won: Decimal, now: datetime
) -> bool:
    """The deal's win row, unless it has one already; True when it went in."""
    values = {
        "portal_id": portal_id,
        "deal_id": deal_id,
        "owner_type": owner.type,
        "owner_id": owner.id,
        "amount": won,
        "won_at": now,
    }
    return insert_ignore(session, ClientWin.__table__, values)


def window_start(session: Session, portal_id: int, now: datetime) -> datetime:
    """The first moment of the 12-month window: deals won on the day 12 months ago have left it."""
    zone = portal_offset(session, portal_id, now)
    return _window_on(local_day(now, zone), zone)


def _window_on(day: date, zone: tzinfo) -> datetime:
    start = yearly(day, day.year - 1) + timedelta(days=1)
    return datetime.combine(start, time(), zone)


def owners_to_check(
    session: Session, portal_id: int, tiers: Tiers, since: date | None, now: datetime
) -> list[Owner]:
    """Whose level the day may have moved: with ``since`` (the last run's portal-day), the clients
    with deals that left the 12-month window since then; without, every client with a won deal or
    a level (the tiers are new or changed)."""
    if since is None:
        wins = select(ClientWin.owner_type, ClientWin.owner_id).where(ClientWin.portal_id == portal_id)
        levels = select(ClientLevel.owner_type, ClientLevel.owner_id).where(
            ClientLevel.portal_id == portal_id
        )
        rows = session.execute(wins.union(levels)).all()
    elif not tiers.rolling:
        return []
    else:
        zone = portal_offset(session, portal_id, now)
        rows = session.execute(
            select(ClientWin.owner_type, ClientWin.owner_id)
            .where(
                ClientWin.portal_id == portal_id,
                ClientWin.won_at >= _window_on(since, zone),
                ClientWin.won_at < _window_on(local_day(now, zone), zone),
            )
            .distinct()
        ).all()
    return [Owner(str(kind), int(number)) for kind, number in sorted(rows)]


@dataclass(frozen=True)
class Round:
    """What a recalculation reads once for any number of clients: the language, the window's start."""

    language: str
    window: datetime


def round_for(session: Session, portal_id: int, now: datetime) -> Round:
    return Round(portal_language(session, portal_id), window_start(session, portal_id, now))


def won_total(session: Session, portal_id: int, owner: Owner, tiers: Tiers, window: datetime) -> Decimal:
    """The client's won total: every deal won now, or (12-month basis) those won since ``window``."""
    query = select(func.coalesce(func.sum(ClientWin.amount), 0)).where(
        ClientWin.portal_id == portal_id, ClientWin.owner_type == owner.type, ClientWin.owner_id == owner.id
    )
    if tiers.rolling:
        query = query.where(ClientWin.won_at >= window)
    return Decimal(session.execute(query).scalar_one()).quantize(Decimal("0.01"))


def _level_row(session: Session, portal_id: int, owner: Owner, tiers: Tiers, now: datetime) -> ClientLevel:
    """The client's row, made on first use at the entry level (a level from 0 is no change to tell)."""
    query = (
        select(ClientLevel)
        .where(
            ClientLevel.portal_id == portal_id,
            ClientLevel.owner_type == owner.type,
            ClientLevel.owner_id == owner.id,
        )
        .with_for_update()
    )
    row = session.execute(query).scalar_one_or_none()
    if row is not None:
        return row
    entry = tiers.levels[0].code if tiers.levels[0].start == ZERO else None
    made = {"level_code": entry, "won_total": ZERO, "changes": 0, "updated_at": now}
    key = {"portal_id": portal_id, "owner_type": owner.type, "owner_id": owner.id}
    insert_ignore(session, ClientLevel.__table__, {**key, **made})
    return session.execute(query).scalar_one()


def recalculate(
    session: Session,
    portal_id: int,
    program: Program,
    owner: Owner,
    now: datetime,
    shared: Round | None = None,
) -> Level | None:
    """Derive and store the client's level from their won total; a change owes what tells of it
    (``shared``: read here unless a pass over many clients read it once)."""
    tiers = program.tiers
    if tiers is None:
        return None
    shared = shared or round_for(session, portal_id, now)
    total = won_total(session, portal_id, owner, tiers, shared.window)
    level = tiers.level_for(total)
    row = _level_row(session, portal_id, owner, tiers, now)
    row.won_total, row.updated_at = total, now
    code = level.code if level else None
    if row.level_code != code:
        previous = row.level_code
        row.level_code, row.changes = code, row.changes + 1
        change = (tiers.level(previous), level)
        _announce(session, portal_id, program, owner, change, (row.changes, shared.language), now)
    return level


def _announce(
    session: Session,
    portal_id: int,
    program: Program,
    owner: Owner,
    levels: tuple[Level | None, Level | None],
    told: tuple[int, str],
    now: datetime,
) -> None:
    """The client's message, the timeline comment, the webhooks and the level field of one change
    (``told``: the change's number and the language)."""
    (previous, level), (number, language) = levels, told
    values = {
        "level": level.name if level else "",
        "percent": percent(level.percent, language) if level else "",
        "previous": previous.name if previous else "",
    }
    subject = f"level:{owner.type}:{owner.id}:{number}"
    notices.plan(
        session,
        portal_id,
        program,
        event=EVENT,
        subject=subject,
        owner=(owner.type, owner.id),
        values=values,
        language=language,
        now=now,
    )
    _comment(session, portal_id, owner, (previous, level), (subject, language), now)
    codes = (previous.code if previous else None, level.code if level else None)
    webhooks.owe_level_change(session, portal_id, (owner.type, owner.id), codes, number, now)
    if program.tiers is not None and program.tiers.field:
        _level_field(session, portal_id, owner, (program.tiers.field, level), number, now)


def _level_field(
    session: Session,
    portal_id: int,
    owner: Owner,
    written: tuple[str, Level | None],
    number: int,
    now: datetime,
) -> None:
    """The level's name owed to the client's UF field (``written``: the field and the new level)."""
    field, level = written
    outbox.add(
        session,
        portal_id=portal_id,
        kind=FIELD_KIND,
        key=f"level:{owner.type}:{owner.id}:{number}",
        payload={"owner": f"{owner.type}:{owner.id}", "field": field, "value": level.name if level else ""},
        now=now,
    )


def _comment(
    session: Session,
    portal_id: int,
    owner: Owner,
    levels: tuple[Level | None, Level | None],
    told: tuple[str, str],
    now: datetime,
) -> None:
    """The timeline comment on the client of one change (``told``: its subject and the language)."""
    (previous, level), (subject, language) = levels, told
    text = t(lang(language), COMMENT).format(previous=_name(previous, language), level=_name(level, language))
    outbox.add(
        session,
        portal_id=portal_id,
        kind="comment",
        key=f"comment:{subject}",
        now=now,
        payload={"entity_type": owner.type, "entity_id": owner.id, "text": text},
    )


def _name(level: Level | None, language: str) -> str:
    return level.name if level else t(lang(language), NO_LEVEL)


def stored_level(session: Session, portal_id: int, program: Program, owner: Owner) -> Level | None:
    """The client's level as last derived, if the program still has it (reads only)."""
    if program.tiers is None:
        return None
    code = session.execute(
        select(ClientLevel.level_code).where(
            ClientLevel.portal_id == portal_id,
            ClientLevel.owner_type == owner.type,
            ClientLevel.owner_id == owner.id,
        )
    ).scalar_one_or_none()
    return program.tiers.level(code)
