"""The healing lane step: once a day the portal is compared with the ledger and drift is repaired,
and the ledger itself is audited (the status shows the last audit).

The portal is read outside any transaction (registry.sync.healing); what differs is owed again in
one short transaction (registry.bonuses.healing).
"""

from __future__ import annotations

import logging

from b24app.lanes import LaneContext
from registry.bonuses import guard_inbox, healing
from registry.bonuses.target import load_target
from registry.ledger.audit import record_audit
from registry.sync.healing import balance_fields, item_keys

log = logging.getLogger(__name__)


def healing_step(ctx: LaneContext) -> bool:
    """Lane step: when due, repair balance fields and deleted registry items, and hand the items
    changed since the last pass (``updatedTime``) to the tamper guard."""
    if not ctx.agenda.schedule(healing.CURSOR):
        return False
    now = ctx.clock.now()
    with ctx.db.transaction() as session:
        if not healing.healing_due(session, ctx.portal_id, now):
            return False
        owners = healing.owners(session, ctx.portal_id)
        target = load_target(session, ctx.portal_id)
        since = healing.last_pass_at(session, ctx.portal_id, now) - guard_inbox.OVERLAP
    shown = balance_fields(ctx.client, owners)
    present, changed = item_keys(ctx.client, target, since) if target is not None else (None, [])
    with ctx.db.transaction() as session:
        balances = healing.repair_balances(session, ctx.portal_id, shown, now)
        items = healing.recreate_items(session, ctx.portal_id, present, now) if present is not None else []
        guard_inbox.recheck_items(
            session, ctx.portal_id, changed, now, "HEALING"
        )  # the guard step compares them
        healing.finish_pass(session, ctx.portal_id, len(balances), len(items), now)
        pruned = healing.prune_delivered(session, ctx.portal_id, now)
    with ctx.db.transaction() as session:  # a read of the whole ledger, in a transaction of its own
        differences = record_audit(session, ctx.portal_id, now)
    if differences:
        log.error("ledger.audit_differs", extra={"portal_id": ctx.portal_id, "differences": differences[:20]})
    log.info(
        "healing.done",
        extra={
            "portal_id": ctx.portal_id,
            "balances_repaired": balances[:100],
            "items_recreated": items[:100],
            "outbox_pruned": pruned,
        },
    )
    # A pass never needs an immediate second one; the items it handed over make the guard's work,
    # and a round that began before they were recorded may not have seen them.
    return bool(changed)
