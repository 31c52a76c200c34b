"""The workflow lane step: robot deliveries verified with the portal, then each handled in its own
transaction.

Each call's caller is verified first: its own access token goes to the portal with
``user.current`` and the documents it names (registry/sync/callers.py), outside any transaction;
a call the portal refuses writes nothing, and the verified user is the movement's actor. A
delivery that fails is retried alone.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from b24app import inbox
from b24app.gateway import Command
from b24app.lanes import LaneContext
from b24app.models import InboxEvent
from registry.bonuses import robots
from registry.bonuses.robots import Resolved
from registry.bonuses.spending import Refused
from registry.program.document import Program, current_program
from registry.sync import callers
from registry.sync.deals import is_not_found
from registry.sync.documents import Document, document_of, owner_of_document

log = logging.getLogger(__name__)
ROBOTS_PER_ROUND = 100


def workflow_step(ctx: LaneContext) -> bool:
    """Lane step: handle up to ``ROBOTS_PER_ROUND`` pending robot deliveries."""
    if not ctx.agenda.inbox("robot"):
        return False
    rows, program = _pending(ctx)
    if not rows:
        return False
    docs = {row.id: document_of(row.payload) for row in rows}

    def reads_of(row: InboxEvent) -> dict[str, Command]:
        doc = docs[row.id]
        command = doc.read() if isinstance(doc, Document) else None
        return {doc.label: command} if isinstance(doc, Document) and doc.label and command else {}

    verified = callers.verify(ctx.client, rows, reads_of)
    result = verified.reads
    now = ctx.clock.now()
    for row in rows:
        if row.id in verified.refused:
            with ctx.db.transaction() as session:
                robots.refuse_caller(session, ctx.portal_id, row.id, verified.refused[row.id], now)
            continue
        doc = docs[row.id]
        label = doc.label if isinstance(doc, Document) else None
        error = result.errors.get(label) if label else None
        if error is not None and not is_not_found(error):
            _retry_later(ctx, row.id, f"{error.code}: {error.description}", now)
            continue
        data = result.results.get(label) if label and error is None else None
        actor = f"user:{verified.user_ids[row.id]}"
        _handle_alone(ctx, program, row.id, doc, data, now, actor)
    return True


def _resolve(doc: Document | Refused, data: Any, program: Program, now: datetime) -> Resolved | Refused:
    if isinstance(doc, Refused):
        return doc
    try:
        return Resolved(*owner_of_document(doc, data, program, now))
    except Refused as refused:
        return refused


def _handle_alone(
    ctx: LaneContext,
    program: Program,
    inbox_id: int,
    doc: Document | Refused,
    data: Any,
    now: datetime,
    actor: str,
) -> None:
    """One delivery in its own transaction; if it fails, it alone retries (and is answered at last)."""
    try:
        resolved = _resolve(doc, data, program, now)
        with ctx.db.transaction() as session:
            robots.handle(session, ctx.portal_id, program, inbox_id, resolved, now, actor=actor)
    except Exception as exc:  # noqa: BLE001 - one delivery's failure must not hold up the others
        extra = {"portal_id": ctx.portal_id, "inbox_id": inbox_id}
        log.warning("workflow.failed", extra=extra, exc_info=True)
        with ctx.db.transaction() as session:
            robots.failed(session, ctx.portal_id, inbox_id, f"{type(exc).__name__}: {exc}", now)


def _pending(ctx: LaneContext) -> tuple[list[InboxEvent], Program]:
    now = ctx.clock.now()
    with ctx.db.transaction() as session:
        rows = inbox.due_rows(session, ctx.portal_id, "robot", now, ROBOTS_PER_ROUND)
        return rows, current_program(session, ctx.portal_id)  # once for the whole round


def _retry_later(ctx: LaneContext, inbox_id: int, error: str, now: datetime) -> None:
    with ctx.db.transaction() as session:
        inbox.retry_later(session.get_one(InboxEvent, inbox_id), error, now)
    log.warning("workflow.document_read_failed", extra={"portal_id": ctx.portal_id, "inbox_id": inbox_id})
