"""The deal lane step: read the current state of every pending deal in batches, sync the ledger.

Events only say "deal N changed", so we never trust their order: each pending deal is re-read and
the ledger is made to match what the portal says now. Fifty events about one deal cost one read.

Deals are committed 25 to a transaction, each inside its own savepoint: a deal that fails (a
constraint, a bug, a value nothing foresaw) is rolled back alone, its inbox rows retry later with
the error recorded (the status shows it), and the other deals of the group commit.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from b24app import inbox
from b24app.gateway import Command, PortalCallError
from b24app.lanes import LaneContext
from b24app.models import InboxEvent
from registry import mirror
from registry.deals import DealSnapshot, ProductTotals, sync_deal
from registry.ledger_view import entry_views
from registry.program import current_program
from registry.texts import portal_language
from registry.values import MAX_PORTAL_NUMBER, bounded_id, is_blank, portal_number

log = logging.getLogger(__name__)
DEALS_PER_ROUND = 200
DEALS_PER_COMMIT = 25


def _decimal(value: Any) -> Decimal | None:
    return portal_number(value)


def _int(value: Any) -> int | None:
    # "0" and "" mean "none" on the portal; ids beyond the id columns are treated the same way.
    return bounded_id(value)


def is_not_found(error: PortalCallError) -> bool:
    return error.code == "NOT_FOUND" or "not found" in error.description.lower()


def product_totals(rows: Any) -> ProductTotals | None:
    """Totals of ``crm.deal.productrows.get`` rows (None when they were not read)."""
    if not isinstance(rows, list):
        return None
    total, quantity = Decimal("0"), Decimal("0")
    for row in rows:
        fields = row if isinstance(row, Mapping) else {}
        price, count = (
            _decimal(fields.get("PRICE")) or Decimal("0"),
            _decimal(fields.get("QUANTITY")) or Decimal("0"),
        )
        total += price * count
        quantity += count
    if abs(total) > MAX_PORTAL_NUMBER:
        total = Decimal("0")  # nonsense rows: a formula on products_total gets nothing from them
    return ProductTotals(total.quantize(Decimal("0.01")), quantity, len(rows))


def snapshot_from_deal(
    deal_id: int, deal: Mapping[str, Any] | None, now: datetime, product_rows: Any = None
) -> DealSnapshot:
    """Our view of a deal from ``crm.deal.get`` (None: the deal is gone)."""
    if deal is None:
        return DealSnapshot(deal_id=deal_id, exists=False, observed_at=now)
    uf = {k: v for k, v in deal.items() if str(k).startswith("UF_")}
    raw_amount = deal.get("OPPORTUNITY")
    amount = _decimal(raw_amount)
    problem = None
    if amount is None and not is_blank(raw_amount):
        problem = f"bad_amount: OPPORTUNITY {str(raw_amount)[:40]!r} is not a number within ±10^15"
    return DealSnapshot(
        deal_id=deal_id,
        exists=True,
        stage_semantic=str(deal.get("STAGE_SEMANTIC_ID") or "P"),
        amount=amount or Decimal("0"),
        amount_problem=problem,
        currency=str(deal.get("CURRENCY_ID") or ""),
        category_id=_int(deal.get("CATEGORY_ID")) or 0,
        company_id=_int(deal.get("COMPANY_ID")),
        contact_id=_int(deal.get("CONTACT_ID")),
        manager_percent=_decimal(deal.get("UF_CRM_BONUS_PERCENT")),
        uf=uf,
        assigned_by_id=_int(deal.get("ASSIGNED_BY_ID")),
        observed_at=now,
        products=product_totals(product_rows),
    )


def pending_deals(ctx: LaneContext, limit: int) -> dict[int, int]:
    """Deal id -> the newest inbox row id seen for it, oldest deals first."""
    with ctx.db.transaction() as session:
        rows = session.execute(
            select(InboxEvent.subject_id, func.max(InboxEvent.id))
            .where(
                InboxEvent.portal_id == ctx.portal_id,
                InboxEvent.kind == "deal",
                InboxEvent.status == "pending",
                (InboxEvent.retry_at.is_(None)) | (InboxEvent.retry_at <= ctx.clock.now()),
            )
            .group_by(InboxEvent.subject_id)
            .order_by(func.min(InboxEvent.id))
            .limit(limit)
        ).all()
    return {int(deal_id): int(last_id) for deal_id, last_id in rows if deal_id is not None}


def deals_step(ctx: LaneContext) -> bool:
    """Lane step: process up to ``DEALS_PER_ROUND`` pending deals."""
    pending = pending_deals(ctx, DEALS_PER_ROUND)
    if not pending:
        return False
    reads = {f"d{deal_id}": Command("crm.deal.get", {"id": deal_id}) for deal_id in pending}
    with ctx.db.transaction() as session:
        with_products = current_program(session, ctx.portal_id).needs_products
    if with_products:  # a formula uses product rows: read them in the same batches
        reads.update({f"p{d}": Command("crm.deal.productrows.get", {"id": d}) for d in pending})
    result = ctx.client.batch_all(reads)
    now = ctx.clock.now()
    ready: list[tuple[DealSnapshot, int]] = []
    for deal_id, last_inbox_id in pending.items():
        label = f"d{deal_id}"
        error = result.errors.get(label)
        if error is not None and not is_not_found(error):
            _note_failure(ctx, deal_id, last_inbox_id, f"{error.code}: {error.description}", now)
            continue
        rows = result.results.get(f"p{deal_id}")
        deal = None if error else result.results.get(label)
        try:
            ready.append((snapshot_from_deal(deal_id, deal, now, rows), last_inbox_id))
        except Exception as exc:  # noqa: BLE001 - an answer we cannot read fails this deal alone
            _note_failure(ctx, deal_id, last_inbox_id, _describe(exc), now)
    for start in range(0, len(ready), DEALS_PER_COMMIT):
        _apply(ctx, ready[start : start + DEALS_PER_COMMIT], now)
    return True


def _apply(ctx: LaneContext, deals: list[tuple[DealSnapshot, int]], now: datetime) -> None:
    """A few deals per transaction, each in a savepoint: ledger entries, their mirror, and the
    inbox rows they answer.

    Grouping only saves commits; a deal that fails is rolled back to its savepoint and retried
    later on its own, while the others commit (``sync_deal`` is state-based, so a retry replays
    harmlessly).
    """
    with ctx.db.transaction() as session:
        language = portal_language(session, ctx.portal_id)
        for snapshot, last_inbox_id in deals:
            try:
                with session.begin_nested():
                    _sync(session, ctx.portal_id, snapshot, last_inbox_id, language, now)
            except Exception as exc:  # noqa: BLE001 - one deal's failure must not cost the others
                log.warning(
                    "deal.failed",
                    extra={"portal_id": ctx.portal_id, "deal_id": snapshot.deal_id},
                    exc_info=True,
                )
                _retry_rows(session, ctx.portal_id, snapshot.deal_id, last_inbox_id, _describe(exc), now)


def _sync(
    session: Session, portal_id: int, snapshot: DealSnapshot, last_inbox_id: int, language: str, now: datetime
) -> None:
    outcome = sync_deal(session, portal_id, snapshot, now)
    views = entry_views(session, [e.id for e in outcome.entries])
    mirror.enqueue_entries(session, portal_id, views, language, now)
    session.execute(
        update(InboxEvent)
        .where(
            InboxEvent.portal_id == portal_id,
            InboxEvent.kind == "deal",
            InboxEvent.subject_id == snapshot.deal_id,
            InboxEvent.status == "pending",
            InboxEvent.id <= last_inbox_id,  # events that arrived after our read stay pending
        )
        .values(status="done", processed_at=now)
        .execution_options(synchronize_session=False)
    )


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _note_failure(ctx: LaneContext, deal_id: int, last_inbox_id: int, error: str, now: datetime) -> None:
    with ctx.db.transaction() as session:
        _retry_rows(session, ctx.portal_id, deal_id, last_inbox_id, error, now)
    log.warning("deal.read_failed", extra={"portal_id": ctx.portal_id, "deal_id": deal_id})


def _retry_rows(
    session: Session, portal_id: int, deal_id: int, last_inbox_id: int, error: str, now: datetime
) -> None:
    """The deal's pending inbox rows back off and carry the error (``failed`` after a day)."""
    rows = session.execute(
        select(InboxEvent).where(
            InboxEvent.portal_id == portal_id,
            InboxEvent.subject_id == deal_id,
            InboxEvent.status == "pending",
            InboxEvent.id <= last_inbox_id,
        )
    ).scalars()
    for row in rows:
        inbox.retry_later(row, error, now)
