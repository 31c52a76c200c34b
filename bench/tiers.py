"""Tiers benchmark: the daily pass lowers the levels of 10,000 clients whose only deal left the
12-month window today, against the default limiter.

The seed (one win each, won 12 months ago today, each client at the higher level, yesterday's run
recorded) is written straight into the database and the emulator; the pass and the delivery of
what it owes (one timeline comment per client; no notification channels) are measured: the pass's
wall time, portal requests against ⌈comments / 50⌉, ``QUERY_LIMIT_EXCEEDED`` answers and the
worker's peak RSS.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from typing import Any

from sqlalchemy import Select, func, insert, select
from sqlalchemy.orm import Session

from b24app import schedule
from b24app.models import OutboxMessage, Portal
from bench.common import Stand, settle, stand, wait_for
from bench.expiry import _peak_rss_mb, _reader
from registry.bonuses.segments import yearly
from registry.bonuses.tier_models import ClientLevel, ClientWin
from registry.program.document import save_program
from registry.services.tiers_step import DAILY, tiers_digest

LEVELS = [{"code": "base", "from": 0, "percent": 5}, {"code": "silver", "from": 1000, "percent": 7}]


def seed(s: Stand, clients: int) -> None:
    """``clients`` contacts, each with one 1,000 win from 12 months ago today, each at ``silver``."""
    now = s.app.container.clock.now()
    today = now.date()
    won_at = datetime.combine(yearly(today, today.year - 1), day_time(12), UTC)
    contacts = [_contact(s, i) for i in range(clients)]
    with s.app.db.transaction() as session:
        portal_id = session.execute(select(Portal.id)).scalar_one()
        program = save_program(
            session, portal_id, {"tiers": {"basis": "won_total_12m", "levels": LEVELS}}, "bench", now
        )
        cursor = schedule.cursor(session, portal_id, DAILY, now)
        cursor.value = f"{(today - timedelta(days=1)).isoformat()} {tiers_digest(program)}"
        session.execute(
            insert(ClientWin),
            [
                {
                    "portal_id": portal_id,
                    "deal_id": i + 1,
                    "owner_type": "contact",
                    "owner_id": c,
                    "amount": 1000,
                    "won_at": won_at,
                }
                for i, c in enumerate(contacts)
            ],
        )
        session.execute(
            insert(ClientLevel),
            [
                {
                    "portal_id": portal_id,
                    "owner_type": "contact",
                    "owner_id": c,
                    "level_code": "silver",
                    "won_total": 1000,
                    "changes": 1,
                    "updated_at": won_at,
                }
                for c in contacts
            ],
        )


def _contact(s: Stand, i: int) -> int:
    contact_id = s.portal.next_id()
    s.portal.contacts[contact_id] = {"ID": str(contact_id), "NAME": f"Client {i}"}
    return contact_id


def run(clients: int = 10_000) -> dict[str, Any]:
    s = stand(worker_process=True)
    try:
        seed(s, clients)
        settle(s.emu, s.portal)
        s.emu.reset_stats()
        start = time.monotonic()
        with s.app.db.transaction() as session:
            portal_id = session.execute(select(Portal.id)).scalar_one()
        s.app.container.jobs.enqueue_lane(portal_id, force=True)
        wait_for(lambda: _lowered(s) >= clients, timeout=3600, poll=0.2)
        passed = time.monotonic() - start
        wait_for(lambda: _pending(s) == 0, timeout=3 * 3600, poll=1.0)
        wall = time.monotonic() - start
        stats = s.emu.stats()
        assert s.process is not None
        commands = stats.batch_commands or stats.http_requests
        bound = math.ceil(clients / 50)
        return {
            "clients": clients,
            "pass_s": round(passed, 1),
            "wall_s": round(wall, 1),
            "requests": stats.http_requests,
            "commands": commands,
            "requests_vs_bound": round(stats.http_requests / bound, 3),
            "query_limit_exceeded": stats.limit_503,
            "worker_peak_rss_mb": _peak_rss_mb(s.process.pid),
        }
    finally:
        s.close()


def _lowered(s: Stand) -> int:
    return _count(s, select(func.count()).select_from(ClientLevel).where(ClientLevel.level_code == "base"))


def _pending(s: Stand) -> int:
    return _count(s, select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending"))


def _count(s: Stand, query: Select[tuple[int]]) -> int:
    # A plain read on its own engine: the benchmark must not queue for SQLite's write lock.
    with Session(_reader(s.url)) as session:
        return int(session.execute(query).scalar_one())


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m bench.tiers", description=__doc__.split("\n\n")[0])
    parser.add_argument("clients", nargs="?", type=int, default=10_000, help="clients to lower (10000)")
    print(json.dumps(run(parser.parse_args().clients), indent=2))
