"""Campaign awards (session only): who is due on a portal-day, one award each through the ledger,
and the run counts the dashboard shows.

An award is one ``campaign_awards`` row (unique per campaign, client and occurrence) and one
``campaign`` ledger entry (business key ``campaign:{code}:{type}:{id}:{occurrence}``) written in the
same transaction, with its mirror owed like any accrual: the registry item, the balance field, the
owner's timeline comment and the client's notification (event ``campaign``). A rerun, an
overlapping run or a rerun after a crash finds the row and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from b24app.db import insert_ignore
from registry.bonuses import clients, mirror
from registry.bonuses.audience import CampaignAward, CampaignRun
from registry.bonuses.segments import fires
from registry.ledger.kinds import EntryKind
from registry.ledger.models import LedgerEntry
from registry.ledger.posting import Movement, NewLot, Owner, post
from registry.ledger.views import entry_views
from registry.program.campaigns import Campaign
from registry.program.document import Program


@dataclass(frozen=True)
class Due:
    """One award owed: a campaign, a client and the occurrence it is for."""

    campaign: Campaign
    client_type: str
    client_id: int
    occurrence: date

    @property
    def key(self) -> str:
        return (
            f"campaign:{self.campaign.code}:{self.client_type}:{self.client_id}:{self.occurrence.isoformat()}"
        )


def active(program: Program, day: date) -> list[Campaign]:
    """Campaigns that can fire on ``day`` (a once-dated campaign only on its date)."""
    return [c for c in program.campaigns if c.active and (c.trigger.kind != "once" or c.trigger.on == day)]


def due_awards(
    session: Session, portal_id: int, program: Program, day: date, zone: tzinfo
) -> dict[str, list[Due]]:
    """Campaign code -> the awards due on ``day`` and not yet made, from one pass over the mirror."""
    campaigns = active(program, day)
    out: dict[str, list[Due]] = {c.code: [] for c in campaigns}
    if not campaigns:
        return out
    types = sorted({t for c in campaigns for t in c.segment.types})
    for record in clients.records(session, portal_id, types):
        for campaign in campaigns:
            when = fires(campaign, record, day, zone, program.groups)
            if when is not None:
                out[campaign.code].append(Due(campaign, record.client_type, record.client_id, when))
    for code, dues in out.items():
        made = _made(session, portal_id, code, {d.occurrence for d in dues})
        out[code] = [d for d in dues if (d.client_type, d.client_id, d.occurrence) not in made]
    return out


def _made(session: Session, portal_id: int, code: str, occurrences: set[date]) -> set[tuple[str, int, date]]:
    if not occurrences:
        return set()
    rows = session.execute(
        select(CampaignAward.client_type, CampaignAward.client_id, CampaignAward.occurrence).where(
            CampaignAward.portal_id == portal_id,
            CampaignAward.campaign == code,
            CampaignAward.occurrence.in_(sorted(occurrences)),
        )
    ).all()
    return {(t, int(i), o) for t, i, o in rows}


def award(
    session: Session, portal_id: int, program: Program, due: Due, language: str, now: datetime
) -> LedgerEntry | None:
    """Make one award (None when it was already made); the caller owns the transaction."""
    c = due.campaign
    row = {
        "portal_id": portal_id,
        "campaign": c.code,
        "client_type": due.client_type,
        "client_id": due.client_id,
        "occurrence": due.occurrence,
        "points": c.award.points,
        "entry_id": None,
        "awarded_at": now,
    }
    if not insert_ignore(session, CampaignAward.__table__, row):
        return None
    entry = post(session, portal_id, movement(due, program.version), now).entries[0]
    session.execute(
        update(CampaignAward)
        .where(
            CampaignAward.portal_id == portal_id,
            CampaignAward.campaign == c.code,
            CampaignAward.client_type == due.client_type,
            CampaignAward.client_id == due.client_id,
            CampaignAward.occurrence == due.occurrence,
        )
        .values(entry_id=entry.id)
    )
    views = entry_views(session, [entry.id])
    mirror.enqueue_entries(session, portal_id, views, language, now, notify=c.notify, program=program)
    return entry


def movement(due: Due, program_version: int) -> Movement:
    """The award as the ledger takes it: its own lifetime, legal entity and description."""
    c = due.campaign
    return Movement(
        EntryKind.CAMPAIGN,
        Owner(due.client_type, due.client_id),
        c.award.points,
        due.key,
        "system",
        f"campaign:{c.code}"[:64],
        NewLot(c.award.lifetime_days),
        reason=c.award.description or c.name,
        legal_entity_id=c.award.legal_entity,
        snapshot={
            "campaign": c.code,
            "occurrence": due.occurrence.isoformat(),
            "program_version": program_version,
        },
    )


def record_run(
    session: Session,
    portal_id: int,
    code: str,
    day: date,
    *,
    eligible: int,
    awarded: Iterable[Decimal],
    now: datetime,
) -> None:
    """Count one run of a campaign on a portal-day (reruns add to the day's row)."""
    amounts = list(awarded)
    values = {
        "portal_id": portal_id,
        "campaign": code,
        "day": day,
        "runs": 0,
        "eligible": 0,
        "awarded": 0,
        "points": Decimal("0"),
        "last_run_at": now,
    }
    insert_ignore(session, CampaignRun.__table__, values)
    run = session.execute(
        select(CampaignRun).where(
            CampaignRun.portal_id == portal_id, CampaignRun.campaign == code, CampaignRun.day == day
        )
    ).scalar_one()
    run.runs += 1
    run.eligible = max(run.eligible, eligible)
    run.awarded += len(amounts)
    run.points += sum(amounts, Decimal("0"))
    run.last_run_at = now


@dataclass(frozen=True)
class CampaignSummary:
    """What the dashboard shows of a campaign: its last run and its counts."""

    code: str
    name: str
    last_run_at: datetime | None
    last_day: date | None
    last_awarded: int
    awarded_total: int
    points_total: Decimal


def campaign_summary(session: Session, portal_id: int, program: Program) -> list[CampaignSummary]:
    """One line per campaign of the program: the last run-day and what was awarded in all."""
    totals = {
        code: (int(n), Decimal(p or 0))
        for code, n, p in session.execute(
            select(CampaignAward.campaign, func.count(), func.sum(CampaignAward.points))
            .where(CampaignAward.portal_id == portal_id)
            .group_by(CampaignAward.campaign)
        ).all()
    }
    out = []
    for c in program.campaigns:
        last = session.execute(
            select(CampaignRun)
            .where(CampaignRun.portal_id == portal_id, CampaignRun.campaign == c.code)
            .order_by(CampaignRun.day.desc())
            .limit(1)
        ).scalar_one_or_none()
        count, points = totals.get(c.code, (0, Decimal("0")))
        out.append(
            CampaignSummary(
                c.code,
                c.name,
                last.last_run_at if last else None,
                last.day if last else None,
                last.awarded if last else 0,
                count,
                points,
            )
        )
    return out
