"""The card tab's read: an owner's figures (balance, spendable, pending, next expiry), a page of the
history with deal titles, and on a deal what it earned or will earn and how much may be spent on it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.bonuses.deals import owner_of
from registry.bonuses.models import DealState
from registry.bonuses.rewards import groups_of
from registry.bonuses.tiers import stored_level
from registry.ledger.kinds import EntryKind
from registry.ledger.lots import spendable_lots
from registry.ledger.models import Account, LedgerEntry, Lot
from registry.ledger.posting import Owner, account_of
from registry.program.deal import from_observed
from registry.program.document import Program
from registry.program.rewards import preview as reward_preview

ZERO = Decimal("0")
PAGE_SIZE = 20


@dataclass(frozen=True)
class Figures:
    """What a client has: every amount in points, dates in UTC."""

    balance: Decimal = ZERO
    spendable: Decimal = ZERO
    pending: Decimal = ZERO
    pending_until: datetime | None = None  # when the first held bonuses become spendable
    expiring: Decimal = ZERO
    expires_at: datetime | None = None  # the next expiry: ``expiring`` points go then
    debt: Decimal = ZERO
    blocked: bool = False
    level: str | None = None  # the client's tier, once the program has tiers


@dataclass(frozen=True)
class Line:
    """One movement of the history."""

    id: int
    at: datetime
    kind: str
    amount: Decimal
    balance_after: Decimal
    deal_id: int | None
    deal_title: str
    actor: str
    reason: str | None
    snapshot: dict[str, Any]


@dataclass(frozen=True)
class DealPart:
    """A deal tab's own part: the deal, what it earned, what it would earn now, what may be spent."""

    deal_id: int
    title: str
    won: bool
    earned: Decimal | None  # what its accrual holds now (None: nothing accrued)
    preview: Decimal | None  # what the current program gives it once won (None: nothing)
    amount: Decimal | None  # the deal's amount as last read
    spend_max: Decimal = ZERO
    instant: bool = False  # the program has offers given as a discount on the rows (before the win)


@dataclass
class Card:
    owner: Owner | None
    figures: Figures = field(default_factory=Figures)
    lines: list[Line] = field(default_factory=list)
    page: int = 1
    pages: int = 1
    deal: DealPart | None = None


def figures(session: Session, account: Account | None, now: datetime) -> Figures:
    if account is None:
        return Figures()
    live = list(
        session.execute(
            select(Lot).where(Lot.account_id == account.id, Lot.remaining > ZERO, Lot.expired_at.is_(None))
        ).scalars()
    )
    held = [lot for lot in live if lot.activates_at > now]
    spendable = spendable_lots(session, account, now)
    dated = [lot for lot in spendable if lot.expires_at is not None]
    next_day = min((lot.expires_at for lot in dated if lot.expires_at), default=None)
    expiring = [
        lot for lot in dated if next_day and lot.expires_at and lot.expires_at.date() == next_day.date()
    ]
    return Figures(
        balance=account.balance,
        spendable=sum((lot.remaining for lot in spendable), ZERO),
        pending=sum((lot.remaining for lot in held), ZERO),
        pending_until=min((lot.activates_at for lot in held), default=None),
        expiring=sum((lot.remaining for lot in expiring), ZERO),
        expires_at=next_day,
        debt=account.debt,
        blocked=account.blocked,
    )


def titles(session: Session, portal_id: int, deal_ids: set[int]) -> dict[int, str]:
    """Deal titles as the worker last read them (empty for a deal it never read)."""
    if not deal_ids:
        return {}
    rows = session.execute(
        select(DealState.deal_id, DealState.observed).where(
            DealState.portal_id == portal_id, DealState.deal_id.in_(deal_ids)
        )
    ).all()
    return {deal_id: str((data or {}).get("title") or "") for deal_id, data in rows}


