"""Words about requests: an item's title, the approvers' notification, the timeline note of a
refused move, the kinds' names (English msgids; the catalogs translate them)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from b24app.i18n import N_, points, t
from registry.bonuses.request_models import ApprovalRequest
from registry.bonuses.texts import portal_language

KINDS = {
    "bonus_points": N_("bonuses"),
    "discount_amount": N_("discount"),
    "discount_percent": N_("discount, %"),
    "free_period": N_("free units"),
}
TITLE = N_("Request #{id}: {value} {kind} ({definition})")
NOTICE = N_("A request waits for your approval: {title}")
REVERTED = N_("Only an approver can decide request #{id}: the move was undone")


def language_of(session: Session, portal_id: int) -> str:
    return portal_language(session, portal_id)


def title(request: ApprovalRequest, language: str) -> str:
    return t(language, TITLE).format(
        id=request.id,
        value=points(Decimal(request.amount), language),
        kind=t(language, KINDS.get(request.kind, request.kind)),
        definition=request.definition_code,
    )


def reverted(request_id: int, language: str) -> str:
    return t(language, REVERTED).format(id=request_id)
