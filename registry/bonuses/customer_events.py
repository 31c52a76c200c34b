"""Customer events posted through the API become ``customer_event`` entries: the client's points
(within the event's ``per_client_max``) and, for a referral, the referred client's points (once
per referred client). Same posting path and mirror as every movement; idempotent by key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.bonuses import mirror
from registry.bonuses.api_keys import Caller
from registry.bonuses.api_spend import Answer, refusal
from registry.bonuses.idempotency import once
from registry.bonuses.spending import Refused
from registry.bonuses.texts import portal_language
from registry.ledger import posting
from registry.ledger.kinds import EntryKind
from registry.ledger.models import LedgerEntry
from registry.ledger.posting import NewLot, Owner, balance_of, lock_account
from registry.ledger.views import entry_views
from registry.program.document import Program, current_program
from registry.program.events import CustomerEvent


@dataclass(frozen=True)
class EventRequest:
    owner: Owner
    event: str
    idempotency_key: str
    fingerprint: str
    referred: Owner | None = None
    reference: str | None = None


def award(session: Session, caller: Caller, r: EventRequest, now: datetime) -> Answer:
    """Award the event, or refuse (UNKNOWN_EVENT, LIMIT_REACHED, BLOCKED); a repeat gets the first answer."""
    work = partial(_awarded_or_refused, session, caller, r, now)
    return once(session, caller.portal_id, "events", r.idempotency_key, r.fingerprint, now, work)


def _awarded_or_refused(session: Session, caller: Caller, r: EventRequest, now: datetime) -> Answer:
    program = current_program(session, caller.portal_id)
    try:
        return _award(session, caller, program, r, now)
    except Refused as refused:
        return refusal(refused, balance_of(session, caller.portal_id, r.owner.type, r.owner.id))


def _award(session: Session, caller: Caller, program: Program, r: EventRequest, now: datetime) -> Answer:
    event = next((e for e in program.events if e.code == r.event), None)
    if event is None:
        raise Refused("UNKNOWN_EVENT", event=r.event[:64])
    if r.referred == r.owner:
        raise Refused("SAME_CLIENT")
    source = f"event:{event.code}"
    entries: list[LedgerEntry] = []
    if event.points > 0:
        _check(session, caller.portal_id, r.owner, source, event.per_client_max, now)
    if r.referred is not None and event.referred_points > 0:
        _check(session, caller.portal_id, r.referred, f"{source}:referred", 1, now)
        entries += _post(session, caller, program, event, r.referred, r, f"{source}:referred", now)
    if event.points > 0:
        entries = _post(session, caller, program, event, r.owner, r, source, now) + entries
    views = entry_views(session, [e.id for e in entries])
    mirror.enqueue_entries(
        session, caller.portal_id, views, portal_language(session, caller.portal_id), now, program=program
    )
    return 200, _answer(session, caller.portal_id, r, entries)


def _check(
    session: Session, portal_id: int, owner: Owner, source: str, cap: int | None, now: datetime
) -> None:
    """Under the owner's lock: not blocked, and fewer than ``cap`` awards of this event so far."""
    account = lock_account(session, portal_id, owner, now)
    if account.blocked:
        raise Refused("BLOCKED")
    if cap is None:
        return
    done = session.execute(
        select(func.count()).where(
            LedgerEntry.account_id == account.id,
            LedgerEntry.kind == EntryKind.CUSTOMER_EVENT,
            LedgerEntry.source == source[:64],
        )
    ).scalar_one()
    if done >= cap:
        raise Refused("LIMIT_REACHED", limit=cap)


def _post(
    session: Session,
    caller: Caller,
    program: Program,
    event: CustomerEvent,
    owner: Owner,
    r: EventRequest,
    source: str,
    now: datetime,
) -> list[LedgerEntry]:
    referred = source.endswith(":referred")
    movement = posting.Movement(
        EntryKind.CUSTOMER_EVENT,
        owner,
        event.referred_points if referred else event.points,
        f"api:event:{r.idempotency_key}" + (":referred" if referred else ""),
        f"api:{caller.name}",
        source,
        NewLot(program.lifetime_days),
        reason=r.reference or event.name,
        snapshot={"kind": "manual", "event": event.code, "lifetime_days": program.lifetime_days},
    )
    return posting.post(session, caller.portal_id, movement, now).entries


def _answer(session: Session, portal_id: int, r: EventRequest, entries: list[LedgerEntry]) -> dict[str, Any]:
    def moved(owner: Owner) -> dict[str, Any] | None:
        mine = [
            e
            for e in entries
            if e.amount > 0 and e.business_key.endswith(":referred") == (owner == r.referred)
        ]
        if not mine:
            return None
        return {
            "entry_id": mine[0].id,
            "accrued": str(mine[0].amount),
            "balance": str(balance_of(session, portal_id, owner.type, owner.id)),
        }

    own = moved(r.owner)
    balance = str(balance_of(session, portal_id, r.owner.type, r.owner.id))
    body: dict[str, Any] = {
        "ok": True,
        "balance": balance,
        "accrued": own["accrued"] if own else "0.00",
        "entry_id": own["entry_id"] if own else None,
    }
    if r.referred is not None:
        body["referred"] = moved(r.referred)
    return body
