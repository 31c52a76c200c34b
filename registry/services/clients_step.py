"""The clients lane step: the local mirror of the portal's contacts and companies.

First a full load (chained list pages, 2,500 clients a request); then client events (they carry
only ids: the clients are read back 50 ids to a list command, 50 commands to a request), an hourly
catch-up by ``updatedTime`` (events are never retried, so a lost one is found here, and the
portal's UTC offset is read in the same batch) and a daily id sweep that finds deletions.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from b24app import schedule
from b24app.gateway import Command
from b24app.lanes import LaneContext
from b24app.models import InboxEvent, PortalCursor
from registry.bonuses import client_names
from registry.bonuses import clients as mirror
from registry.bonuses.client_names import Owner
from registry.bonuses.clients import ClientRow
from registry.program.campaigns import uf_fields
from registry.program.document import Program, current_program
from registry.sync.clients import Listing, by_ids, chained_pages, parse_row

log = logging.getLogger(__name__)
KIND = "client"  # inbox kind of ONCRMCONTACT* / ONCRMCOMPANY*
LOADED = "clients_loaded"  # "done {hash of the UFs held}" once a full load finished
CATCH_UP = "clients_catch_up"  # value: the updatedTime watermark
SWEEP = "clients_sweep"
CATCH_UP_EVERY = timedelta(hours=1)
SWEEP_EVERY = timedelta(days=1)
OVERLAP = timedelta(minutes=5)
EVENTS_PER_ROUND = 2500
TYPES = ("contact", "company")


def client_type_of(event: str) -> str | None:
    name = event.upper()
    return (
        "contact"
        if name.startswith("ONCRMCONTACT")
        else "company"
        if name.startswith("ONCRMCOMPANY")
        else None
    )


def clients_step(ctx: LaneContext) -> bool:
    """Lane step: first load, then events, catch-up and sweep when due."""
    now = ctx.clock.now()
    with ctx.db.transaction() as session:
        program = current_program(session, ctx.portal_id)
        if not needs_mirror(program):
            _drop_events(session, ctx.portal_id, now)
            return False
        ufs = sorted(uf_fields(program.campaigns))
        row = schedule.cursor(session, ctx.portal_id, LOADED, now)
        if not schedule.due(session, ctx.portal_id, row, now):
            return False  # not installed (or uninstalled): nothing to mirror
        loaded = row.value == loaded_mark(ufs)
    if not loaded:  # never loaded, or the program now reads other UFs: load everything again
        first_load(ctx, ufs)
        return True
    worked = _events(ctx, ufs)
    worked = _catch_up(ctx, ufs) or worked
    return _sweep(ctx) or worked


def needs_mirror(program: Program) -> bool:
    """Only campaigns and customer groups read the mirror. Without them it is not kept: most client
    events are the portal's echo of our own balance-field writes, and reading each back would cost
    every portal requests for nothing. Once a program has them, the first load (or the catch-up from
    the last watermark, and the sweep) brings the mirror up to date."""
    return bool(program.campaigns or program.groups)


def _drop_events(session: Session, portal_id: int, now: datetime) -> None:
    session.execute(
        update(InboxEvent)
        .where(InboxEvent.portal_id == portal_id, InboxEvent.kind == KIND, InboxEvent.status == "pending")
        .values(status="done", processed_at=now)
        .execution_options(synchronize_session=False)
    )


def loaded_mark(ufs: Sequence[str]) -> str:
    """The loaded cursor's value: "done" and which UFs the mirror holds (a new one means a reload)."""
    return f"done {hashlib.sha256(','.join(ufs).encode()).hexdigest()[:16]}"


def is_loaded(value: str | None) -> bool:
    return bool(value) and str(value).startswith("done")


def _read_all(
    ctx: LaneContext, listing: Listing, extras: dict[str, Any] | None = None, first_pages: int = 50
) -> int:
    """Store every page of ``listing`` as it arrives (one short transaction a page)."""
    count = 0
    for rows in chained_pages(ctx.client, listing, extras, first_pages=first_pages):
        parsed = [r for r in (parse_row(listing.client_type, item, listing.ufs) for item in rows) if r]
        with ctx.db.transaction() as session:
            mirror.store(session, ctx.portal_id, parsed, ctx.clock.now())
            _names(session, ctx.portal_id, parsed, (), ctx.clock.now())
        count += len(parsed)
        ctx.check_stop()
    return count


def first_load(ctx: LaneContext, ufs: Sequence[str]) -> int:
    """Every contact and company; the watermarks start from the load's start."""
    started = ctx.clock.now()
    extras: dict[str, Any] = {"time": Command("server.time")}
    count = _read_all(ctx, Listing("contact", ufs), extras)
    count += _read_all(ctx, Listing("company", ufs))
    with ctx.db.transaction() as session:
        _offset(session, ctx.portal_id, extras.get("time"), started)
        schedule.cursor(session, ctx.portal_id, LOADED, started).value = loaded_mark(ufs)
        catch_up = schedule.cursor(session, ctx.portal_id, CATCH_UP, started)
        catch_up.value, catch_up.next_run_at = (started - OVERLAP).isoformat(), started + CATCH_UP_EVERY
        schedule.cursor(session, ctx.portal_id, SWEEP, started).next_run_at = started + SWEEP_EVERY
    log.info("clients.loaded", extra={"portal_id": ctx.portal_id, "clients": count})
    return count


