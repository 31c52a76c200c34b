"""Self-healing: once a day the portal is compared with the ledger and drift is repaired.

* Balance fields: every owner's ``UF_CRM_BONUS_BALANCE`` is read (50 owners per command, 50
  commands per request) and, where someone edited it by hand, written again from the ledger.
* Registry items: the items on the portal are listed by ``xmlId``; an entry whose item is gone
  gets its item message re-armed, so the outbox creates it again.

What was repaired is logged and kept on the portal's cursor for the status command.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from b24app import schedule
from b24app.gateway import Command
from b24app.lanes import LaneContext
from b24app.models import OutboxMessage, PortalCursor
from registry import mirror
from registry.ledger_view import current_balance
from registry.models import Account
from registry.target import load_target

log = logging.getLogger(__name__)
CURSOR = "healing"
INTERVAL = timedelta(days=1)
IDS_PER_COMMAND = 50


def healing_step(ctx: LaneContext) -> bool:
    """Lane step: when due, repair balance fields and deleted registry items."""
    now = ctx.clock.now()
    with ctx.db.transaction() as session:
        if not _due(session, ctx.portal_id, now):
            return False
        accounts = [(a.owner_type, a.owner_id) for a in _accounts(session, ctx.portal_id)]
        target = load_target(session, ctx.portal_id)
    balances, items = _heal_balances(ctx, accounts, now), _heal_items(ctx, target, now)
    with ctx.db.transaction() as session:
        cursor = _cursor(session, ctx.portal_id, now)
        # The cursor keeps a one-line summary; the log has the owners and entries themselves.
        cursor.value = f"{len(balances)} balances, {len(items)} items, {now:%Y-%m-%d %H:%M}"
        cursor.next_run_at, cursor.updated_at = now + INTERVAL, now
    log.info(
        "healing.done",
        extra={
            "portal_id": ctx.portal_id,
            "balances_repaired": balances[:100],
            "items_recreated": items[:100],
        },
    )
    return False  # a pass never needs an immediate second one


def request_healing(session: Session, portal_id: int, now: datetime) -> None:
    _cursor(session, portal_id, now).next_run_at = now


def last_report(session: Session, portal_id: int) -> str | None:
    """ "3 balances, 1 items, 2026-11-23 04:00": what the last pass repaired, and when."""
    cursor = session.execute(
        select(PortalCursor).where(PortalCursor.portal_id == portal_id, PortalCursor.name == CURSOR)
    ).scalar_one_or_none()
    return cursor.value if cursor and cursor.value else None


def _heal_balances(ctx: LaneContext, accounts: list[tuple[str, int]], now: datetime) -> list[str]:
    reads: dict[str, Command] = {}
    for kind in ("contact", "company"):
        ids = [owner_id for owner_type, owner_id in accounts if owner_type == kind]
        for start in range(0, len(ids), IDS_PER_COMMAND):
            chunk = ids[start : start + IDS_PER_COMMAND]
            params = {"filter": {"@ID": chunk}, "select": ["ID", "UF_CRM_BONUS_BALANCE"], "start": -1}
            reads[f"{kind}{start}"] = Command(f"crm.{kind}.list", params)
    if not reads:
        return []
    result = ctx.client.batch_all(reads)
    repaired: list[str] = []
    with ctx.db.transaction() as session:
        for label, rows in result.results.items():
            kind = "contact" if label.startswith("contact") else "company"
            for row in rows if isinstance(rows, list) else []:
                owner_id = int(row["ID"])
                if _number(row.get("UF_CRM_BONUS_BALANCE")) != current_balance(
                    session, ctx.portal_id, kind, owner_id
                ):
                    mirror.owe_balance(session, ctx.portal_id, kind, owner_id, now)
                    repaired.append(f"{kind}:{owner_id}")
    return repaired


def _heal_items(ctx: LaneContext, target: Any, now: datetime) -> list[int]:
    if target is None:
        return []
    params = {"entityTypeId": target.entity_type_id, "select": ["id", "xmlId"]}
    present = {str(row.get("xmlId")) for row in ctx.client.list_all("crm.item.list", params, "items")}
    with ctx.db.transaction() as session:
        delivered = session.execute(
            select(OutboxMessage.id, OutboxMessage.payload).where(
                OutboxMessage.portal_id == ctx.portal_id,
                OutboxMessage.kind == "registry_item",
                OutboxMessage.status == "done",
            )
        ).all()
        missing = [
            (mid, int(p["entry_id"])) for mid, p in delivered if f"entry:{p['entry_id']}" not in present
        ]
        if missing:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([mid for mid, _ in missing]))
                .values(
                    status="pending", attempts=0, next_attempt_at=now, remote_id=None, first_failure_at=None
                )
            )
    return [entry_id for _, entry_id in missing]


def _number(raw: Any) -> Decimal | None:
    try:
        return Decimal(str(raw)).quantize(Decimal("0.01")) if raw not in (None, "") else None
    except InvalidOperation:
        return None


def _accounts(session: Session, portal_id: int) -> list[Account]:
    return list(session.execute(select(Account).where(Account.portal_id == portal_id)).scalars())


def _cursor(session: Session, portal_id: int, now: datetime) -> PortalCursor:
    # The first pass waits a day: a fresh install has nothing to heal.
    return schedule.cursor(session, portal_id, CURSOR, now, first_run=now + INTERVAL)


def _due(session: Session, portal_id: int, now: datetime) -> bool:
    return schedule.due(session, portal_id, _cursor(session, portal_id, now), now)
