"""The card tab: its read (from the ledger alone: the web process never calls the portal), the
manager's write-off (once per form's key, mirrored by the lane) and the deal's "apply offers"."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from b24app.container import Container
from registry.bonuses import mirror
from registry.bonuses.card import Card, card_view, deal_owner, deal_part, spend_max
from registry.bonuses.spending import Movement, Refused, write_off
from registry.bonuses.texts import portal_language
from registry.ledger.posting import Owner, account_of
from registry.ledger.views import entry_views
from registry.program.document import current_program
from registry.services.instant_step import request_apply_offers

TAB_ENTITIES = {
    "CRM_CONTACT_DETAIL_TAB": "contact",
    "CRM_COMPANY_DETAIL_TAB": "company",
    "CRM_DEAL_DETAIL_TAB": "deal",
}


@dataclass(frozen=True)
class WriteOff:
    """A manager's write-off from a card tab; ``key`` (one per rendered form) makes it happen once."""

    entity: str  # contact | company | deal
    entity_id: int
    amount: Decimal
    key: str
    user_id: int


def card(c: Container, portal_id: int, placement: str, entity_id: int, page: int = 1) -> Card:
    """The tab of the card a placement shows (``TAB_ENTITIES`` names its entity), in one transaction."""
    with c.db.transaction() as session:
        program = current_program(session, portal_id)
        return card_view(session, portal_id, TAB_ENTITIES[placement], entity_id, program, page, c.clock.now())


def write_off_from_card(c: Container, portal_id: int, request: WriteOff) -> tuple[str | None, Decimal]:
    """Post the write-off; (None, amount) when done, else (the refusal's code, the allowed maximum)."""
    now = c.clock.now()
    with c.db.transaction() as session:
        program = current_program(session, portal_id)
        owner = (
            Owner(request.entity, request.entity_id)
            if request.entity != "deal"
            else deal_owner(session, portal_id, request.entity_id, program)
        )
        if owner is None:
            return "NO_CLIENT", Decimal("0")
        deal_id = request.entity_id if request.entity == "deal" else None
        account = account_of(session, portal_id, owner)
        part = deal_part(session, portal_id, deal_id, program, account, now) if deal_id else None
        movement = Movement(
            owner,
            request.amount,
            f"card:writeoff:{request.key}",
            f"user:{request.user_id}",
            deal_id=deal_id,
            deal_amount=part.amount if part else None,
            source="card_tab",
        )
        try:
            entry = write_off(session, portal_id, program, movement, now)
        except Refused as refused:
            account = account_of(session, portal_id, owner)
            most = spend_max(session, account, program, deal_id, movement.deal_amount, now)
            return refused.code, most
        language = portal_language(session, portal_id)
        views = entry_views(session, [entry.id])
        mirror.enqueue_entries(session, portal_id, views, language, now, program=program)
        return None, -entry.amount


def apply_offers_from_card(c: Container, portal_id: int, deal_id: int, user_id: int) -> str | None:
    """Ask the lane to write the instant offers onto the deal's rows; None when asked, else why not.

    Won is judged from the deal as last read; the lane reads it again and skips a deal won meanwhile.
    """
    with c.db.transaction() as session:
        program = current_program(session, portal_id)
        part = deal_part(session, portal_id, deal_id, program, None, c.clock.now())
    if not part.instant:
        return "NO_INSTANT_OFFERS"
    if part.won:
        return "DEAL_WON"
    request_apply_offers(c, portal_id, deal_id, f"user:{user_id}")
    return None
