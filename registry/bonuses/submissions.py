"""A request arrives (the ``bonus_request`` robot, an automatic definition on a deal): refused with
its code, or recorded, mirrored, its approvers notified — and approved at once when automatic.

A replay of the same delivery (same business key) finds the request and changes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from b24app import inbox, outbox
from registry.bonuses import answers
from registry.bonuses.decisions import SYSTEM, approve, owe_stage
from registry.bonuses.request_models import ApprovalRequest
from registry.bonuses.requests import Ask, DealFacts, check, existing_request, record
from registry.bonuses.robots import owe_answer
from registry.bonuses.spending import Refused
from registry.bonuses.texts import portal_language
from registry.program.document import Program

log = logging.getLogger(__name__)
NOTICE = "approver_notice"


def submit(
    session: Session,
    portal_id: int,
    program: Program,
    ask: Ask,
    facts: DealFacts,
    approvers: list[int],
    now: datetime,
    *,
    auto: bool = False,
) -> ApprovalRequest | None:
    """The request made from ``ask`` (None when refused: the workflow has its answer).

    ``auto``: an ``auto_apply`` definition fitting a deal — approved at once by the system.
    """
    found = existing_request(session, portal_id, ask.source_key)
    if found is not None:
        return found
    try:
        definition, value, owner = check(session, portal_id, program, ask, facts, now)
    except Refused as refused:
        refuse(session, portal_id, ask.answer_to, refused, now)
        return None
    request = record(session, portal_id, definition, value, owner, ask, facts.deal_id, approvers, now)
    owe_stage(session, request, now)  # the item is created in the stage of its status
    if definition.manual and not auto:
        for user_id in request.approvers:
            payload = {"request_id": request.id, "user_id": user_id}
            key = f"{NOTICE}:{request.id}:{user_id}"
            outbox.add(session, portal_id=portal_id, kind=NOTICE, key=key, payload=payload, now=now)
    else:
        approve(session, program, request, SYSTEM, now)
    log.info(
        "approvals.requested",
        extra={"portal_id": portal_id, "request_id": request.id, "mode": request.mode},
    )
    return request


def refuse(session: Session, portal_id: int, answer_to: str | None, refused: Refused, now: datetime) -> None:
    log.info("approvals.refused", extra={"portal_id": portal_id, "error_code": refused.code})
    if not answer_to:
        return
    language = portal_language(session, portal_id)
    details: dict[str, Any] = dict(refused.details)
    answer = answers.request_refused(None, refused.code, language, **details)
    owe_answer(session, portal_id, {"event_token": answer_to}, answer, now)


def note_deal(session: Session, portal_id: int, program: Program, deal_id: int, now: datetime) -> None:
    """A deal was read: if an ``auto_apply`` definition is valid now, the approvals step looks at it."""
    if not any(d.auto_apply and d.valid_on(now.date()) for d in program.approvals):
        return
    inbox.record(
        session,
        portal_id=portal_id,
        kind="auto_deal",
        event="deal",
        subject_id=deal_id,
        payload={"deal_id": deal_id},
        received_at=now,
    )
