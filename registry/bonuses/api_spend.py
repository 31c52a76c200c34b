"""Spending through the public API: the write-off robot's checks and codes (registry.bonuses.spending),
the same posting path and mirror, answered once per idempotency key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from registry.bonuses import answers, mirror
from registry.bonuses.api_keys import Caller
from registry.bonuses.idempotency import once
from registry.bonuses.spending import Movement, Refused, parse_amount, write_off
from registry.bonuses.texts import portal_language
from registry.ledger.posting import Owner, balance_of
from registry.ledger.views import entry_views
from registry.program.document import current_program

API_LANGUAGE = "en"  # API messages are for developers; the portal's texts stay in its language
Answer = tuple[int, dict[str, Any]]


@dataclass(frozen=True)
class SpendRequest:
    owner: Owner
    amount: Any  # as sent: parsed like the robot's property (BAD_AMOUNT when it is no amount)
    reference: str | None
    idempotency_key: str
    fingerprint: str


def refusal(refused: Refused, balance: Decimal) -> Answer:
    text = answers.message(refused.code, API_LANGUAGE, **refused.details)
    details = {k: str(v) for k, v in refused.details.items()}
    body = {"ok": False, "error_code": refused.code, "error_message": text, "balance": str(balance)}
    body.update(details)
    return 422, body


def spend(session: Session, caller: Caller, r: SpendRequest, now: datetime) -> Answer:
    """Write off, or refuse with the robot's code; a repeat gets the first answer."""
    work = partial(_spend, session, caller, r, now)
    return once(session, caller.portal_id, "spend", r.idempotency_key, r.fingerprint, now, work)


def _spend(session: Session, caller: Caller, r: SpendRequest, now: datetime) -> Answer:
    portal_id = caller.portal_id
    program = current_program(session, portal_id)
    try:
        movement = Movement(
            owner=r.owner,
            amount=parse_amount(r.amount),
            key=f"api:spend:{r.idempotency_key}",
            actor=f"api:{caller.name}",
            reason=r.reference,
            source=f"api:{caller.name}",
        )
        entry = write_off(session, portal_id, program, movement, now)
    except Refused as refused:
        answer = refusal(refused, balance_of(session, portal_id, r.owner.type, r.owner.id))
    else:
        language = portal_language(session, portal_id)
        views = entry_views(session, [entry.id])
        mirror.enqueue_entries(session, portal_id, views, language, now, program=program)
        answer = (
            200,
            {
                "ok": True,
                "entry_id": entry.id,
                "written_off": str(-entry.amount),
                "balance": str(entry.balance_after),
            },
        )
    return answer