def _offset(session: Session, portal_id: int, answer: object, now: datetime) -> None:
    if isinstance(answer, str) and len(answer) >= 25:  # 2026-12-01T10:00:00+03:00
        mirror.remember_offset(session, portal_id, answer[-6:], now)


def _pending(ctx: LaneContext) -> dict[tuple[str, int], int]:
    """(client type, id) -> the newest inbox row id of its pending events."""
    with ctx.db.transaction() as session:
        rows = session.execute(
            select(InboxEvent.id, InboxEvent.event, InboxEvent.subject_id)
            .where(
                InboxEvent.portal_id == ctx.portal_id,
                InboxEvent.kind == KIND,
                InboxEvent.status == "pending",
            )
            .order_by(InboxEvent.id)
            .limit(EVENTS_PER_ROUND)
        ).all()
    out: dict[tuple[str, int], int] = {}
    for row_id, event, subject in rows:
        client_type = client_type_of(str(event))
        if client_type and subject is not None:
            out[(client_type, int(subject))] = int(row_id)
    return out


def _events(ctx: LaneContext, ufs: Sequence[str]) -> bool:
    """Read back the clients events named; the ones the portal no longer has are forgotten."""
    pending = _pending(ctx)
    if not pending:
        return False
    now = ctx.clock.now()
    for client_type in TYPES:
        ids = sorted(i for t, i in pending if t == client_type)
        if not ids:
            continue
        items = by_ids(ctx.client, client_type, ids, ufs)
        rows = [r for r in (parse_row(client_type, item, ufs) for item in items) if r]
        gone = set(ids) - {r.client_id for r in rows}
        with ctx.db.transaction() as session:
            mirror.store(session, ctx.portal_id, rows, now)
            mirror.forget(session, ctx.portal_id, client_type, gone)
            _names(session, ctx.portal_id, rows, [(client_type, i) for i in gone], now)
            _done(session, ctx.portal_id, client_type, ids, max(pending.values()), now)
    return True


def _names(
    session: Session, portal_id: int, rows: Sequence[ClientRow], gone: Sequence[Owner], now: datetime
) -> None:
    """The names just read refresh the main page's (registry.bonuses.client_names): no read of its own."""
    names: dict[Owner, str | None] = {(r.client_type, r.client_id): r.name for r in rows}
    client_names.refresh(session, portal_id, {**names, **dict.fromkeys(gone)}, now)


def _done(
    session: Session, portal_id: int, client_type: str, ids: list[int], last: int, now: datetime
) -> None:
    prefix = "ONCRMCONTACT%" if client_type == "contact" else "ONCRMCOMPANY%"
    session.execute(
        update(InboxEvent)
        .where(
            InboxEvent.portal_id == portal_id,
            InboxEvent.kind == KIND,
            InboxEvent.status == "pending",
            InboxEvent.event.like(prefix),
            InboxEvent.subject_id.in_(ids),
            InboxEvent.id <= last,  # events that arrived after our read stay pending
        )
        .values(status="done", processed_at=now)
        .execution_options(synchronize_session=False)
    )


def _due(ctx: LaneContext, name: str, now: datetime) -> PortalCursor | None:
    with ctx.db.transaction() as session:
        row = schedule.cursor(session, ctx.portal_id, name, now)
        if not schedule.due(session, ctx.portal_id, row, now):
            return None
        session.expunge(row)
        return row


def _catch_up(ctx: LaneContext, ufs: Sequence[str]) -> bool:
    """Clients changed since the watermark (lost events), and the portal's clock."""
    now = ctx.clock.now()
    row = _due(ctx, CATCH_UP, now)
    if row is None:
        return False
    since = row.value or (now - CATCH_UP_EVERY).isoformat()
    extras: dict[str, Any] = {"time": Command("server.time")}
    changed = _read_all(ctx, Listing("contact", ufs, {">=updatedTime": since}), extras, first_pages=1)
    changed += _read_all(ctx, Listing("company", ufs, {">=updatedTime": since}), first_pages=1)
    with ctx.db.transaction() as session:
        _offset(session, ctx.portal_id, extras.get("time"), now)
        cursor = schedule.cursor(session, ctx.portal_id, CATCH_UP, now)
        cursor.value, cursor.next_run_at, cursor.updated_at = (
            (now - OVERLAP).isoformat(),
            now + CATCH_UP_EVERY,
            now,
        )
    return changed > 0


def _sweep(ctx: LaneContext) -> bool:
    """Every id the portal has, diffed against the mirror: deletions no event told us about."""
    now = ctx.clock.now()
    if _due(ctx, SWEEP, now) is None:
        return False
    removed = 0
    for client_type in TYPES:
        present: set[int] = set()
        for rows in chained_pages(ctx.client, Listing(client_type, ids_only=True)):
            present.update(int(r["id"]) for r in rows)
        with ctx.db.transaction() as session:
            gone = mirror.known_ids(session, ctx.portal_id, client_type, synced_before=now) - present
            removed += mirror.forget(session, ctx.portal_id, client_type, gone)
    with ctx.db.transaction() as session:
        cursor = schedule.cursor(session, ctx.portal_id, SWEEP, now)
        cursor.next_run_at, cursor.updated_at = now + SWEEP_EVERY, now
    return removed > 0


def request_catch_up(session: Session, portal_id: int, now: datetime) -> None:
    """Make the next lane run catch up and sweep at once (console, tests)."""
    for name in (CATCH_UP, SWEEP):
        schedule.cursor(session, portal_id, name, now).next_run_at = now
