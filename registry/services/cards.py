"""The card tab's read: the owner's balance, spendable amount, lots and movements for a card.

Read-only and from the ledger alone (the web process never calls the portal). A deal's tab
shows the movements made for that deal and its owner's balance.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app.container import Container
from registry.bonuses.support import history, summary
from registry.ledger.models import Account, LedgerEntry
from registry.ledger.posting import Owner

TAB_ENTITIES = {
    "CRM_CONTACT_DETAIL_TAB": "contact",
    "CRM_COMPANY_DETAIL_TAB": "company",
    "CRM_DEAL_DETAIL_TAB": "deal",
}


def card_view(session: Session, portal_id: int, entity: str, entity_id: int, now: datetime) -> dict[str, Any]:
    """``{"owner", "summary", "entries"}``; ``owner`` is None for a deal with no movements yet."""
    if entity in ("contact", "company"):
        owner = Owner(entity, entity_id)
        return {
            "owner": owner,
            "summary": summary(session, portal_id, owner, now),
            "entries": history(session, portal_id, owner, 50),
        }
    rows = session.execute(
        select(LedgerEntry, Account)
        .join(Account, Account.id == LedgerEntry.account_id)
        .where(LedgerEntry.portal_id == portal_id, LedgerEntry.deal_id == entity_id)
        .order_by(LedgerEntry.id.desc())
    ).all()
    if not rows:
        return {"owner": None, "summary": None, "entries": []}
    account = rows[0][1]
    owner = Owner(account.owner_type, account.owner_id)
    entries = [e for e in history(session, portal_id, owner, 500) if e["deal_id"] == entity_id]
    return {"owner": owner, "summary": summary(session, portal_id, owner, now), "entries": entries}


def card(c: Container, portal_id: int, placement: str, entity_id: int) -> dict[str, Any]:
    """The tab of the card a placement shows (``TAB_ENTITIES`` names its entity), in one transaction."""
    with c.db.transaction() as session:
        return card_view(session, portal_id, TAB_ENTITIES[placement], entity_id, c.clock.now())
