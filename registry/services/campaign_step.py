"""Running campaigns: the daily lane step (once per portal-day, after the client mirror's first
load) and the console's run, with a dry run that only reports.

Who is due is worked out in one read transaction from the mirror; awards are then written 100 to
a transaction, each in its own savepoint. A failing award is rolled back alone and made by the
next run; a crash loses only the open transaction, and the unique award key makes the rerun award
each client once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from b24app import schedule
from b24app.container import Container
from b24app.db import Database
from b24app.lanes import LaneContext
from registry.bonuses import campaigns
from registry.bonuses.campaigns import Due
from registry.bonuses.clients import portal_offset
from registry.bonuses.segments import local_day
from registry.bonuses.texts import portal_language
from registry.program.document import Program, current_program
from registry.services.clients_step import LOADED, is_loaded

log = logging.getLogger(__name__)
DAILY = "campaigns_daily"  # value: the last portal-day (and program version) the campaigns ran for
PER_COMMIT = 100


@dataclass
class RunReport:
    """What a run found due and what it awarded, per campaign."""

    day: date
    dry_run: bool
    due: dict[str, list[Due]] = field(default_factory=dict)
    awarded: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.awarded.values())


def run_campaigns(
    db: Database,
    portal_id: int,
    now: datetime,
    *,
    day: date | None = None,
    dry_run: bool = False,
    check_stop: Callable[[], None] = lambda: None,
) -> RunReport:
    """Award what is due on ``day`` (default: the portal's today); a dry run writes nothing."""
    with db.transaction() as session:
        program = current_program(session, portal_id)
        zone = portal_offset(session, portal_id, now)
        day = day or local_day(now, zone)
        language = portal_language(session, portal_id)
        due = campaigns.due_awards(session, portal_id, program, day, zone)  # reads only
    report = RunReport(day, dry_run, due)
    if dry_run:
        return report
    for code, dues in due.items():
        amounts: list[Decimal] = []
        for start in range(0, len(dues), PER_COMMIT):
            amounts += _award_chunk(db, portal_id, program, dues[start : start + PER_COMMIT], language, now)
            check_stop()
        with db.transaction() as session:
            campaigns.record_run(session, portal_id, code, day, eligible=len(dues), awarded=amounts, now=now)
        report.awarded[code] = len(amounts)
    log.info("campaigns.ran", extra={"portal_id": portal_id, "day": day.isoformat(), "awarded": report.total})
    return report


def _award_chunk(
    db: Database, portal_id: int, program: Program, dues: list[Due], language: str, now: datetime
) -> list[Decimal]:
    made: list[Decimal] = []
    with db.transaction() as session:
        for due in dues:
            try:
                with session.begin_nested():
                    if campaigns.award(session, portal_id, program, due, language, now) is not None:
                        made.append(due.campaign.award.points)
            except Exception:  # noqa: BLE001 - one client's failure must not cost the others
                log.warning(
                    "campaigns.award_failed",
                    extra={"portal_id": portal_id, "campaign": due.campaign.code, "client": due.client_id},
                    exc_info=True,
                )
    return made


def campaigns_step(ctx: LaneContext) -> bool:
    """Lane step: once per portal-day, once the mirror has had its first load."""
    if not ctx.agenda.schedule(DAILY):
        return False
    now = ctx.clock.now()
    with ctx.db.transaction() as session:
        if not is_loaded(schedule.cursor(session, ctx.portal_id, LOADED, now).value):
            return False
        zone = portal_offset(session, ctx.portal_id, now)
        today = local_day(now, zone)
        program = current_program(session, ctx.portal_id)
        ran = f"{today.isoformat()} v{program.version}"  # a program saved later that day runs again
        cursor = schedule.cursor(session, ctx.portal_id, DAILY, now)
        if (
            not program.campaigns
            or cursor.value == ran
            or not schedule.due(session, ctx.portal_id, cursor, now)
        ):
            return False
    report = run_campaigns(ctx.db, ctx.portal_id, now, day=today, check_stop=ctx.check_stop)
    with ctx.db.transaction() as session:
        cursor = schedule.cursor(session, ctx.portal_id, DAILY, now)
        cursor.value, cursor.updated_at = ran, now
    return report.total > 0


def summary(c: Container, portal_id: int) -> list[campaigns.CampaignSummary]:
    """For the dashboard: each campaign's last run-day and counts (``campaigns.campaign_summary``)."""
    with c.db.transaction() as session:
        return campaigns.campaign_summary(session, portal_id, current_program(session, portal_id))
