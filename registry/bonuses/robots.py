"""Robot deliveries (``bonus_writeoff``, ``bonus_accrue``) made into ledger entries or refusals, each
answered once through the outbox.

One delivery, one transaction of the caller's: the entry, its mirror, the answer and the inbox
row's status commit together, and the entry's business key (from the ``event_token``) makes a
replay write nothing new. The amount is plain decimal notation within bounds (else
``BAD_AMOUNT``). A delivery that keeps failing is answered ``INTERNAL_ERROR`` after
``GIVE_UP_ATTEMPTS`` so its workflow never waits for ever.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from b24app import inbox, outbox
from b24app.models import InboxEvent
from registry.bonuses import answers, mirror
from registry.bonuses.spending import Movement, Refused, accrue_manually, parse_amount, write_off
from registry.bonuses.texts import portal_language
from registry.ledger.models import LedgerEntry
from registry.ledger.posting import Owner, balance_of
from registry.ledger.views import entry_views
from registry.program.document import Program

log = logging.getLogger(__name__)
GIVE_UP_ATTEMPTS = 3
TEXT_LIMIT = 500  # what we keep of a comment or reason (the ledger's reason, the registry's REASON)
TEXT_PROPERTIES = frozenset({"comment", "reason"})
CALLER_TOKEN = "caller_token"  # the payload key the robot handler keeps the caller's token under
EXPIRED = "expired_token"  # the portal knows the caller's token, but it died before we asked


@dataclass(frozen=True)
class Resolved:
    """Whose bonuses a delivery moves, found from its document (and the deal the money is for)."""

    owner: Owner
    deal_id: int | None = None
    deal_amount: Decimal | None = None


def handle(
    session: Session,
    portal_id: int,
    program: Program,
    inbox_id: int,
    resolved: Resolved | Refused,
    now: datetime,
    *,
    actor: str,
) -> None:
    """One delivery: ledger entry or refusal, mirror, answer, inbox status."""
    row = session.get(InboxEvent, inbox_id)
    if row is None or row.status != "pending":
        return
    p = row.payload
    code = str(p.get("code"))
    language = portal_language(session, portal_id)
    owner = resolved.owner if isinstance(resolved, Resolved) else None
    try:
        if isinstance(resolved, Refused):
            raise resolved
        entries = _move(session, portal_id, program, code, _movement(p, resolved, actor), now)
        answer = answers.success(code, abs(entries[0].amount), entries[-1].balance_after, language)
        views = entry_views(session, [e.id for e in entries])
        notify = str((p.get("properties") or {}).get("notify") or "none")  # the robot's choice wins
        mirror.enqueue_entries(session, portal_id, views, language, now, notify=notify, program=program)
    except Refused as refused:
        balance = balance_of(session, portal_id, owner.type, owner.id) if owner else Decimal("0")
        answer = answers.refusal(code, refused.code, balance, language, **refused.details)
        log.info("workflow.refused", extra={"portal_id": portal_id, "code": code, "error_code": refused.code})
    owe_answer(session, portal_id, p, answer, now)
    row.status, row.processed_at, row.payload = "done", now, without_caller(p)


def _movement(payload: dict[str, Any], resolved: Resolved, actor: str) -> Movement:
    code = str(payload.get("code"))
    return Movement(
        owner=resolved.owner,
        amount=parse_amount((payload.get("properties") or {}).get("amount")),
        key=f"{code}:{token_hash(payload)}",
        actor=actor[:64],
        reason=_text(payload, "reason" if code == "bonus_accrue" else "comment"),
        deal_id=resolved.deal_id,
        deal_amount=resolved.deal_amount,
        source=f"robot:{token_hash(payload)}",
    )


def refuse_caller(session: Session, portal_id: int, inbox_id: int, code: str, now: datetime) -> None:
    """A call whose token the portal refused: nothing is written to the ledger.

    An expired token is one the portal issued, so the call was genuine but reached us too late:
    the workflow gets a refusal and can be started again. Any other refusal means the call did
    not come from the portal; it gets no answer, so nobody can use us to end a waiting workflow.
    """
    row = session.get(InboxEvent, inbox_id)
    if row is None or row.status != "pending":
        return
    if code == EXPIRED:
        language = portal_language(session, portal_id)
        refusal = answers.refusal(str(row.payload.get("code")), "CALLER_EXPIRED", Decimal("0"), language)
        owe_answer(session, portal_id, row.payload, refusal, now)
        row.status = "done"
    else:
        row.status, row.error = "skipped", f"caller not verified: {code}"[:500]
        log.warning(
            "workflow.caller_refused", extra={"portal_id": portal_id, "inbox_id": inbox_id, "code": code}
        )
    row.payload, row.processed_at = without_caller(row.payload), now


def failed(session: Session, portal_id: int, inbox_id: int, error: str, now: datetime) -> None:
    """A delivery that failed: it retries alone, and is answered ``INTERNAL_ERROR`` at last."""
    row = session.get_one(InboxEvent, inbox_id)
    inbox.retry_later(row, error, now)
    if row.attempts < GIVE_UP_ATTEMPTS:
        return
    row.status, row.payload = "failed", without_caller(row.payload)
    code = str(row.payload.get("code"))
    answer = answers.refusal(code, "INTERNAL_ERROR", Decimal("0"), portal_language(session, portal_id))
    owe_answer(session, portal_id, row.payload, answer, now)


def without_caller(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != CALLER_TOKEN}


def token_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(str(payload.get("event_token")).encode()).hexdigest()


def owe_answer(
    session: Session, portal_id: int, payload: dict[str, Any], answer: dict[str, Any], now: datetime
) -> None:
    outbox.add(
        session,
        portal_id=portal_id,
        kind="workflow_answer",
        key=f"answer:{token_hash(payload)}",
        payload={"event_token": payload.get("event_token"), "answer": answer},
        now=now,
    )


def _move(
    session: Session, portal_id: int, program: Program, code: str, m: Movement, now: datetime
) -> list[LedgerEntry]:
    if code == "bonus_accrue":
        return accrue_manually(session, portal_id, program, m, now)
    return [write_off(session, portal_id, program, m, now)]


def _text(payload: dict[str, Any], key: str) -> str | None:
    value = (payload.get("properties") or {}).get(key)
    return str(value).strip()[:TEXT_LIMIT] or None if value is not None else None
