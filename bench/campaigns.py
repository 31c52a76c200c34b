"""Campaigns benchmark: the client mirror's first load of 10,000 contacts, then a birthday campaign
awarding the 1,000 of them whose birthday is today, against the default limiter.

Goals (issue 18): the first load in ≤ 1.1 × ⌈10,000 / 50 / 50⌉ + a few requests; the award run's
portal requests ≤ 1.1 × ⌈commands / 50⌉, zero ``QUERY_LIMIT_EXCEEDED``, worker peak RSS < 300 MB.
The contacts are put straight into the emulator (no events); the mirror is then loaded the way a
fresh install loads it, and the award run is measured from the lane's daily step to the last
registry item, balance field and timeline comment delivered (three commands an award).
"""

from __future__ import annotations

import math
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from b24app import schedule
from b24app.models import OutboxMessage, Portal, PortalCursor
from bench.common import Stand, settle, stand, wait_for
from bench.expiry import _peak_rss_mb, _reader
from registry.bonuses.audience import CampaignAward, ClientRecord
from registry.bonuses.segments import yearly
from registry.program.document import save_program
from registry.services.clients_step import LOADED

BIRTHDAY = {
    "code": "birthday",
    "name": "Birthday",
    "trigger": {"kind": "date", "field": "BIRTHDATE"},
    "segment": {"clients": "contacts", "registered_days_min": 365},
    "award": {"points": 100, "lifetime_days": 30, "legal_entity": 1, "description": "Happy birthday"},
}


def seed(s: Stand, clients: int, birthdays: int, today: date) -> None:
    """``clients`` contacts registered two years ago; ``birthdays`` of them were born on today's date."""
    created = (datetime.now(UTC) - timedelta(days=730)).replace(microsecond=0).isoformat()
    with s.emu.lock:
        for i in range(clients):
            contact_id = s.portal.next_id()
            other = today + timedelta(days=1 + i % 300)  # any day but today
            born = yearly(today if i < birthdays else other, 1960 + i % 40)
            s.portal.contacts[contact_id] = {
                "ID": str(contact_id),
                "NAME": f"Client {i}",
                "BIRTHDATE": born.isoformat(),
                "DATE_CREATE": created,
                "DATE_MODIFY": created,
                "ASSIGNED_BY_ID": 1,
            }


def _portal_id(s: Stand) -> int:
    with s.app.db.transaction() as session:
        return int(session.execute(select(Portal.id)).scalar_one())


def _measure(s: Stand, done: Any, begin: Any = None) -> dict[str, Any]:
    """Time from ``begin`` (after the portal settled and the counters were reset) until ``done``."""
    settle(s.emu, s.portal)
    s.emu.reset_stats()
    start = time.monotonic()
    if begin is not None:
        begin()
    s.app.container.jobs.enqueue_lane(_portal_id(s), force=True)
    wait_for(done, timeout=3600, poll=0.5)
    stats = s.emu.stats()
    return {
        "requests": stats.http_requests,
        "commands": stats.batch_commands or stats.http_requests,
        "query_limit_exceeded": stats.limit_503,
        "wall_s": round(time.monotonic() - start, 1),
    }


def _count(url: str, query: Any) -> Any:
    with Session(_reader(url)) as session:  # a plain read: never queue for SQLite's write lock
        return session.execute(query).scalar_one_or_none()


MIRRORED = {"code": "bench", "name": "Bench", "by": "customer", "clients": ["contact:1"]}


def first_load(s: Stand, clients: int) -> dict[str, Any]:
    """Start the mirror again from nothing and time its first load."""
    pid, now = _portal_id(s), s.app.container.clock.now()
    with s.app.db.transaction() as session:
        save_program(session, pid, {"groups": [MIRRORED]}, "bench", now)  # the mirror is kept for groups
        schedule.cursor(session, pid, LOADED, now).value = ""
    loaded = select(PortalCursor.value).where(PortalCursor.name == LOADED)
    mirrored = select(func.count()).select_from(ClientRecord)
    figures = _measure(
        s, lambda: str(_count(s.url, loaded)).startswith("done") and _count(s.url, mirrored) >= clients
    )
    bound = 1.1 * math.ceil(clients / 50 / 50)
    return {
        **figures,
        "clients": clients,
        "bound": round(bound, 1),
        "requests_minus_bound": round(figures["requests"] - bound, 1),
    }


def award_run(s: Stand, birthdays: int) -> dict[str, Any]:
    """Save the birthday campaign; the lane's daily step awards, the outbox delivers."""

    def save() -> None:  # inside the measured part: a lane woken meanwhile may award at once
        with s.app.db.transaction() as session:
            program = {"campaigns": [BIRTHDAY]}
            save_program(session, _portal_id(s), program, "bench", s.app.container.clock.now())

    awards = select(func.count()).select_from(CampaignAward)
    pending = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
    figures = _measure(s, lambda: _count(s.url, awards) >= birthdays and _count(s.url, pending) == 0, save)
    bound = 1.1 * math.ceil(figures["commands"] / 50)
    assert s.process is not None
    return {
        **figures,
        "awards": _count(s.url, awards),
        "requests_vs_bound": round(figures["requests"] / bound, 3),
        "worker_peak_rss_mb": _peak_rss_mb(s.process.pid),
    }


def run(clients: int = 10_000, birthdays: int = 1_000) -> dict[str, Any]:
    s = stand(worker_process=True)
    try:
        seed(s, clients, birthdays, datetime.now(UTC).date())
        return {"first_load": first_load(s, clients), "award_run": award_run(s, birthdays)}
    finally:
        s.close()


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m bench.campaigns", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10_000, help="contacts on the portal (10000)")
    parser.add_argument("--birthdays", type=int, default=1_000, help="of them born on today's date (1000)")
    options = parser.parse_args()
    print(json.dumps(run(options.clients, options.birthdays), indent=2))
