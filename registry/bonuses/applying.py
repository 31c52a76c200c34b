"""Kanban moves of a request's item, and applying an approved discount or free period to the deal.

A move is a decision only when a verified approver moves a pending request to approved or
cancelled; anything else (a non-approver, automation without a user, a decided request moved
again) is put back: the item returns to the stage of the request's status and its timeline says why.

Applying computes the product rows' new values from what the portal holds now, stores them with
``applied_at`` and owes their writes in one transaction: a request is applied once, and the writes
carry absolute values, so a repeated delivery changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from b24app import outbox
from registry.bonuses import discounts, requests_texts
from registry.bonuses.decisions import Decision, Outcome, decide, locked, mark_applied
from registry.bonuses.request_models import ApprovalRequest
from registry.bonuses.requests import DealFacts, applicable
from registry.program.approvals import ApprovalKind
from registry.program.document import Program

ROW = "request_row"


def move(
    session: Session,
    portal_id: int,
    program: Program,
    item: tuple[int, int],
    request_id: int,
    moved_to: str | None,
    user_id: int | None,
    now: datetime,
) -> Outcome | None:
    """A request's item was moved to ``moved_to`` (a status; None: a stage of no status) by ``user_id``.

    ``item`` is (entityTypeId, item id). None when the item is where it belongs (our own write).
    """
    request = locked(session, portal_id, request_id)
    if request is None or moved_to == request.status:
        return None
    if request.status == "pending" and moved_to in ("approved", "cancelled") and user_id is not None:
        decision = Decision(request.id, moved_to == "approved", f"user:{user_id}", user_id)
        outcome = decide(session, portal_id, program, decision, now)
        if outcome != Outcome.NOT_APPROVER:
            return outcome
    revert(session, request, item, now)
    return Outcome.NOT_APPROVER if request.status == "pending" else Outcome.FINAL


def revert(session: Session, request: ApprovalRequest, item: tuple[int, int], now: datetime) -> None:
    """The item back to its status's stage, and a note on its timeline."""
    stamp = now.strftime("%Y%m%d%H%M%S%f")
    outbox.add(
        session,
        portal_id=request.portal_id,
        kind="request_item",
        key=f"request_item:{request.id}:revert:{stamp}",
        payload={"request_id": request.id},
        now=now,
    )
    text = requests_texts.reverted(request.id, requests_texts.language_of(session, request.portal_id))
    outbox.add(
        session,
        portal_id=request.portal_id,
        kind="comment",
        key=f"request_note:{request.id}:{stamp}",
        payload={"entity_type": f"dynamic_{item[0]}", "entity_id": item[1], "text": text},
        now=now,
    )


def apply(
    session: Session, portal_id: int, program: Program, request_id: int, facts: DealFacts, now: datetime
) -> bool:
    """Apply an approved discount or free period once; False when there was nothing to do."""
    request = locked(session, portal_id, request_id)
    if request is None or request.status != "approved" or request.applied_at is not None:
        return False
    definition = program.definition(request.definition_code)
    rows = applicable(definition, facts.rows) if definition is not None else list(facts.rows)
    value = Decimal(request.amount)
    changes: dict[int, dict[str, Any]] = {}
    added: dict[str, Any] | None = None
    if request.kind == ApprovalKind.DISCOUNT_PERCENT:
        changes = discounts.percent_off(rows, value)
    elif request.kind == ApprovalKind.DISCOUNT_AMOUNT:
        changes = discounts.amount_off(rows, value)
    elif request.kind == ApprovalKind.FREE_PERIOD and rows:
        added = discounts.free_units(rows[0], value, f"#{request.id}")
    for row_id, fields in changes.items():
        _owe_row(session, request, str(row_id), {"row_id": row_id, "fields": fields}, now)
    if added is not None:
        _owe_row(session, request, "free", {"row_id": None, "deal_id": request.deal_id, "fields": added}, now)
    before = {str(r.id): {"price": str(r.price), "quantity": str(r.quantity)} for r in rows}
    application = {"rows": {str(k): v for k, v in changes.items()}, "added": added, "before": before}
    mark_applied(session, request, application, now)
    return True


def _owe_row(
    session: Session, request: ApprovalRequest, suffix: str, payload: dict[str, Any], now: datetime
) -> None:
    outbox.add(
        session,
        portal_id=request.portal_id,
        kind=ROW,
        key=f"{ROW}:{request.id}:{suffix}",
        payload={"request_id": request.id, **payload},
        now=now,
    )
