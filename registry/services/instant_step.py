"""Instant offers: asked for a deal (the card tab's "apply offers" calls ``request_apply_offers``),
written onto the deal's matching rows as discounts by this lane step — instead of bonuses.

The request is recorded (inbox kind ``apply_offers``) and the lane woken; the step reads the deal
and its rows, values the instant offers with the same ``preview`` the win uses, records each as a
``deal_rewards`` row (``to_apply``, with the prices the rows will have) before writing the rows
with ``crm.item.productrow.update`` (absolute per-unit discount), then marks them ``applied``. A
retry after a lost answer finds the rows at those prices and only records them. An offer applied
to a deal is never applied to it again; a deal already won gets nothing (instant is before the win).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from b24app import inbox
from b24app.container import Container
from b24app.gateway import Command, PortalCallError
from b24app.lanes import LaneContext
from b24app.models import InboxEvent
from registry.bonuses.deals import owner_of
from registry.bonuses.reward_models import DealReward
from registry.bonuses.rewards import groups_of
from registry.program.deal import DealSnapshot
from registry.program.document import Program, current_program
from registry.program.instant import RowDiscount, discounted, row_discounts
from registry.program.rewards import preview
from registry.services.preview import catalog_sections
from registry.sync.deals import read_deals

log = logging.getLogger(__name__)
KIND = "apply_offers"
PER_ROUND = 25


def request_apply_offers(c: Container, portal_id: int, deal_id: int, actor: str) -> None:
    """Record the request (web-safe: no portal call) and wake the portal's lane."""
    with c.db.transaction() as session:
        inbox.record(
            session,
            portal_id=portal_id,
            kind=KIND,
            event="APPLY_OFFERS",
            payload={"actor": actor[:64]},
            received_at=c.clock.now(),
            subject_id=deal_id,
        )
    c.jobs.enqueue_lane(portal_id)


def _pending(ctx: LaneContext, now: datetime) -> tuple[dict[int, list[int]], Program]:
    with ctx.db.transaction() as session:
        rows = session.execute(
            select(InboxEvent.id, InboxEvent.subject_id)
            .where(inbox.is_due(ctx.portal_id, KIND, now))
            .order_by(InboxEvent.id)
            .limit(PER_ROUND)
        ).all()
        by_deal: dict[int, list[int]] = defaultdict(list)
        for row_id, deal_id in rows:
            by_deal[int(deal_id or 0)].append(int(row_id))
        return dict(by_deal), current_program(session, ctx.portal_id)


def instant_step(ctx: LaneContext) -> bool:
    """Lane step: apply instant offers to the deals asked for."""
    if not ctx.agenda.inbox(KIND):
        return False
    now = ctx.clock.now()
    pending, program = _pending(ctx, now)
    if not pending:
        return False
    found = read_deals(ctx.client, pending, True, now, with_seller=program.needs_seller)
    for deal_id, inbox_ids in pending.items():
        ctx.check_stop()
        error = found.failures.get(deal_id)
        snapshot = found.snapshots.get(deal_id)
        try:
            if error is None and snapshot is not None:
                _apply(ctx, program, snapshot, inbox_ids, now)
                continue
        except PortalCallError as exc:
            error = f"{exc.code}: {exc.description}"
        _retry(ctx, inbox_ids, error or "not read", now)
    return True


def _apply(
    ctx: LaneContext, program: Program, snapshot: DealSnapshot, inbox_ids: list[int], now: datetime
) -> None:
    if not snapshot.exists or snapshot.won:
        _finish(
            ctx, inbox_ids, now, "skipped", "deal not found" if not snapshot.exists else "deal already won"
        )
        return
    if program.needs_sections:
        snapshot = catalog_sections(ctx.db, ctx.client, ctx.portal_id, snapshot, now)
    done = _settle_earlier(ctx, snapshot, now)
    owner = owner_of(snapshot, program)
    with ctx.db.transaction() as session:
        groups = groups_of(session, ctx.portal_id, program, owner)
    kind = owner.type if owner else None
    awards = preview(program, snapshot, kind, now.date(), done_instant=done, client_groups=groups).instant
    discounts = row_discounts(snapshot.lines or (), awards)
    if not discounts:
        _finish(ctx, inbox_ids, now, "done", None)
        return
    plan = {str(d.row_id): str(d.price) for d in discounts}
    total = str(discounted(snapshot.lines or (), discounts))
    with ctx.db.transaction() as session:
        for award in awards:
            reward = _reward(session, ctx.portal_id, snapshot, award.code, now)
            reward.status, reward.value, reward.legal_entity_id = "to_apply", award.amount, award.legal_entity
            reward.snapshot = {**award.snapshot, "rows": plan, "discounted": total}
    _update_rows(ctx, discounts)
    _mark_applied(ctx, snapshot.deal_id, [a.code for a in awards], now)
    _finish(ctx, inbox_ids, now, "done", None)


