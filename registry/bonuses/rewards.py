"""Offers and bundles on a deal's win and un-win, after the general rule (``sync_deal``) has run.

Won: every ``accumulate`` offer in scope accrues its own lot (key ``offer:deal:{id}:{gen}:{code}``,
once per win: generation n), with its legal entity and the offer in the snapshot; every bundle the
deal triggers is recorded once per deal (``deal_rewards``), for the rewards step to add the free
row or apply the credit on the portal. Not won or deleted: offer lots are reversed (what spending
took becoming debt, as for the rule's accrual); a free row not yet added is cancelled, an added
one removed; a credit still waiting is cancelled (one already on an invoice stays: it is noted).
Won again: offers accrue anew (generation n+1); a bundle puts back its one free row or credit —
a deal never holds a bundle twice.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.bonuses.deals import lot_reversal, owner_of
from registry.bonuses.groups import client_in_groups
from registry.bonuses.reward_models import DealReward
from registry.ledger.kinds import EntryKind
from registry.ledger.models import LedgerEntry, Lot
from registry.ledger.posting import Movement, NewLot, Owner, post
from registry.program.deal import DealSnapshot
from registry.program.document import Program
from registry.program.rewards import BundleAward, OfferAward, preview

BUNDLE_START = {"ontime_only": "to_add", "cash_discount": "waiting"}
# A bundle reward the deal left: what becomes of it (ontime rows still to add are never added).
UNWIND = {"to_add": "cancelled", "added": "to_remove", "waiting": "cancelled"}
# Won again: a reward that was undone (or being undone) comes back.
REWIND = {"cancelled": None, "removed": "to_add", "to_remove": "added"}


def groups_of(session: Session, portal_id: int, program: Program, owner: Owner | None) -> frozenset[str]:
    """The groups named by offers and bundles that the client belongs to (registry.bonuses.groups)."""
    named = {g for b in program.bundles for g in b["groups"]}
    named |= {g for o in program.offers for g in o["segment"]["groups"]}
    if owner is None:
        return frozenset()
    return frozenset(c for c in sorted(named) if client_in_groups(session, portal_id, owner, [c], program))


def sync_rewards(
    session: Session, portal_id: int, program: Program, deal: DealSnapshot, now: datetime
) -> list[LedgerEntry]:
    """Make the deal's offer accruals and bundle rewards agree with its state (caller's transaction)."""
    if not deal.won:
        return _unwind(session, portal_id, deal, now)
    owner = owner_of(deal, program)
    if owner is None or deal.lines is None:
        return []
    groups = groups_of(session, portal_id, program, owner)
    found = preview(program, deal, owner.type, now.date(), client_groups=groups)
    for award in found.bundles:
        _grant_bundle(session, portal_id, deal, owner, award, now)
    return _accrue_offers(session, portal_id, program, deal, owner, found.offers, now)


def rewards_of(session: Session, portal_id: int, deal_id: int, kind: str) -> list[DealReward]:
    return list(
        session.execute(
            select(DealReward)
            .where(DealReward.portal_id == portal_id, DealReward.deal_id == deal_id, DealReward.kind == kind)
            .order_by(DealReward.id)
            .with_for_update()
        ).scalars()
    )


def _accrue_offers(
    session: Session,
    portal_id: int,
    program: Program,
    deal: DealSnapshot,
    owner: Owner,
    awards: list[OfferAward],
    now: datetime,
) -> list[LedgerEntry]:
    held = rewards_of(session, portal_id, deal.deal_id, "offer")
    if not awards or any(r.status == "active" for r in held):
        return []  # this win's offers were accrued already (amount edits while won keep them)
    generation = max((r.generation for r in held), default=0) + 1
    entries: list[LedgerEntry] = []
    for award in awards:
        posting = post(session, portal_id, _offer_accrual(program, deal, owner, award, generation), now)
        entries += posting.entries
        assert posting.lot is not None and posting.entry is not None
        session.add(
            DealReward(
                **_reward(portal_id, deal.deal_id, "offer", award.code, owner, now, generation=generation),
                status="active",
                value=award.amount,
                legal_entity_id=award.legal_entity,
                entry_id=posting.entry.id,
                lot_id=posting.lot.id,
                snapshot=award.snapshot,
            )
        )
    return entries


def _offer_accrual(
    program: Program, deal: DealSnapshot, owner: Owner, award: OfferAward, generation: int
) -> Movement:
    """The accrual of one offer on this win (generation): its own lot, key and snapshot."""
    return Movement(
        EntryKind.ACCRUAL,
        owner,
        award.amount,
        f"offer:deal:{deal.deal_id}:{generation}:{award.code}",
        f"deal:{deal.deal_id}",
        f"offer:{award.code}",
        NewLot(program.lifetime_days, program.hold_days),
        deal_id=deal.deal_id,
        legal_entity_id=award.legal_entity,
        snapshot={
            **award.snapshot,
            "program_version": program.version,
            "lifetime_days": program.lifetime_days,
        },
    )


def _reward(
    portal_id: int, deal_id: int, kind: str, code: str, owner: Owner, now: datetime, generation: int = 0
) -> dict[str, Any]:
    return {
        "portal_id": portal_id,
        "deal_id": deal_id,
        "kind": kind,
        "code": code,
        "generation": generation,
        "owner_type": owner.type,
        "owner_id": owner.id,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


def _grant_bundle(
    session: Session, portal_id: int, deal: DealSnapshot, owner: Owner, award: BundleAward, now: datetime
) -> None:
    held = [r for r in rewards_of(session, portal_id, deal.deal_id, "bundle") if r.code == award.code]
    if held:
        reward = held[0]
        back = REWIND.get(reward.status, reward.status)
        reward.status = back or BUNDLE_START[reward.bundle_type or "ontime_only"]
        reward.updated_at, reward.next_attempt_at = now, now
        return
    session.add(
        DealReward(
            **_reward(portal_id, deal.deal_id, "bundle", award.code, owner, now),
            status=BUNDLE_START[award.type],
            bundle_type=award.type,
            units=award.units,
            value=award.value,
            legal_entity_id=award.legal_entity,
            product_id=award.product_id,
            measure_code=award.measure_code,
            snapshot={**award.snapshot, "unit_price": str(award.unit_price), "name": award.name},
            next_attempt_at=now,
        )
    )


def _unwind(session: Session, portal_id: int, deal: DealSnapshot, now: datetime) -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    for reward in rewards_of(session, portal_id, deal.deal_id, "offer"):
        if reward.status == "active":
            entries += _reverse_offer(session, portal_id, reward, now)
    for reward in rewards_of(session, portal_id, deal.deal_id, "bundle"):
        target = UNWIND.get(reward.status)
        if target == "to_remove" and not deal.exists:
            target = "removed"  # the deal's rows went with it
        if reward.status == "applied":
            reward.note = "deal no longer won: the credit stays on the invoice"
        if target is not None:
            reward.status, reward.updated_at, reward.next_attempt_at = target, now, now
    return entries


def _reverse_offer(session: Session, portal_id: int, reward: DealReward, now: datetime) -> list[LedgerEntry]:
    reward.status, reward.updated_at = "reversed", now
    if reward.lot_id is None or reward.entry_id is None:
        return []
    lot = session.get_one(Lot, reward.lot_id)
    origin = session.get_one(LedgerEntry, reward.entry_id)
    assert reward.owner_type is not None and reward.owner_id is not None
    owner = Owner(reward.owner_type, reward.owner_id)
    key = f"reversal:offer:deal:{reward.deal_id}:{reward.generation}:{reward.code}"
    movement = lot_reversal(session, lot, origin, owner, key, f"offer:{reward.code}", reward.deal_id)
    return post(session, portal_id, movement, now).entries


def offer_total(session: Session, portal_id: int, deal_id: int) -> Decimal:
    """Points the deal's active offer accruals hold (the card tab shows them beside the rule's)."""
    value = session.execute(
        select(func.coalesce(func.sum(DealReward.value), 0)).where(
            DealReward.portal_id == portal_id,
            DealReward.deal_id == deal_id,
            DealReward.kind == "offer",
            DealReward.status == "active",
        )
    ).scalar_one()
    return Decimal(value)
