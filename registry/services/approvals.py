"""Commands on requests: an approver's decision from the app's page, the pending list a user may
decide, and support's list and decisions from the console. One transaction each; what a decision
owes the portal (the item's stage, the ledger's mirror, the workflow's answer) is delivered by the
portal's lane, woken after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from b24app import inbox
from b24app.container import Container
from registry.bonuses.decisions import SUPPORT, Decision, Outcome, decide
from registry.bonuses.request_models import ApprovalRequest
from registry.program.document import current_program


@dataclass(frozen=True)
class PendingRequest:
    id: int
    definition: str
    kind: str
    amount: str
    reason: str
    deal_id: int | None
    client: str
    provided_by: str
    provided_at: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _view(r: ApprovalRequest) -> PendingRequest:
    return PendingRequest(
        r.id,
        r.definition_code,
        r.kind,
        str(r.amount),
        r.reason or "",
        r.deal_id,
        f"{r.owner_type}:{r.owner_id}",
        r.provided_by,
        r.provided_at.isoformat(timespec="minutes"),
    )


def pending(c: Container, portal_id: int, user_id: int | None = None) -> list[PendingRequest]:
    """Pending requests, oldest first; with ``user_id`` only those this user may decide."""
    with c.db.transaction() as session:
        rows = session.execute(
            select(ApprovalRequest)
            .where(ApprovalRequest.portal_id == portal_id, ApprovalRequest.status == "pending")
            .order_by(ApprovalRequest.id)
            .limit(500)
        ).scalars()
        return [_view(r) for r in rows if user_id is None or user_id in r.approvers]


def decide_request(
    c: Container,
    portal_id: int,
    request_id: int,
    approve: bool,
    *,
    user_id: int | None,
    reason: str | None = None,
) -> Outcome:
    """A decision by a verified portal user (``user_id``) or by support (None, a reason required)."""
    actor = f"user:{user_id}" if user_id is not None else SUPPORT
    with c.db.transaction() as session:
        program = current_program(session, portal_id)
        decision = Decision(request_id, approve, actor, user_id, reason)
        outcome = decide(session, portal_id, program, decision, c.clock.now())
        wake = outcome in (Outcome.APPROVED, Outcome.CANCELLED, Outcome.CAP) and c.lanes.flag_queued(
            session, portal_id
        )
    if wake:  # only after the commit: the job must find what it owes
        c.jobs.enqueue_lane(portal_id, force=True)
    return outcome


def definitions(c: Container, portal_id: int) -> list[tuple[str, str, str]]:
    """(code, name, kind) of the definitions a manager may request now (not the automatic ones)."""
    with c.db.transaction() as session:
        program = current_program(session, portal_id)
    today = c.clock.now().date()
    return [
        (d.code, d.name, str(d.kind)) for d in program.approvals if not d.auto_apply and d.valid_on(today)
    ]


@dataclass(frozen=True)
class CardRequest:
    deal_id: int
    user_id: int  # verified by the portal for the frame
    definition: str
    value: str
    reason: str
    key: str  # the form's one-time key: a form posted twice is one request


def request_from_card(c: Container, portal_id: int, r: CardRequest) -> None:
    """Record the card tab's request for the lane, which reads the deal and checks it like the robot's."""
    payload = {
        "code": "bonus_request",
        "document_id": ["crm", "CCrmDocumentDeal", f"DEAL_{r.deal_id}"],
        "properties": {"definition": r.definition[:64], "amount": r.value[:40], "reason": r.reason[:500]},
        "card_user": r.user_id,
        "source_key": f"card:{r.key}",
    }
    with c.db.transaction() as session:
        inbox.record(
            session,
            portal_id=portal_id,
            kind="request",
            event="card_request",
            dedup_key=f"card-request:{portal_id}:{r.key}",
            payload=payload,
            received_at=c.clock.now(),
        )
        wake = c.lanes.flag_queued(session, portal_id)
    if wake:
        c.jobs.enqueue_lane(portal_id, force=True)
