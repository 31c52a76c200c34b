"""Public API commands: who calls (a key), a client's balances and movements, spending, the
program. Each is one transaction; what is written is mirrored through the outbox, so the
portal's lane is woken afterwards (the web process never calls the portal)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from b24app.container import Container
from b24app.models import Portal
from registry.bonuses import api_keys, api_reads, api_spend, customer_events, preview
from registry.bonuses.api_keys import Caller
from registry.bonuses.api_spend import Answer, SpendRequest
from registry.bonuses.tiers import stored_level
from registry.ledger.posting import Owner
from registry.program.document import Program, current_program, save_program

T = TypeVar("T")


def authenticate(c: Container, token: str) -> Caller | None:
    """The caller a Bearer token names, or None (unknown, revoked, or the portal is not installed)."""
    with c.db.transaction() as session:
        key = api_keys.find(session, token)
        portal = session.get(Portal, key.portal_id) if key is not None else None
        if key is None or portal is None or portal.status != "installed":
            return None
        api_keys.touch(key, c.clock.now())
        return api_keys.caller_of(key)


def client(c: Container, caller: Caller, owner: Owner) -> dict[str, Any]:
    with c.db.transaction() as session:
        level = stored_level(session, caller.portal_id, current_program(session, caller.portal_id), owner)
        return api_reads.client(
            session, caller.portal_id, owner, c.clock.now(), level.code if level else None
        )


def movements(c: Container, caller: Caller, owner: Owner, limit: int, before: int | None) -> dict[str, Any]:
    with c.db.transaction() as session:
        return api_reads.movements(session, caller.portal_id, owner, limit, before)


def once(c: Container, work: Callable[[Session], T]) -> T:
    """Run ``work`` in a transaction; a concurrent twin that committed first (a unique key) makes
    it run once more, when it finds the twin's answer."""
    try:
        with c.db.transaction() as session:
            return work(session)
    except IntegrityError:
        with c.db.transaction() as session:
            return work(session)


def spend(c: Container, caller: Caller, request: SpendRequest) -> Answer:
    """Conflict when the idempotency key came with another body."""
    answer = once(c, lambda session: api_spend.spend(session, caller, request, c.clock.now()))
    if answer[0] == 200:
        c.jobs.enqueue_lane(caller.portal_id)  # the worker mirrors the entry to the portal
    return answer


def event(c: Container, caller: Caller, request: customer_events.EventRequest) -> Answer:
    """Conflict when the idempotency key came with another body."""
    answer = once(c, lambda session: customer_events.award(session, caller, request, c.clock.now()))
    if answer[0] == 200:
        c.jobs.enqueue_lane(caller.portal_id)
    return answer


def program(c: Container, caller: Caller) -> Program:
    with c.db.transaction() as session:
        return current_program(session, caller.portal_id)


def save_program_document(c: Container, caller: Caller, document: dict[str, Any]) -> Program:
    """ProgramError (naming the JSON path) when the document cannot be saved."""
    with c.db.transaction() as session:
        return save_program(session, caller.portal_id, document, f"api:{caller.name}", c.clock.now())


def preview_purchase(c: Container, caller: Caller, purchase: preview.Purchase) -> dict[str, Any]:
    with c.db.transaction() as session:
        program = current_program(session, caller.portal_id)
        return preview.of_purchase(session, caller.portal_id, program, purchase, c.clock.now())


def preview_deal(c: Container, caller: Caller, deal_id: int) -> dict[str, Any]:
    """UnknownDeal when the ledger has never seen the deal."""
    with c.db.transaction() as session:
        program = current_program(session, caller.portal_id)
        return preview.of_deal(session, caller.portal_id, deal_id, program, c.clock.now())
