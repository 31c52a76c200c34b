"""The approvals lane step: new requests (``bonus_request`` deliveries and deals an automatic
definition may fit), kanban moves of request items, and approved discounts applied to deals.

Each phase reads the portal first (outside any transaction: callers verified with their own
tokens, deals, product rows, catalog sections, approving departments), then handles each item in a
short transaction of its own.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select

from b24app import inbox
from b24app.gateway import BatchResult, Command
from b24app.lanes import LaneContext
from b24app.models import InboxEvent, OutboxMessage
from registry.bonuses import applying, robots, submissions
from registry.bonuses.request_models import ApprovalRequest
from registry.bonuses.requests import Ask, DealFacts
from registry.bonuses.spending import Refused
from registry.bonuses.target import load_requests_target
from registry.program.approvals import ApprovalKind, Definition, holds
from registry.program.document import Program, current_program
from registry.sync import approvals as reads
from registry.sync import callers
from registry.sync.documents import Document, document_of

log = logging.getLogger(__name__)
PER_ROUND = 50
REQUEST, MOVE, AUTO = "request", "request_move", "auto_deal"
CARD_USER = "card_user"  # a request from the card tab: the user the portal named for the frame


def approvals_step(ctx: LaneContext) -> bool:
    """Lane step: one round of each phase; True when any had work."""
    # The intake phases only when the round's agenda has inbox rows of their kind.
    worked = ctx.agenda.inbox(REQUEST) and _requests(ctx)
    worked = (ctx.agenda.inbox(MOVE) and _moves(ctx)) or worked
    worked = (ctx.agenda.inbox(AUTO) and _auto(ctx)) or worked
    return _apply(ctx) or worked


def _pending(ctx: LaneContext, kind: str) -> tuple[list[InboxEvent], Program]:
    now = ctx.clock.now()
    with ctx.db.transaction() as session:
        rows = inbox.due_rows(session, ctx.portal_id, kind, now, PER_ROUND)
        return rows, current_program(session, ctx.portal_id)


def _facts_for(
    ctx: LaneContext,
    program: Program,
    deal_ids: set[int],
    first: BatchResult,
    defs: list[Definition],
    people: bool = False,
) -> tuple[dict[int, DealFacts], BatchResult]:
    """Deals as requests see them (with catalog sections when a definition names sections)."""
    more: dict[str, Command] = reads.people_reads(d for d in defs if d.manual) if people else {}
    pids: set[int] = set()
    if any(d.sections for d in defs):
        for deal_id in deal_ids:
            pids |= reads.product_ids(first.results.get(f"p{deal_id}"))
        more |= reads.section_reads(pids)
    extra = reads.read_more(ctx.client, more)
    sections = reads.sections_from(extra, pids)
    now = ctx.clock.now()
    found = {
        d: reads.facts(d, first.results.get(f"d{d}"), first.results.get(f"p{d}"), sections, program, now)
        for d in deal_ids
    }
    return found, extra


def _requests(ctx: LaneContext) -> bool:
    rows, program = _pending(ctx, REQUEST)
    if not rows:
        return False
    docs = {row.id: document_of(row.payload) for row in rows}

    def deal_of(row: InboxEvent) -> int | None:
        doc = docs[row.id]
        return doc.id if isinstance(doc, Document) and doc.kind == "deal" else None

    robot_rows = [r for r in rows if CARD_USER not in r.payload]
    verified = callers.verify(
        ctx.client, robot_rows, lambda r: reads.deal_reads(d) if (d := deal_of(r)) else {}
    )
    card_rows = [r for r in rows if CARD_USER in r.payload]  # the web verified the frame's user
    card_reads = {k: c for r in card_rows if (d := deal_of(r)) for k, c in reads.deal_reads(d).items()}
    if card_reads:
        verified.reads.merge(ctx.client.batch_all(card_reads))
    verified.user_ids.update((r.id, int(r.payload[CARD_USER])) for r in card_rows)
    defs = [df for row in rows if (df := program.definition(_prop(row, "definition")))]
    deal_ids = {d for row in rows if row.id not in verified.refused and (d := deal_of(row))}
    facts, people = _facts_for(ctx, program, deal_ids, verified.reads, defs, people=True)
    now = ctx.clock.now()
    for row in rows:
        with ctx.db.transaction() as session:
            if row.id in verified.refused:
                robots.refuse_caller(session, ctx.portal_id, row.id, verified.refused[row.id], now)
                continue
            deal_id = deal_of(row)
            definition = program.definition(_prop(row, "definition"))
            approvers = reads.approvers_of(definition, people) if definition else []
            ask = _ask(row, f"user:{verified.user_ids[row.id]}")
            if deal_id is None or deal_id not in facts or facts[deal_id].fields == {}:
                code = "UNSUPPORTED_DOCUMENT" if deal_id is None else "DOCUMENT_NOT_FOUND"
                submissions.refuse(session, ctx.portal_id, ask.answer_to, Refused(code), now)
            else:
                submissions.submit(session, ctx.portal_id, program, ask, facts[deal_id], approvers, now)
            _done(session, row.id, now)
    return True


def _prop(row: InboxEvent, key: str) -> str:
    value = (row.payload.get("properties") or {}).get(key)
    return str(value).strip() if value is not None else ""


def _ask(row: InboxEvent, actor: str) -> Ask:
    code = _prop(row, "definition")
    value = _prop(row, "percent") or _prop(row, "amount")
    reason = _prop(row, "reason") or None
    if CARD_USER in row.payload:  # the card tab's form: no workflow waits for an answer
        return Ask(code, value, reason, actor, str(row.payload["source_key"]))
    token = str(row.payload.get("event_token") or "")
    return Ask(code, value, reason, actor, f"robot:{robots.token_hash(row.payload)}", token)


def _done(session: Any, inbox_id: int, now: datetime) -> None:
    row = session.get_one(InboxEvent, inbox_id)
    row.status, row.processed_at, row.payload = "done", now, robots.without_caller(row.payload)


def _moves(ctx: LaneContext) -> bool:
    rows, program = _pending(ctx, MOVE)
    if not rows:
        return False
    with ctx.db.transaction() as session:
        target = load_requests_target(session, ctx.portal_id)
    if target is None:
        return False
    etid = target.entity_type_id
    verified = callers.verify(ctx.client, rows, lambda r: {})
    items = ctx.client.batch_all(
        {f"i{r.id}": Command("crm.item.get", {"entityTypeId": etid, "id": r.subject_id}) for r in rows}
    )
    now = ctx.clock.now()
    for row in rows:
        item = (items.results.get(f"i{row.id}") or {}).get("item")
        error = items.errors.get(f"i{row.id}")
        with ctx.db.transaction() as session:
            if error is not None and error.code != "NOT_FOUND":
                inbox.retry_later(session.get_one(InboxEvent, row.id), f"{error.code}", now)
                continue
            request_id = _request_id(item)
            if request_id is not None and isinstance(item, dict):
                user = verified.user_ids.get(row.id)  # None: automation, or a token the portal refused
                moved_to = target.status_of(str(item.get("stageId")))
                applying.move(
                    session, ctx.portal_id, program, (etid, int(item["id"])), request_id, moved_to, user, now
                )
            _done(session, row.id, now)
    return True


def _request_id(item: Any) -> int | None:
    xml = str(item.get("xmlId") or "") if isinstance(item, dict) else ""
    number = xml.removeprefix("request:")
    return int(number) if xml.startswith("request:") and number.isdigit() and len(number) < 10 else None


def _deal_facts(
    ctx: LaneContext, program: Program, deal_ids: set[int], defs: list[Definition]
) -> dict[int, DealFacts]:
    first = ctx.client.batch_all({k: c for d in sorted(deal_ids) for k, c in reads.deal_reads(d).items()})
    return _facts_for(ctx, program, deal_ids, first, defs)[0]


def _auto(ctx: LaneContext) -> bool:
    rows, program = _pending(ctx, AUTO)
    if not rows:
        return False
    now = ctx.clock.now()
    defs = [d for d in program.approvals if d.auto_apply and d.valid_on(now.date())]
    deal_ids = {int(r.subject_id) for r in rows if r.subject_id}
    facts = _deal_facts(ctx, program, deal_ids, defs) if defs else {}
    for deal_id, fact in facts.items():
        for d in defs:
            if not fact.fields or not holds(d.auto_condition, fact.fields):
                continue
            ask = Ask(d.code, str(d.maximum), d.name, "system", f"auto:{d.code}:{deal_id}")
            with ctx.db.transaction() as session:
                submissions.submit(session, ctx.portal_id, program, ask, fact, [], now, auto=True)
    with ctx.db.transaction() as session:
        for row in rows:
            _done(session, row.id, now)
    return True


def _apply(ctx: LaneContext) -> bool:
    """Approved discounts and free periods not applied yet: one per deal a round, on fresh rows."""
    with ctx.db.transaction() as session:
        program = current_program(session, ctx.portal_id)
        busy = _deals_with_rows_owed(session, ctx.portal_id)
        due: dict[int, int] = {}
        for request in session.execute(
            select(ApprovalRequest)
            .where(
                ApprovalRequest.portal_id == ctx.portal_id,
                ApprovalRequest.status == "approved",
                ApprovalRequest.applied_at.is_(None),
                ApprovalRequest.kind != ApprovalKind.BONUS_POINTS,
            )
            .order_by(ApprovalRequest.id)
            .limit(PER_ROUND)
        ).scalars():
            if request.deal_id is not None and request.deal_id not in busy:
                due.setdefault(request.deal_id, request.id)
    if not due:
        return False
    facts = _deal_facts(ctx, program, set(due), list(program.approvals))
    now = ctx.clock.now()
    worked = False
    for deal_id, request_id in due.items():
        if not facts[deal_id].fields:
            continue  # the deal could not be read: tried again at the lane's next run
        with ctx.db.transaction() as session:
            worked = (
                applying.apply(session, ctx.portal_id, program, request_id, facts[deal_id], now) or worked
            )
    return worked


def _deals_with_rows_owed(session: Any, portal_id: int) -> set[int]:
    """Deals whose earlier row writes are not delivered yet: their rows are not fresh."""
    pending = session.execute(
        select(OutboxMessage.payload).where(
            OutboxMessage.portal_id == portal_id,
            OutboxMessage.kind == applying.ROW,
            OutboxMessage.status == "pending",
        )
    ).scalars()
    ids = {int(p["request_id"]) for p in pending}
    if not ids:
        return set()
    deals = session.execute(select(ApprovalRequest.deal_id).where(ApprovalRequest.id.in_(ids))).scalars()
    return {int(d) for d in deals if d is not None}
