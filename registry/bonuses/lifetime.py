"""Bonus lifetime in chunks (the lane's lifetime step runs them on a schedule): held accruals
become active, lots expire, and clients are reminded once before their bonuses expire.

Each chunk is one transaction of the caller's and only owes portal writes to the outbox, so
thousands of owners expiring on one night share batches of 50 commands. Every change is keyed
(``expiry:lot:{id}``, ``remind:lot:{id}``) and marked on the lot, so a rerun — after a crash or
on the next day — does nothing twice. Each lot is handled in a savepoint: one that fails
keeps its error (the status shows it) and is left alone for ``LOT_RETRY``; the chunk goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from b24app import outbox, schedule
from b24app.models import PortalCursor
from registry.bonuses import mirror, notices, texts
from registry.bonuses.mirror import shown_balance
from registry.ledger.kinds import EntryKind
from registry.ledger.models import Account, Lot
from registry.ledger.posting import ZERO, FromLot, Movement, Owner, post
from registry.ledger.views import entry_views
from registry.program.document import Program, current_program

log = logging.getLogger(__name__)
CURSOR = "lifetime"
INTERVAL = timedelta(hours=1)
CHUNK = 200  # lots per transaction: about a second of work, then other writers get a turn
LOT_RETRY = timedelta(hours=1)  # a lot the pass could not handle is tried again on a later pass


def request_lifetime_pass(session: Session, portal_id: int, now: datetime) -> None:
    """Make the next lane run do the lifetime pass at once (console, tests)."""
    pass_schedule(session, portal_id, now).next_run_at = now


def activate_chunk(session: Session, portal_id: int, now: datetime, program: Program | None = None) -> int:
    """Held lots whose hold is over become spendable; their items move to "active"."""
    program = program or current_program(session, portal_id)
    lots = _lots(
        session, now, Lot.portal_id == portal_id, Lot.activated_at.is_(None), Lot.activates_at <= now
    )
    language = texts.portal_language(session, portal_id)

    def activate(lot: Lot) -> None:
        lot.activated_at = now
        mirror.owe_stage(session, portal_id, lot.entry_id, now)
        account = _owe_balance(session, portal_id, lot.account_id, now)
        balance = shown_balance(session, portal_id, *_owner(account))
        _tell(
            session,
            portal_id,
            program,
            "accrued",
            f"entry:{lot.entry_id}",
            account,
            lot,
            balance,
            language,
            now,
        )

    _each(session, lots, now, activate)
    return len(lots)


def expire_chunk(session: Session, portal_id: int, now: datetime, program: Program | None = None) -> int:
    """Lots past their expiry lose what is left: an expiry entry each, drawn from that lot."""
    lots = _lots(
        session,
        now,
        Lot.portal_id == portal_id,
        Lot.expires_at.is_not(None),
        Lot.expires_at <= now,
        Lot.remaining > ZERO,
    )
    program = program or current_program(session, portal_id)
    language = texts.portal_language(session, portal_id)

    def expire(lot: Lot) -> None:
        account = session.get_one(Account, lot.account_id)
        movement = Movement(
            EntryKind.EXPIRY,
            Owner(account.owner_type, account.owner_id),
            -lot.remaining,
            # One expiry per lot and expiry date: a lot re-opened by a later adjustment gets a new date.
            f"expiry:lot:{lot.id}:{lot.expires_at:%Y%m%dT%H%M%S}",
            "system",
            f"lot:{lot.id}",
            FromLot(lot.id),
        )
        entry = post(session, portal_id, movement, now).entry
        lot.expired_at = now
        mirror.owe_stage(session, portal_id, lot.entry_id, now)
        if entry is not None:
            views = entry_views(session, [entry.id])
            mirror.enqueue_entries(session, portal_id, views, language, now, program=program)

    _each(session, lots, now, expire)
    if lots:
        log.info("lifetime.expired", extra={"portal_id": portal_id, "lots": len(lots)})
    return len(lots)


def remind_chunk(session: Session, portal_id: int, now: datetime, program: Program | None = None) -> int:
    """One reminder per lot, ``remind_days`` before it expires, as a comment on the owner."""
    program = program or current_program(session, portal_id)
    if program.remind_days <= 0:
        return 0
    horizon = now + timedelta(days=program.remind_days)
    lots = _lots(
        session,
        now,
        Lot.portal_id == portal_id,
        Lot.reminded_at.is_(None),
        Lot.activated_at.is_not(None),
        Lot.remaining > ZERO,
        Lot.expires_at.is_not(None),
        Lot.expires_at > now,
        Lot.expires_at <= horizon,
    )
    language = texts.portal_language(session, portal_id)

    def remind(lot: Lot) -> None:
        lot.reminded_at = now
        account = session.get_one(Account, lot.account_id)
        assert lot.expires_at is not None  # selected so
        body = texts.reminder(lot.remaining, lot.expires_at, language)
        outbox.add(
            session,
            portal_id=portal_id,
            kind="comment",
            key=f"remind:lot:{lot.id}",
            payload={"entity_type": account.owner_type, "entity_id": account.owner_id, "text": body},
            now=now,
        )
        _tell(session, portal_id, program, "expiring", f"lot:{lot.id}", account, lot, None, language, now)

    _each(session, lots, now, remind)
    return len(lots)


def _each(session: Session, lots: list[Lot], now: datetime, handle: Callable[[Lot], None]) -> None:
    """Each lot in its own savepoint: one that fails is rolled back, marked and left for a while;
    the others of the chunk commit."""
    for lot in lots:
        lot_id, portal_id = lot.id, lot.portal_id
        try:
            with session.begin_nested():
                handle(lot)
                if lot.error is not None:  # it failed before and works now
                    lot.error, lot.retry_at = None, None
        except Exception as exc:  # noqa: BLE001 - one lot must not stop the pass
            log.warning("lifetime.lot_failed", extra={"portal_id": portal_id, "lot": lot_id}, exc_info=True)
            session.execute(
                update(Lot)
                .where(Lot.id == lot_id)
                .values(error=f"{type(exc).__name__}: {exc}"[:1000], retry_at=now + LOT_RETRY)
                .execution_options(synchronize_session=False)
            )


def _tell(
    session: Session,
    portal_id: int,
    program: Program,
    event: str,
    subject: str,
    account: Account,
    lot: Lot,
    balance: Decimal | None,
    language: str,
    now: datetime,
) -> None:
    """Owe the client the notification about what is left in ``lot``."""
    values = notices.values_for(lot.remaining, balance, lot.expires_at, language)
    notices.plan(
        session,
        portal_id,
        program,
        event=event,
        subject=subject,
        owner=_owner(account),
        values=values,
        language=language,
        now=now,
    )


def _lots(session: Session, now: datetime, *where: object) -> list[Lot]:
    """Up to a chunk of lots, leaving out those that failed lately."""
    query = select(Lot).where(*where, or_(Lot.retry_at.is_(None), Lot.retry_at <= now))  # type: ignore[arg-type]
    return list(session.execute(query.order_by(Lot.id).limit(CHUNK)).scalars())


def _owe_balance(session: Session, portal_id: int, account_id: int, now: datetime) -> Account:
    account = session.get_one(Account, account_id)
    mirror.owe_balance(session, portal_id, account.owner_type, account.owner_id, now)
    return account


def _owner(account: Account) -> tuple[str, int]:
    return account.owner_type, account.owner_id


def pass_schedule(session: Session, portal_id: int, now: datetime) -> PortalCursor:
    return schedule.cursor(session, portal_id, CURSOR, now)


def pass_due(session: Session, portal_id: int, now: datetime) -> bool:
    return schedule.due(session, portal_id, pass_schedule(session, portal_id, now), now)
