"""The workflow lane step: robot deliveries (``bonus_writeoff``, ``bonus_accrue``) become ledger
entries or refusals, each answered once through the outbox.

Each call's caller is verified first: its own access token goes to the portal with
``user.current`` and the documents it names (registry/callers.py); a call the portal refuses writes
nothing, and the verified user is the movement's actor. A deal's bonus owner is its company or
contact, as the program says; contacts and companies own themselves. Each delivery is handled
in one transaction: the entry, its mirror, the answer and the inbox row's status commit together,
and the entry's business key (from the ``event_token``) makes a replay write nothing new.

What a delivery carries is checked before anything is looked up: the amount is plain decimal
notation within bounds (else ``BAD_AMOUNT``), the document is a deal, contact, company or
smart-process item whose id fits the id columns and whose ``document_type`` agrees with it (else
``UNSUPPORTED_DOCUMENT`` / ``DOCUMENT_NOT_FOUND``). A delivery that still fails is retried alone;
after ``GIVE_UP_ATTEMPTS`` the workflow is answered ``INTERNAL_ERROR`` so it never waits for ever.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app import inbox, outbox
from b24app.gateway import Command
from b24app.lanes import LaneContext
from b24app.models import InboxEvent
from registry import answers, callers, mirror
from registry.callers import CALLER_TOKEN
from registry.deals import owner_of
from registry.intake import is_not_found, snapshot_from_deal
from registry.ledger import Owner, balance_of
from registry.ledger_view import entry_views
from registry.models import LedgerEntry
from registry.program import Program, current_program
from registry.spending import Movement, Refused, accrue_manually, parse_amount, write_off
from registry.texts import portal_language
from registry.values import bounded_id

log = logging.getLogger(__name__)
ROBOTS_PER_ROUND = 100
GIVE_UP_ATTEMPTS = 3
TEXT_LIMIT = 500  # what we keep of a comment or reason (the ledger's reason, the registry's REASON)
TEXT_PROPERTIES = frozenset({"comment", "reason"})
EXPIRED = "expired_token"  # the portal knows the caller's token, but it died before we asked
# api-reference/bizproc/bizproc-activity/bizproc-activity-add.md: document types of the CRM module
DOCUMENT_CLASSES = {
    "DEAL": "CCrmDocumentDeal",
    "CONTACT": "CCrmDocumentContact",
    "COMPANY": "CCrmDocumentCompany",
    "DYNAMIC": "Bitrix\\Crm\\Integration\\BizProc\\Document\\Dynamic",
}


@dataclass(frozen=True)
class Document:
    kind: str  # deal | contact | company | item
    id: int
    entity_type_id: int = 0

    @property
    def label(self) -> str | None:
        """The batch label of the read this document needs, if any."""
        if self.kind == "deal":
            return f"d{self.id}"
        return f"i{self.entity_type_id}_{self.id}" if self.kind == "item" else None

    def read(self) -> Command | None:
        if self.kind == "deal":
            return Command("crm.deal.get", {"id": self.id})
        if self.kind == "item":
            return Command("crm.item.get", {"entityTypeId": self.entity_type_id, "id": self.id})
        return None


def parse_document(parts: Any, document_type: Any = None) -> Document:
    """``["crm", "CCrmDocumentDeal", "DEAL_12"]``, ``..."CONTACT_5"``, ``..."DYNAMIC_1032_7"``.

    Refused with ``UNSUPPORTED_DOCUMENT`` for another kind of document (or one whose
    ``document_type`` names another kind) and ``DOCUMENT_NOT_FOUND`` for an id no row can have.
    """
    if not isinstance(parts, list) or len(parts) != 3:
        raise Refused("UNSUPPORTED_DOCUMENT")
    module, document_class, name = (str(p) for p in parts)
    prefix, _, rest = name.partition("_")
    if module != "crm" or DOCUMENT_CLASSES.get(prefix) != document_class:
        raise Refused("UNSUPPORTED_DOCUMENT")
    if prefix == "DYNAMIC":
        return _item(module, document_class, rest, document_type)
    if document_type is not None and document_type != [module, document_class, prefix]:
        raise Refused("UNSUPPORTED_DOCUMENT")
    document_id = bounded_id(rest)
    if document_id is None:
        raise Refused("DOCUMENT_NOT_FOUND")
    return Document(prefix.lower(), document_id)


def _item(module: str, document_class: str, rest: str, document_type: Any) -> Document:
    """A smart-process item: ``DYNAMIC_{entityTypeId}_{id}``, typed ``DYNAMIC_{entityTypeId}``."""
    type_part, _, id_part = rest.partition("_")
    if document_type is not None and document_type != [module, document_class, f"DYNAMIC_{type_part}"]:
        raise Refused("UNSUPPORTED_DOCUMENT")
    entity_type_id, item_id = bounded_id(type_part), bounded_id(id_part)
    if entity_type_id is None or item_id is None:
        raise Refused("DOCUMENT_NOT_FOUND")
    return Document("item", item_id, entity_type_id)


def _document(payload: dict[str, Any]) -> Document | Refused:
    try:
        return parse_document(payload.get("document_id"), payload.get("document_type"))
    except Refused as refused:
        return refused


def workflow_step(ctx: LaneContext) -> bool:
    """Lane step: handle up to ``ROBOTS_PER_ROUND`` pending robot deliveries."""
    rows = _pending(ctx)
    if not rows:
        return False
    docs = {row.id: _document(row.payload) for row in rows}

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
                _refuse_caller(session, ctx.portal_id, row.id, verified.refused[row.id], now)
            continue
        doc = docs[row.id]
        label = doc.label if isinstance(doc, Document) else None
        error = result.errors.get(label) if label else None
        if error is not None and not is_not_found(error):
            _retry_later(ctx, row.id, f"{error.code}: {error.description}", now)
            continue
        data = result.results.get(label) if label and error is None else None
        _handle_alone(ctx, row.id, doc, data, now, f"user:{verified.user_ids[row.id]}")
    return True


def _refuse_caller(session: Session, portal_id: int, inbox_id: int, code: str, now: datetime) -> None:
    """A call whose token the portal refused: nothing is written to the ledger.

    An expired token is one the portal issued, so the call was genuine but reached us too late:
    the workflow gets a refusal and can be started again. Any other refusal means the call did
    not come from the portal; it gets no answer, so nobody can use us to end a waiting workflow.
    """
    row = session.get(InboxEvent, inbox_id)
    if row is None or row.status != "pending":
        return
    if code == EXPIRED:
        language = portal_language(session, portal_id)
        refusal = answers.refusal(str(row.payload.get("code")), "CALLER_EXPIRED", Decimal("0"), language)
        _owe_answer(session, portal_id, row.payload, refusal, now)
        row.status = "done"
    else:
        row.status, row.error = "skipped", f"caller not verified: {code}"[:500]
        log.warning(
            "workflow.caller_refused", extra={"portal_id": portal_id, "inbox_id": inbox_id, "code": code}
        )
    row.payload, row.processed_at = _without_caller(row.payload), now


def _without_caller(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != CALLER_TOKEN}


def _handle_alone(
    ctx: LaneContext, inbox_id: int, doc: Document | Refused, data: Any, now: datetime, actor: str
) -> None:
    """One delivery in its own transaction; if it fails, it alone retries (and is answered at last)."""
    try:
        with ctx.db.transaction() as session:
            handle(session, ctx.portal_id, inbox_id, doc, data, now, actor=actor)
    except Exception as exc:  # noqa: BLE001 - one delivery's failure must not hold up the others
        extra = {"portal_id": ctx.portal_id, "inbox_id": inbox_id}
        log.warning("workflow.failed", extra=extra, exc_info=True)
        with ctx.db.transaction() as session:
            _failed(session, ctx.portal_id, inbox_id, f"{type(exc).__name__}: {exc}", now)


def _failed(session: Session, portal_id: int, inbox_id: int, error: str, now: datetime) -> None:
    row = session.get_one(InboxEvent, inbox_id)
    inbox.retry_later(row, error, now)
    if row.attempts < GIVE_UP_ATTEMPTS:
        return
    row.status, row.payload = "failed", _without_caller(row.payload)
    code = str(row.payload.get("code"))
    answer = answers.refusal(code, "INTERNAL_ERROR", Decimal("0"), portal_language(session, portal_id))
    _owe_answer(session, portal_id, row.payload, answer, now)


def _pending(ctx: LaneContext) -> list[InboxEvent]:
    now = ctx.clock.now()
    with ctx.db.transaction() as session:
        return list(
            session.execute(
                select(InboxEvent)
                .where(
                    InboxEvent.portal_id == ctx.portal_id,
                    InboxEvent.kind == "robot",
                    InboxEvent.status == "pending",
                    (InboxEvent.retry_at.is_(None)) | (InboxEvent.retry_at <= now),
                )
                .order_by(InboxEvent.id)
                .limit(ROBOTS_PER_ROUND)
            ).scalars()
        )


def handle(
    session: Session,
    portal_id: int,
    inbox_id: int,
    doc: Document | Refused,
    data: Any,
    now: datetime,
    *,
    actor: str,
) -> None:
    """One delivery, one transaction: ledger entry or refusal, mirror, answer, inbox status."""
    row = session.get(InboxEvent, inbox_id)
    if row is None or row.status != "pending":
        return
    p = row.payload
    code = str(p.get("code"))
    program = current_program(session, portal_id)
    language = portal_language(session, portal_id)
    token_hash = _token_hash(p)
    owner: Owner | None = None
    try:
        owner, deal_id, deal_amount = _owner(doc, data, program, now)
        movement = Movement(
            owner=owner,
            amount=parse_amount((p.get("properties") or {}).get("amount")),
            key=f"{code}:{token_hash}",
            actor=actor[:64],
            reason=_text(p, "reason" if code == "bonus_accrue" else "comment"),
            deal_id=deal_id,
            deal_amount=deal_amount,
        )
        entries = _move(session, portal_id, program, code, movement, now)
        moved = abs(entries[0].amount)
        answer = answers.success(code, moved, entries[-1].balance_after, language)
        views = entry_views(session, [e.id for e in entries])
        notify = str((p.get("properties") or {}).get("notify") or "none")  # the robot's choice wins
        mirror.enqueue_entries(session, portal_id, views, language, now, notify=notify)
    except Refused as refused:
        balance = balance_of(session, portal_id, owner.type, owner.id) if owner else Decimal("0")
        answer = answers.refusal(code, refused.code, balance, language, **refused.details)
        log.info("workflow.refused", extra={"portal_id": portal_id, "code": code, "error_code": refused.code})
    _owe_answer(session, portal_id, p, answer, now)
    row.status, row.processed_at, row.payload = "done", now, _without_caller(p)


def _token_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(str(payload.get("event_token")).encode()).hexdigest()


def _owe_answer(
    session: Session, portal_id: int, payload: dict[str, Any], answer: dict[str, Any], now: datetime
) -> None:
    outbox.add(
        session,
        portal_id=portal_id,
        kind="workflow_answer",
        key=f"answer:{_token_hash(payload)}",
        payload={"event_token": payload.get("event_token"), "answer": answer},
        now=now,
    )


def _owner(
    doc: Document | Refused, data: Any, program: Program, now: datetime
) -> tuple[Owner, int | None, Decimal | None]:
    if isinstance(doc, Refused):
        raise doc
    if doc.kind in ("contact", "company"):
        return Owner(doc.kind, doc.id), None, None
    if not isinstance(data, dict):
        raise Refused("DOCUMENT_NOT_FOUND")
    if doc.kind == "deal":
        deal = snapshot_from_deal(doc.id, data, now)
        owner = owner_of(deal, program)
        if owner is None:
            raise Refused("NO_CLIENT")
        return owner, doc.id, deal.amount
    item: dict[str, Any] = data["item"] if isinstance(data.get("item"), dict) else data
    company, contact = bounded_id(item.get("companyId")), bounded_id(item.get("contactId"))
    first = [("contact", contact), ("company", company)]
    if program.owner_preference == "company_first":
        first.reverse()
    for kind, owner_id in first:
        if owner_id:
            return Owner(kind, owner_id), None, None
    raise Refused("NO_CLIENT")


def _move(
    session: Session, portal_id: int, program: Program, code: str, m: Movement, now: datetime
) -> list[LedgerEntry]:
    if code == "bonus_accrue":
        return accrue_manually(session, portal_id, program, m, now)
    return [write_off(session, portal_id, program, m, now)]


def _text(payload: dict[str, Any], key: str) -> str | None:
    value = (payload.get("properties") or {}).get(key)
    return str(value).strip()[:TEXT_LIMIT] or None if value is not None else None


def _retry_later(ctx: LaneContext, inbox_id: int, error: str, now: datetime) -> None:
    with ctx.db.transaction() as session:
        inbox.retry_later(session.get_one(InboxEvent, inbox_id), error, now)
    log.warning("workflow.document_read_failed", extra={"portal_id": ctx.portal_id, "inbox_id": inbox_id})
