"""The deal lane step: read every pending deal from the portal (outside any transaction), then make
the ledger match each one.

Deals are committed 25 to a transaction, in one savepoint: a deal that fails (a constraint, a
bug, a value nothing foresaw) rolls the group back to it, the group goes again with a savepoint
per deal, the failing deal's inbox rows retry later with the error recorded (the status shows
it), and the other deals of the group commit. Fifty events about one deal cost one read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from b24app import inbox
from b24app.gateway.client import BATCH_LIMIT
from b24app.lane_signals import LaneYield
from b24app.lanes import LaneContext
from b24app.models import InboxEvent
from registry.bonuses import held_reads, mirror, submissions
from registry.bonuses.catalog import cached_paths, store_paths
from registry.bonuses.deals import KnownStates, lock_states, owner_of, sync_deal
from registry.bonuses.rewards import sync_rewards
from registry.bonuses.texts import portal_language
from registry.ledger.account_book import lock_accounts
from registry.ledger.models import LedgerEntry
from registry.ledger.owners import Owner
from registry.ledger.views import entry_views
from registry.program.deal import DealSnapshot
from registry.program.document import Program, current_program
from registry.sync.catalog import read_paths, with_sections
from registry.sync.deals import DealReads, read_deals, snapshot_from_answer

log = logging.getLogger(__name__)
DEALS_PER_COMMIT = 25
# Requests of deal reads one step may make at once while the bucket has room; a step accrues one
# request's worth of them (well under a second), the rest are held (held_reads) for the next turns.
READ_AHEAD = 6
KEEP_FOR_WRITES = 2  # of the room, left for the first writes the accruals owe


def pending_deals(ctx: LaneContext, limit: int) -> dict[int, int]:
    """Deal id -> the newest inbox row id seen for it, oldest deals first."""
    with ctx.db.transaction() as session:
        rows = session.execute(
            select(InboxEvent.subject_id, func.max(InboxEvent.id))
            .where(inbox.is_due(ctx.portal_id, "deal", ctx.clock.now()))
            .group_by(InboxEvent.subject_id)
            .order_by(func.min(InboxEvent.id))
            .limit(limit)
        ).all()
    return {int(deal_id): int(last_id) for deal_id, last_id in rows if deal_id is not None}


def deals_step(ctx: LaneContext) -> bool:
    """Lane step: accrue the oldest pending deals, one request's worth. A backlog is read ahead
    while the bucket has room and held in the database, and this turn ends so other portals
    read theirs; the next turns (in any worker process) accrue it without reading it again."""
    if not ctx.agenda.inbox("deal"):
        return False
    pending = pending_deals(ctx, READ_AHEAD * BATCH_LIMIT)
    if not pending:
        return False
    now = ctx.clock.now()
    with ctx.db.transaction() as session:
        program = current_program(session, ctx.portal_id)  # once for the whole round
        per_request = BATCH_LIMIT // 2 if program.needs_products else BATCH_LIMIT
        head = list(pending)[:per_request]
        held = held_reads.held_deals(session, ctx.portal_id, pending, now)
        answers = held_reads.held_answers(session, ctx.portal_id, [d for d in head if d in held])
    ready = _held_snapshots(ctx, program, answers, now)
    if len(ready) < len(head):
        unread = [d for d in pending if d not in held]
        found = _read(ctx, program, unread, pending, per_request, now)
        if len(found.snapshots) > per_request:  # the backlog is read: other portals read theirs
            with ctx.db.transaction() as session:
                held_reads.hold(session, ctx.portal_id, found.answers, pending, now)
            raise LaneYield(0.0)
        ready.update(found.snapshots)
    deals = [(ready[deal_id], pending[deal_id]) for deal_id in head if deal_id in ready]
    for start in range(0, len(deals), DEALS_PER_COMMIT):
        _apply(ctx, program, deals[start : start + DEALS_PER_COMMIT], now, held)
    return True


def _held_snapshots(
    ctx: LaneContext, program: Program, answers: dict[int, held_reads.HeldAnswer], now: datetime
) -> dict[int, DealSnapshot]:
    """Snapshots of the answers held for these deals, read as they were when they were read."""
    snapshots = {d: snapshot_from_answer(d, held.answer, held.read_at) for d, held in answers.items()}
    if program.needs_sections and snapshots:
        snapshots = _add_sections(ctx, snapshots, now)
    return snapshots


def _read(
    ctx: LaneContext,
    program: Program,
    unread: list[int],
    pending: dict[int, int],
    per_request: int,
    now: datetime,
) -> DealReads:
    """The oldest unread deals, as many as the room allows up to ``READ_AHEAD`` requests (the lane
    yields when there is none), some of it left for the writes their accruals owe; failures back
    off in the inbox."""
    requests = min(READ_AHEAD, max(1, ctx.client.budget() - KEEP_FOR_WRITES))
    wanted = unread[: requests * per_request]
    found = read_deals(ctx.client, wanted, program.needs_products, now, with_seller=program.needs_seller)
    if program.needs_sections:
        found.snapshots = _add_sections(ctx, found.snapshots, now)
    for deal_id, error in found.failures.items():
        _note_failure(ctx, deal_id, pending[deal_id], error, now)
    return found


def _add_sections(
    ctx: LaneContext, snapshots: dict[int, DealSnapshot], now: datetime
) -> dict[int, DealSnapshot]:
    """Lines get their catalog sections: cached paths, the rest read from the portal and cached."""
    ids = {ln.product_id for s in snapshots.values() for ln in s.lines or () if ln.product_id}
    with ctx.db.transaction() as session:
        paths = cached_paths(session, ctx.portal_id, ids, now)
    missing = ids - set(paths)
    if missing:
        read = read_paths(ctx.client, sorted(missing))
        with ctx.db.transaction() as session:
            store_paths(session, ctx.portal_id, read, now)
        paths.update(read)
    return {d: with_sections(s, paths) for d, s in snapshots.items()}


Deals = list[tuple[DealSnapshot, int]]  # each deal's snapshot and its newest pending inbox row
SyncGroup = Callable[[Deals], None]  # some deals' accruals, in the caller's transaction


def _apply(ctx: LaneContext, program: Program, deals: Deals, now: datetime, held: set[int]) -> None:
    """A few deals per transaction: ledger entries, their mirror, and the inbox rows they answer;
    the reads held for them are used up with them (``held``).

    Grouping only saves commits and statements; a deal that fails is rolled back alone and
    retried later on its own, while the others commit (``sync_deal`` is state-based, so a
    replay is harmless).
    """
    with ctx.db.transaction() as session:
        language = portal_language(session, ctx.portal_id)

        def sync(group: Deals) -> None:
            _sync(session, ctx.portal_id, program, group, language, now)

        if not _apply_together(session, deals, sync):
            _apply_each(session, ctx.portal_id, deals, sync, now)
        held_reads.forget(session, ctx.portal_id, [s.deal_id for s, _ in deals if s.deal_id in held])


def _apply_together(session: Session, deals: Deals, sync: SyncGroup) -> bool:
    """The whole group in one savepoint (two statements, not two per deal); False when a deal
    failed: the group is rolled back to it and goes again deal by deal."""
    if len(deals) < 2:
        return False
    try:
        with session.begin_nested():
            sync(deals)
    except Exception:  # noqa: BLE001 - which deal failed is found deal by deal
        return False
    return True


def _apply_each(session: Session, portal_id: int, deals: Deals, sync: SyncGroup, now: datetime) -> None:
    """Each deal in its own savepoint: the one that fails is rolled back alone and backs off."""
    for snapshot, last_inbox_id in deals:
        try:
            with session.begin_nested():
                sync([(snapshot, last_inbox_id)])
        except Exception as exc:  # noqa: BLE001 - one deal's failure must not cost the others
            extra = {"portal_id": portal_id, "deal_id": snapshot.deal_id}
            log.warning("deal.failed", extra=extra, exc_info=True)
            _retry_rows(session, portal_id, snapshot.deal_id, last_inbox_id, _describe(exc), now)


def _sync(
    session: Session, portal_id: int, program: Program, group: Deals, language: str, now: datetime
) -> None:
    """The group's deals into the ledger, then what their entries owe the portal and the clients
    (one read of the entries, one set of outbox rows) and their inbox rows closed, all at once."""
    entries: list[LedgerEntry] = []
    known = lock_states(session, portal_id, [snapshot.deal_id for snapshot, _ in group])
    book = lock_accounts(session, portal_id, _accruing_owners(program, group, known))
    for snapshot, _ in group:
        outcome = sync_deal(session, portal_id, snapshot, now, program=program, known=known, book=book)
        if snapshot.exists:
            submissions.note_deal(session, portal_id, program, snapshot.deal_id, now)  # auto_apply approvals
        entries += outcome.entries + sync_rewards(session, portal_id, program, snapshot, now)
    session.flush()  # the group's accruals go in together; their entries get their ids
    views = entry_views(session, [e.id for e in entries])
    mirror.enqueue_entries(session, portal_id, views, language, now, program=program)
    _close_rows(session, portal_id, group, now)


def _accruing_owners(program: Program, group: Deals, known: KnownStates) -> set[Owner]:
    """The clients of the group's won deals that hold no lot yet: their accounts are locked at once."""
    owners: set[Owner] = set()
    for snapshot, _ in group:
        state = known.get(snapshot.deal_id)
        owner = owner_of(snapshot, program) if snapshot.won else None
        if owner is not None and (state is None or state.lot_id is None):
            owners.add(owner)
    return owners


def _close_rows(session: Session, portal_id: int, group: Deals, now: datetime) -> None:
    """The group's pending deal events up to each deal's read are done, in one statement; events
    that arrived after a deal was read stay pending."""
    answered = [
        and_(InboxEvent.subject_id == snapshot.deal_id, InboxEvent.id <= last_inbox_id)
        for snapshot, last_inbox_id in group
    ]
    session.execute(
        update(InboxEvent)
        .where(
            InboxEvent.portal_id == portal_id,
            InboxEvent.kind == "deal",
            InboxEvent.status == "pending",
            or_(*answered),
        )
        .values(status="done", processed_at=now)
        .execution_options(synchronize_session=False)
    )


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _note_failure(ctx: LaneContext, deal_id: int, last_inbox_id: int, error: str, now: datetime) -> None:
    with ctx.db.transaction() as session:
        _retry_rows(session, ctx.portal_id, deal_id, last_inbox_id, error, now)
        held_reads.forget(session, ctx.portal_id, [deal_id])
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
