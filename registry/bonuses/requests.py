"""Making a request from a definition: checked at once (each refusal has its code), recorded with
who provided it and when, its approvers fixed, approved at once when the definition is automatic.

What the portal said about the deal arrives as ``DealFacts`` (read by registry/sync/approvals.py);
nothing here talks to the portal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.bonuses.request_models import ApprovalRequest
from registry.bonuses.spending import Refused
from registry.ledger.posting import Owner
from registry.program.approvals import ApprovalKind, Definition, holds
from registry.program.document import Program
from registry.program.values import plain_amount

TEXT_LIMIT = 500


@dataclass(frozen=True)
class Row:
    """One product row of the deal as ``crm.item.productrow.list`` gave it."""

    id: int
    product_id: int
    section_id: int | None
    name: str
    price: Decimal  # the final per-unit price (after discount, with tax)
    quantity: Decimal
    netto: Decimal  # the list price per unit, without discount and tax (``priceNetto``)
    tax_rate: Decimal


@dataclass(frozen=True)
class DealFacts:
    deal_id: int
    owner: Owner | None
    fields: dict[str, Any] = field(default_factory=dict)
    rows: tuple[Row, ...] = ()


@dataclass(frozen=True)
class Ask:
    """What was asked: a definition's code, the amount or percent as sent, a reason, who."""

    code: str
    value: Any
    reason: str | None
    actor: str
    source_key: str
    answer_to: str | None = None


def applicable(definition: Definition, rows: tuple[Row, ...]) -> list[Row]:
    """The rows the definition applies to: its product ids or sections; all rows when none is named."""
    if not definition.has_products:
        return list(rows)
    return [
        r
        for r in rows
        if r.product_id in definition.product_ids
        or (r.section_id is not None and r.section_id in definition.sections)
    ]


def _month(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, 1, tzinfo=UTC)
    end = datetime(day.year + (day.month == 12), day.month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def cap_refusal(
    session: Session,
    portal_id: int,
    d: Definition,
    owner: Owner,
    amount: Decimal,
    when: datetime,
    exclude: int | None,
) -> str | None:
    """MONTHLY_CAP / YEARLY_COUNT if approving ``amount`` now would pass a cap (approved ones count)."""
    base = [
        ApprovalRequest.portal_id == portal_id,
        ApprovalRequest.definition_code == d.code,
        ApprovalRequest.owner_type == owner.type,
        ApprovalRequest.owner_id == owner.id,
        ApprovalRequest.status == "approved",
    ]
    if exclude is not None:
        base.append(ApprovalRequest.id != exclude)
    if d.per_month_max is not None:
        start, end = _month(when.date())
        used = session.execute(
            select(func.coalesce(func.sum(ApprovalRequest.amount), 0)).where(
                *base, ApprovalRequest.provided_at >= start, ApprovalRequest.provided_at < end
            )
        ).scalar_one()
        if Decimal(used) + amount > d.per_month_max:
            return "MONTHLY_CAP"
    if d.per_year_count is not None:
        start, end = datetime(when.year, 1, 1, tzinfo=UTC), datetime(when.year + 1, 1, 1, tzinfo=UTC)
        count = session.execute(
            select(func.count()).where(
                *base, ApprovalRequest.provided_at >= start, ApprovalRequest.provided_at < end
            )
        ).scalar_one()
        if int(count) + 1 > d.per_year_count:
            return "YEARLY_COUNT"
    return None


def check(
    session: Session, portal_id: int, program: Program, ask: Ask, facts: DealFacts, now: datetime
) -> tuple[Definition, Decimal, Owner]:
    """The definition, the value and the client of a request that may be made; Refused otherwise."""
    d = program.definition(ask.code)
    if d is None:
        raise Refused("UNKNOWN_DEFINITION", definition=ask.code[:64])
    if not (ask.reason or "").strip():
        raise Refused("REASON_REQUIRED")
    value = plain_amount(ask.value)
    if value is None or value < d.minimum or value > d.maximum or value <= 0:
        raise Refused("OUT_OF_RANGE", min=d.minimum, max=d.maximum)
    if not d.valid_on(now.date()):
        raise Refused("NOT_VALID_NOW")
    if facts.owner is None:
        raise Refused("NO_CLIENT")
    if not holds(d.segment, facts.fields):
        raise Refused("NOT_IN_SEGMENT")
    needs_rows = d.kind != ApprovalKind.BONUS_POINTS or d.has_products
    if needs_rows and not applicable(d, facts.rows):
        raise Refused("NOT_APPLICABLE")
    cap = cap_refusal(session, portal_id, d, facts.owner, value, now, None)
    if cap is not None:
        raise Refused(cap, cap=d.per_month_max if cap == "MONTHLY_CAP" else d.per_year_count)
    return d, value, facts.owner


def existing_request(session: Session, portal_id: int, source_key: str) -> ApprovalRequest | None:
    return session.execute(
        select(ApprovalRequest).where(
            ApprovalRequest.portal_id == portal_id, ApprovalRequest.source_key == source_key
        )
    ).scalar_one_or_none()


def record(
    session: Session,
    portal_id: int,
    d: Definition,
    value: Decimal,
    owner: Owner,
    ask: Ask,
    deal_id: int,
    approvers: list[int],
    now: datetime,
) -> ApprovalRequest:
    """A pending request (the caller approves an automatic one at once)."""
    request = ApprovalRequest(
        portal_id=portal_id,
        source_key=ask.source_key,
        definition_code=d.code,
        kind=str(d.kind),
        mode="manual" if d.manual else "automatic",
        deal_id=deal_id,
        owner_type=owner.type,
        owner_id=owner.id,
        amount=value,
        reason=(ask.reason or "").strip()[:TEXT_LIMIT] or None,
        approvers=sorted(set(approvers)),
        status="pending",
        provided_by=ask.actor[:64],
        provided_at=now,
        answer_to=ask.answer_to,
        application={},
    )
    session.add(request)
    session.flush()
    return request
