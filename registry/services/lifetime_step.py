"""The lifetime lane step: when the hourly pass is due, activate held lots, expire what is past its
date and remind clients, one chunk per transaction, with the program loaded once for the pass."""

from __future__ import annotations

from b24app.lanes import LaneContext
from registry.bonuses.lifetime import (
    CHUNK,
    CURSOR,
    INTERVAL,
    activate_chunk,
    expire_chunk,
    pass_due,
    pass_schedule,
    remind_chunk,
)
from registry.program.document import current_program


def lifetime_step(ctx: LaneContext) -> bool:
    """Lane step: when due, activate, expire and remind; True while a pass found work."""
    if not ctx.agenda.schedule(CURSOR):
        return False
    now = ctx.clock.now()
    with ctx.db.transaction() as session:
        if not pass_due(session, ctx.portal_id, now):
            return False
        program = current_program(session, ctx.portal_id)
    worked = False
    for task in (activate_chunk, expire_chunk, remind_chunk):
        while True:
            ctx.check_stop()  # a stopping worker hands back between chunks; the next run goes on
            with ctx.db.transaction() as session:
                done = task(session, ctx.portal_id, now, program)
            worked = worked or done > 0
            if done < CHUNK:
                break
            ctx.db.pause_for_writers()
    with ctx.db.transaction() as session:
        cursor = pass_schedule(session, ctx.portal_id, now)
        cursor.next_run_at, cursor.updated_at = now + INTERVAL, now
    return worked
