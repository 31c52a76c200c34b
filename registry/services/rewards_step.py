"""The rewards lane step: bundle rewards the deal step recorded are carried out on the portal.

Each due ``deal_rewards`` row is read in a short transaction, the portal is called outside any
transaction, and the outcome recorded in another. A credit is marked ``applying`` (with the invoice
and the total it will have) before the invoice is written, so a retry after a lost answer sees the
total already there and does not credit twice. A credit with no unpaid invoice waits and is tried
again every ``WAIT_FOR_INVOICE`` (the registry row says so in its note). A failing call is retried
with backoff, then the row is marked failed after ``GIVE_UP`` attempts (the status lists it).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from b24app.gateway import PortalCallError
from b24app.lanes import LaneContext
from registry.bonuses.reward_models import DealReward
from registry.sync.rewards import (
    RewardTask,
    add_free_row,
    invoice_total,
    plan_credit,
    remove_free_row,
    write_credit,
)

log = logging.getLogger(__name__)
DUE = ("to_add", "to_remove", "waiting", "applying")
PER_ROUND = 20
WAIT_FOR_INVOICE = timedelta(hours=1)
GIVE_UP = 8
NO_INVOICE = "waiting for the client's next unpaid invoice"


def _task(row: DealReward) -> RewardTask:
    snap = row.snapshot or {}
    return RewardTask(
        row.id,
        row.code,
        row.deal_id,
        row.status,
        (row.owner_type or "contact", row.owner_id or 0),
        row.units,
        row.value,
        row.product_id or 0,
        row.measure_code or 0,
        Decimal(str(snap.get("unit_price", "0"))),
        str(snap.get("name") or row.code),
        row.row_id,
        row.invoice_id,
        row.expected_total,
    )


def _due(ctx: LaneContext, now: datetime) -> list[RewardTask]:
    with ctx.db.transaction() as session:
        rows = session.execute(
            select(DealReward)
            .where(
                DealReward.portal_id == ctx.portal_id,
                DealReward.kind == "bundle",
                DealReward.status.in_(DUE),
                DealReward.next_attempt_at <= now,
            )
            .order_by(DealReward.id)
            .limit(PER_ROUND)
        ).scalars()
        return [_task(r) for r in rows]


def rewards_step(ctx: LaneContext) -> bool:
    """Lane step: carry out up to ``PER_ROUND`` due bundle rewards."""
    now = ctx.clock.now()
    tasks = _due(ctx, now)
    for task in tasks:
        ctx.check_stop()
        try:
            _carry_out(ctx, task, now)
        except PortalCallError as error:
            _record(ctx, task.id, now, failure=f"{error.code}: {error.description}")
    return bool(tasks)


def _carry_out(ctx: LaneContext, task: RewardTask, now: datetime) -> None:
    if task.status == "to_add":
        _record(ctx, task.id, now, status="added", row_id=add_free_row(ctx.client, task))
    elif task.status == "to_remove":
        remove_free_row(ctx.client, task)
        _record(ctx, task.id, now, status="removed", row_id=None)
    else:
        _credit(ctx, task, now)


def _credit(ctx: LaneContext, task: RewardTask, now: datetime) -> None:
    if task.status == "applying" and task.invoice_id is not None:
        if invoice_total(ctx.client, task.invoice_id) == task.expected_total:  # the write got through
            _record(ctx, task.id, now, status="applied", note=None)
            return
    plan = plan_credit(ctx.client, task)
    if plan is None:
        _record(ctx, task.id, now, status="waiting", note=NO_INVOICE, later=WAIT_FOR_INVOICE)
        return
    _record(ctx, task.id, now, status="applying", invoice_id=plan.invoice_id, expected_total=plan.total_after)
    write_credit(ctx.client, plan)
    _record(
        ctx, task.id, now, status="applied", note=f"credited {plan.credited} on invoice {plan.invoice_id}"
    )


def _record(
    ctx: LaneContext,
    reward_id: int,
    now: datetime,
    *,
    failure: str | None = None,
    later: timedelta | None = None,
    **values: Any,
) -> None:
    with ctx.db.transaction() as session:
        reward = _locked(session, reward_id)
        for key, value in values.items():
            setattr(reward, key, value)
        reward.updated_at = now
        reward.attempts = 0 if failure is None else reward.attempts + 1
        if failure is not None:
            reward.note = failure[:255]
            if reward.attempts >= GIVE_UP:
                reward.status = "failed"
            log.warning("reward.failed", extra={"portal_id": ctx.portal_id, "reward_id": reward_id})
        delay = later or (timedelta(seconds=5 * 2 ** min(reward.attempts, 10)) if failure else timedelta(0))
        reward.next_attempt_at = now + delay


def _locked(session: Session, reward_id: int) -> DealReward:
    return session.execute(
        select(DealReward).where(DealReward.id == reward_id).with_for_update()
    ).scalar_one()


def next_due(session: Session, portal_id: int, now: datetime) -> datetime | None:
    """Wake probe: the earliest bundle reward due after ``now`` (a credit waiting for an invoice)."""
    at: datetime | None = session.execute(
        select(func.min(DealReward.next_attempt_at)).where(
            DealReward.portal_id == portal_id,
            DealReward.kind == "bundle",
            DealReward.status.in_(DUE),
            DealReward.next_attempt_at > now,
        )
    ).scalar_one()
    return at
