"""The guard lane step: closed bonuses stay closed. Registry items named by update/delete events (or by
the healing pass, or the offline queue) are read back and compared with the ledger; a client's
balance field (and level field) named by a contact/company update is read back and rewritten when
it differs.

The portal is read outside any transaction (registry.sync.guard / registry.sync.healing); what differs
is owed in one short transaction (registry.bonuses.guard) and written by the outbox step that follows.
"""

from __future__ import annotations

import logging

from b24app import schedule
from b24app.lanes import LaneContext
from registry.bonuses import balance_guard, guard, guard_inbox, healing, level_guard
from registry.bonuses.target import load_target
from registry.program.document import current_program
from registry.sync.guard import changed_since, read_items, user_names
from registry.sync.healing import client_fields

log = logging.getLogger(__name__)
ROWS_PER_ROUND = 500


def guard_step(ctx: LaneContext) -> bool:
    """Lane step: registry items first, then balance fields."""
    worked = _catch_up(ctx)  # the items it finds are in the inbox for _items, whatever the agenda said
    if worked or ctx.agenda.inbox(guard_inbox.GUARD_KIND):
        worked = _items(ctx) or worked
    return _balances(ctx) or worked


def _catch_up(ctx: LaneContext) -> bool:
    """When asked (offline records that name no item): the items changed since the watermark."""
    if not ctx.agenda.schedule(guard_inbox.CATCH_UP):
        return False
    now = ctx.clock.now()
    with ctx.db.transaction() as session:
        cursor = guard_inbox.catch_up_cursor(session, ctx.portal_id, now)
        due = schedule.due(session, ctx.portal_id, cursor, now)
        # before the first catch-up: since the cursor was made (the portal's first lane run)
        since = cursor.value or (cursor.updated_at - guard_inbox.OVERLAP).isoformat()
        target = load_target(session, ctx.portal_id)
    if not due or target is None:
        return False
    ids = changed_since(ctx.client, target, since)
    with ctx.db.transaction() as session:
        guard_inbox.recheck_items(session, ctx.portal_id, ids, now, "CATCH_UP")
        cursor = guard_inbox.catch_up_cursor(session, ctx.portal_id, now)
        cursor.value, cursor.next_run_at, cursor.updated_at = (
            (now - guard_inbox.OVERLAP).isoformat(),
            guard_inbox.FAR,
            now,
        )
    return bool(ids)


def _items(ctx: LaneContext) -> bool:
    with ctx.db.transaction() as session:
        named = guard_inbox.pending(session, ctx.portal_id, ROWS_PER_ROUND)
        target = load_target(session, ctx.portal_id)
    last = named.last
    if last is None:
        return False
    if target is None or not named.items:  # echoes only, or nothing of ours to guard (any more)
        with ctx.db.transaction() as session:
            guard_inbox.mark_done(session, ctx.portal_id, guard_inbox.GUARD_KIND, last, ctx.clock.now())
        return True
    items = read_items(ctx.client, target, [i for i in named.items if i not in named.deleted])
    with ctx.db.transaction() as session:
        edits = guard.find_edits(session, ctx.portal_id, target, items)
        found = [
            *edits,
            *guard.find_deletions(session, ctx.portal_id, [i for i in named.items if i not in items]),
        ]
    names = user_names(ctx.client, [t.user_id for t in edits if t.user_id])
    now = ctx.clock.now()
    with ctx.db.transaction() as session:
        guard.owe_repairs(session, ctx.portal_id, target, found, names, now)
        guard_inbox.mark_done(session, ctx.portal_id, guard_inbox.GUARD_KIND, last, now)
    if found:
        repaired = [{"entry": t.entry_id, "item": t.item_id, "fields": list(t.fields)} for t in found]
        log.warning("guard.items_repaired", extra={"portal_id": ctx.portal_id, "items": repaired[:50]})
    return True


def _balances(ctx: LaneContext) -> bool:
    with ctx.db.transaction() as session:
        owners, last = balance_guard.balance_checks(session, ctx.portal_id, ROWS_PER_ROUND)
        program = current_program(session, ctx.portal_id)
    if last is None:
        return False
    shown = client_fields(ctx.client, owners, level_guard.level_field(program))
    now = ctx.clock.now()
    levels = {owner: fields.level for owner, fields in shown.items() if fields.level is not None}
    with ctx.db.transaction() as session:
        balances = {owner: fields.balance for owner, fields in shown.items()}
        repaired = healing.repair_balances(session, ctx.portal_id, balances, now)
        restored = level_guard.repair_levels(session, ctx.portal_id, program, levels, now)
        guard_inbox.mark_done(session, ctx.portal_id, balance_guard.BALANCE_CHECK, last, now)
    if repaired:
        log.warning("guard.balances_repaired", extra={"portal_id": ctx.portal_id, "owners": repaired[:50]})
    if restored:
        log.warning("guard.levels_repaired", extra={"portal_id": ctx.portal_id, "owners": restored[:50]})
    return True
