"""Deciding a request (approve or cancel) and applying an approved one — each exactly once.

A request is locked before it is read, so two decisions on it run one after the other and the
second finds it decided: only a pending request changes, and a decision is final. Approving locks
the client's account first, so two approvals for one client run one after the other and the
second sees the first when the caps are checked again. Bonus points are posted to the ledger in the
decision's transaction (business key ``request:{id}``); discounts and free units are applied by the
lane, which stores the rows' new values with ``applied_at`` in one transaction and owes the writes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app import outbox
from registry.bonuses import answers, mirror
from registry.bonuses.request_models import ApprovalRequest
from registry.bonuses.requests import cap_refusal
from registry.bonuses.robots import owe_answer
from registry.bonuses.texts import portal_language
from registry.ledger import posting
from registry.ledger.kinds import EntryKind
from registry.ledger.posting import NewLot, Owner, lock_account
from registry.ledger.views import entry_views
from registry.program.approvals import ApprovalKind
from registry.program.document import Program

log = logging.getLogger(__name__)
SYSTEM = "system"
SUPPORT = "support"


class Outcome(StrEnum):
    APPROVED = "approved"
    CANCELLED = "cancelled"
    FINAL = "final"  # it was decided before: nothing changes
    NOT_APPROVER = "not_approver"
    NOT_FOUND = "not_found"
    CAP = "cap"  # approving it would pass a cap: it is cancelled instead


@dataclass(frozen=True)
class Decision:
    request_id: int
    approve: bool
    actor: str  # user:{id} | support | system
    user_id: int | None = None  # None: support or the system, who need not be approvers
    reason: str | None = None


def locked(session: Session, portal_id: int, request_id: int) -> ApprovalRequest | None:
    return session.execute(
        select(ApprovalRequest)
        .where(ApprovalRequest.portal_id == portal_id, ApprovalRequest.id == request_id)
        .with_for_update()
    ).scalar_one_or_none()


def decide(session: Session, portal_id: int, program: Program, d: Decision, now: datetime) -> Outcome:
    """Approve or cancel a pending request (the caller's transaction); the outcome says what happened."""
    request = locked(session, portal_id, d.request_id)
    if request is None:
        return Outcome.NOT_FOUND
    if request.status != "pending":
        return Outcome.FINAL
    if d.user_id is not None and d.user_id not in request.approvers:
        return Outcome.NOT_APPROVER
    if not d.approve:
        cancel(session, request, d.actor, d.reason, now)
        return Outcome.CANCELLED
    owner = Owner(request.owner_type, request.owner_id)
    lock_account(session, portal_id, owner, now)  # approvals for one client queue here
    session.refresh(request)
    definition = program.definition(request.definition_code)
    if definition is not None:
        cap = cap_refusal(
            session, portal_id, definition, owner, request.amount, request.provided_at, request.id
        )
        if cap is not None:
            cancel(session, request, SYSTEM, cap, now, code=cap)
            return Outcome.CAP
    request.decision_reason = (d.reason or "").strip()[:500] or None
    approve(session, program, request, d.actor, now)
    return Outcome.APPROVED


def approve(session: Session, program: Program, request: ApprovalRequest, actor: str, now: datetime) -> None:
    request.status, request.approved_by, request.approved_at = "approved", actor[:64], now
    owe_stage(session, request, now)
    if request.kind == ApprovalKind.BONUS_POINTS:
        _accrue(session, program, request, now)
        mark_applied(session, request, {}, now)


def cancel(
    session: Session,
    request: ApprovalRequest,
    actor: str,
    reason: str | None,
    now: datetime,
    *,
    code: str = "CANCELLED",
) -> None:
    request.status, request.cancelled_by, request.cancelled_at = "cancelled", actor[:64], now
    request.decision_reason = (reason or "").strip()[:500] or None
    owe_stage(session, request, now)
    language = portal_language(session, request.portal_id)
    _answer(session, request, answers.request_refused(request.id, code, language), now)


def mark_applied(
    session: Session, request: ApprovalRequest, application: dict[str, Any], now: datetime
) -> None:
    """Applied: what was done is kept with the request, and the robot's workflow gets its answer."""
    request.applied_at, request.application = now, application
    language = portal_language(session, request.portal_id)
    _answer(session, request, answers.request_approved(request.id, language), now)


def owe_stage(session: Session, request: ApprovalRequest, now: datetime) -> None:
    outbox.add(
        session,
        portal_id=request.portal_id,
        kind="request_item",  # registry/messages/approvals.py: created, or moved to this status's stage
        key=f"request_item:{request.id}:{request.status}",
        payload={"request_id": request.id},
        now=now,
    )


def _accrue(session: Session, program: Program, request: ApprovalRequest, now: datetime) -> None:
    movement = posting.Movement(
        EntryKind.REQUEST_ACCRUAL,
        Owner(request.owner_type, request.owner_id),
        Decimal(request.amount),
        f"request:{request.id}",
        str(request.approved_by),
        f"request:{request.id}",
        NewLot(program.lifetime_days),
        reason=request.reason,
        deal_id=request.deal_id,
        snapshot={"kind": "request", "definition": request.definition_code, "request_id": request.id},
    )
    entries = posting.post(session, request.portal_id, movement, now).entries
    request.entry_id = entries[0].id
    views = entry_views(session, [e.id for e in entries])
    mirror.enqueue_entries(
        session, request.portal_id, views, portal_language(session, request.portal_id), now, program=program
    )


def _answer(session: Session, request: ApprovalRequest, answer: dict[str, Any], now: datetime) -> None:
    if request.answer_to:
        owe_answer(session, request.portal_id, {"event_token": request.answer_to}, answer, now)
