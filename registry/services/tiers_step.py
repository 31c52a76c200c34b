"""The tiers lane step: once per portal-day, lower (or raise) the levels the day moved.

On a 12-month basis a deal leaves the window on the day 12 months after it was won: the clients
with deals that left it since the last run are recalculated. Tiers added or changed (not merely
another program version) recalculate every client with a won deal or a level; the first run
first fills in, from the ledger, the deals won before levels existed (``tier_backfill``). 100
clients a transaction, at most 1,000 a lane turn (the run remembers the last client it finished).
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date

from b24app import schedule
from b24app.lanes import LaneContext
from registry.bonuses import tier_backfill, tiers
from registry.bonuses.clients import portal_offset
from registry.bonuses.segments import local_day
from registry.ledger.posting import Owner
from registry.program.document import Program, current_program

log = logging.getLogger(__name__)
DAILY = "tiers_daily"  # value: "{portal-day} {digest of the tiers}" of the last finished run
PROGRESS = "tiers_progress"  # value: "{that run}|{type}:{id}" of the last client a turn finished
PER_COMMIT = 100
PER_TURN = 1000  # clients per lane turn: the other steps (deals first) run between turns


def tiers_step(ctx: LaneContext) -> bool:
    """Lane step: once per portal-day (and when the tiers change) while the program has tiers;
    a long pass goes on over several turns from where the last one stopped."""
    if not ctx.agenda.schedule(DAILY):
        return False
    now = ctx.clock.now()
    with ctx.db.transaction() as session:
        program = current_program(session, ctx.portal_id)
        if program.tiers is None:
            return False
        cursor = schedule.cursor(session, ctx.portal_id, DAILY, now)
        today = local_day(now, portal_offset(session, ctx.portal_id, now))
        ran = f"{today.isoformat()} {tiers_digest(program)}"
        if cursor.value == ran or not schedule.due(session, ctx.portal_id, cursor, now):
            return False
        if not cursor.value:  # the first run: deals won before levels existed count too
            added = tier_backfill.backfill(session, ctx.portal_id)
            log.info("tiers.backfill", extra={"portal_id": ctx.portal_id, "deals": added})
        since = _last_day(cursor.value or "", program)
        owners = tiers.owners_to_check(session, ctx.portal_id, program.tiers, since, now)
        owners = _after(owners, schedule.cursor(session, ctx.portal_id, PROGRESS, now).value or "", ran)
    for start in range(0, min(len(owners), PER_TURN), PER_COMMIT):
        ctx.check_stop()  # a stopping worker hands back between chunks; the next turn goes on
        _recalculate(ctx, program, owners[start : start + PER_COMMIT], ran)
    if len(owners) <= PER_TURN:
        with ctx.db.transaction() as session:
            cursor = schedule.cursor(session, ctx.portal_id, DAILY, now)
            cursor.value, cursor.updated_at = ran, now
        log.info("tiers.daily", extra={"portal_id": ctx.portal_id, "clients": len(owners)})
    return bool(owners)


def _after(owners: list[Owner], progress: str, ran: str) -> list[Owner]:
    """The clients this run has not finished yet (``owners`` are sorted by type and id)."""
    run, _, last = progress.partition("|")
    kind, _, number = last.partition(":")
    if run != ran or not number.isdigit():
        return owners
    return [o for o in owners if (o.type, o.id) > (kind, int(number))]


def tiers_digest(program: Program) -> str:
    """What the levels depend on: another program version with the same tiers changes nothing."""
    tiers = json.dumps(program.document.get("tiers"), sort_keys=True, default=str)
    return hashlib.sha256(tiers.encode()).hexdigest()[:16]


def _last_day(value: str, program: Program) -> date | None:
    """The portal-day of the last run with these tiers (None: every client is checked)."""
    day, _, digest = value.partition(" ")
    if digest != tiers_digest(program):
        return None
    try:
        return date.fromisoformat(day)
    except ValueError:
        return None


def _recalculate(ctx: LaneContext, program: Program, owners: list[Owner], ran: str) -> None:
    """One transaction: the clients' levels and how far the run has got."""
    now = ctx.clock.now()
    with ctx.db.transaction() as session:
        shared = tiers.round_for(session, ctx.portal_id, now)
        for owner in owners:
            tiers.recalculate(session, ctx.portal_id, program, owner, now, shared)
        progress = schedule.cursor(session, ctx.portal_id, PROGRESS, now)
        progress.value, progress.updated_at = f"{ran}|{owners[-1].type}:{owners[-1].id}", now