def history(
    session: Session, portal_id: int, account: Account | None, page: int, deal_id: int | None = None
) -> tuple[list[Line], int]:
    """One page of movements (newest first) and how many pages there are."""
    if account is None:
        return [], 1
    where = [LedgerEntry.account_id == account.id]
    if deal_id is not None:
        where.append(LedgerEntry.deal_id == deal_id)
    total = session.execute(select(func.count()).select_from(LedgerEntry).where(*where)).scalar_one()
    pages = max(1, -(-int(total) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = list(
        session.execute(
            select(LedgerEntry)
            .where(*where)
            .order_by(LedgerEntry.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ).scalars()
    )
    names = titles(session, portal_id, {e.deal_id for e in rows if e.deal_id})
    lines = [
        Line(
            e.id,
            e.created_at,
            e.kind,
            e.amount,
            e.balance_after,
            e.deal_id,
            names.get(e.deal_id, "") if e.deal_id else "",
            e.actor,
            e.reason,
            e.snapshot or {},
        )
        for e in rows
    ]
    return lines, pages


def deal_owner(session: Session, portal_id: int, deal_id: int, program: Program) -> Owner | None:
    """The deal's client: the account its movements went to, else the client it was last read with."""
    account_id = session.execute(
        select(LedgerEntry.account_id)
        .where(LedgerEntry.portal_id == portal_id, LedgerEntry.deal_id == deal_id)
        .order_by(LedgerEntry.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if account_id is not None:
        account = session.get_one(Account, account_id)
        return Owner(account.owner_type, account.owner_id)
    state = _state(session, portal_id, deal_id)
    data = (state.observed if state else None) or {}
    contact, company = data.get("contact_id"), data.get("company_id")
    pair = [("contact", contact), ("company", company)]
    if program.owner_preference != "contact_first":
        pair.reverse()
    return next((Owner(kind, int(value)) for kind, value in pair if value), None)


def _state(session: Session, portal_id: int, deal_id: int) -> DealState | None:
    return session.execute(
        select(DealState).where(DealState.portal_id == portal_id, DealState.deal_id == deal_id)
    ).scalar_one_or_none()


def deal_part(
    session: Session, portal_id: int, deal_id: int, program: Program, account: Account | None, now: datetime
) -> DealPart:
    state = _state(session, portal_id, deal_id)
    data = (state.observed if state else None) or {}
    earned = state.accrued if state is not None and state.lot_id is not None else None
    preview, amount = None, None
    if data:
        deal = from_observed(deal_id, data, now)
        amount = deal.amount
        # the rule, then the offers that accumulate (registry.program.rewards): what the win accrues
        owner = owner_of(deal, program)
        groups = groups_of(session, portal_id, program, owner)
        level = stored_level(session, portal_id, program, owner) if owner else None
        kind = owner.type if owner else None
        points = reward_preview(program, deal, kind, now.date(), client_groups=groups, level=level).points
        preview = points if points > ZERO else None
    return DealPart(
        deal_id=deal_id,
        title=str(data.get("title") or ""),
        won=data.get("stage_semantic") == "S",
        earned=earned,
        preview=preview,
        amount=amount,
        spend_max=spend_max(session, account, program, deal_id, amount, now),
        instant=any(offer["spend"] == "instant" for offer in program.offers),
    )


def spend_max(
    session: Session,
    account: Account | None,
    program: Program,
    deal_id: int | None,
    deal_amount: Decimal | None,
    now: datetime,
) -> Decimal:
    """The most a write-off may take now: what is spendable, within the program's caps."""
    if account is None or account.blocked:
        return ZERO
    most = sum((lot.remaining for lot in spendable_lots(session, account, now)), ZERO)
    if program.writeoff_max_per_operation is not None:
        most = min(most, program.writeoff_max_per_operation)
    share = program.writeoff_max_deal_share
    if share is not None and deal_id is not None and deal_amount is not None:
        spent = session.execute(
            select(func.coalesce(func.sum(-LedgerEntry.amount), 0)).where(
                LedgerEntry.account_id == account.id,
                LedgerEntry.deal_id == deal_id,
                LedgerEntry.kind == EntryKind.WRITE_OFF,
            )
        ).scalar_one()
        most = min(most, (deal_amount * share / Decimal("100")).quantize(Decimal("0.01")) - Decimal(spent))
    return max(most, ZERO)


def card_view(
    session: Session, portal_id: int, entity: str, entity_id: int, program: Program, page: int, now: datetime
) -> Card:
    """The tab of a contact's, company's or deal's card."""
    if entity in ("contact", "company"):
        owner: Owner | None = Owner(entity, entity_id)
    else:
        owner = deal_owner(session, portal_id, entity_id, program)
    account = account_of(session, portal_id, owner) if owner else None
    lines, pages = history(session, portal_id, account, page, entity_id if entity == "deal" else None)
    level = stored_level(session, portal_id, program, owner) if owner else None
    shown = replace(figures(session, account, now), level=level.name if level else None)
    card = Card(owner, shown, lines, min(max(page, 1), pages), pages)
    if entity == "deal":
        card.deal = deal_part(session, portal_id, entity_id, program, account, now)
    return card