def _update_rows(ctx: LaneContext, discounts: list[RowDiscount]) -> None:
    """Write the discounted prices to the deal's product rows; the first failure is raised."""
    commands = {
        f"u{d.row_id}": Command(
            "crm.item.productrow.update",  # crm-item-productrow-update.md: price and an absolute discount
            {
                "id": d.row_id,
                "fields": {"price": str(d.price), "discountTypeId": 1, "discountSum": str(d.discount_sum)},
            },
        )
        for d in discounts
    }
    result = ctx.client.batch_all(commands)
    if result.errors:
        first = next(iter(result.errors.values()))
        raise PortalCallError(first.code, first.description)


def _reward(session: Session, portal_id: int, snapshot: DealSnapshot, code: str, now: datetime) -> DealReward:
    reward = session.execute(
        select(DealReward).where(
            DealReward.portal_id == portal_id,
            DealReward.deal_id == snapshot.deal_id,
            DealReward.kind == "instant",
            DealReward.code == code,
        )
    ).scalar_one_or_none()
    if reward is None:
        reward = DealReward(
            portal_id=portal_id,
            deal_id=snapshot.deal_id,
            kind="instant",
            code=code,
            generation=0,
            status="to_apply",
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        session.add(reward)
    reward.updated_at = now
    return reward


def _settle_earlier(ctx: LaneContext, snapshot: DealSnapshot, now: datetime) -> frozenset[str]:
    """Offers applied before, and those a lost answer left ``to_apply`` whose rows show the prices."""
    prices = {str(ln.row_id): str(ln.price) for ln in snapshot.lines or ()}
    with ctx.db.transaction() as session:
        rewards = session.execute(
            select(DealReward).where(
                DealReward.portal_id == ctx.portal_id,
                DealReward.deal_id == snapshot.deal_id,
                DealReward.kind == "instant",
            )
        ).scalars()
        done: set[str] = set()
        for reward in rewards:
            rows = (reward.snapshot or {}).get("rows", {})
            if reward.status == "to_apply" and rows and all(prices.get(r) == p for r, p in rows.items()):
                reward.status, reward.updated_at = "applied", now
            if reward.status == "applied":
                done.add(reward.code)
        return frozenset(done)


def _mark_applied(ctx: LaneContext, deal_id: int, codes: list[str], now: datetime) -> None:
    with ctx.db.transaction() as session:
        session.execute(
            update(DealReward)
            .where(
                DealReward.portal_id == ctx.portal_id,
                DealReward.deal_id == deal_id,
                DealReward.kind == "instant",
                DealReward.code.in_(codes),
            )
            .values(status="applied", updated_at=now)
        )


def _finish(ctx: LaneContext, inbox_ids: list[int], now: datetime, status: str, error: str | None) -> None:
    with ctx.db.transaction() as session:
        session.execute(
            update(InboxEvent)
            .where(InboxEvent.id.in_(inbox_ids))
            .values(status=status, processed_at=now, error=error)
            .execution_options(synchronize_session=False)
        )


def _retry(ctx: LaneContext, inbox_ids: list[int], error: str, now: datetime) -> None:
    with ctx.db.transaction() as session:
        for row_id in inbox_ids:
            inbox.retry_later(session.get_one(InboxEvent, row_id), error, now)
    log.warning("instant.failed", extra={"portal_id": ctx.portal_id, "inbox_ids": inbox_ids})
