"""Deal reads held between a lane's turns: what the portal answered for a backlog read ahead,
kept in the database so the next turn uses it in whichever worker process runs it.

A held answer serves only while its deal's newest pending inbox row is the one it was read for
(a later event: the deal is read again) and for ``FRESH_FOR`` at most. Accruing the deal, or
backing its rows off, forgets it in the same transaction; nothing is held for long or per process.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, delete, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from b24app.db import Base

FRESH_FOR = timedelta(seconds=60)  # a read older than this is read again: its accrual was held up


class HeldDealRead(Base):
    """The portal's answer for one deal, read ahead of its accrual."""

    __tablename__ = "deal_reads"

    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), primary_key=True)
    deal_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    inbox_id: Mapped[int]  # the deal's newest pending inbox row when it was read
    read_at: Mapped[datetime]
    answer: Mapped[dict[str, Any]]  # DealAnswer: {"deal", "rows", "seller"} as the portal gave them


@dataclass(frozen=True)
class HeldAnswer:
    answer: dict[str, Any]
    read_at: datetime


def held_deals(session: Session, portal_id: int, pending: Mapping[int, int], now: datetime) -> set[int]:
    """The pending deals (deal -> newest pending inbox row) whose held read still serves; the
    reads that no longer do (a newer event, too old) are forgotten."""
    rows = session.execute(
        select(HeldDealRead.deal_id, HeldDealRead.inbox_id, HeldDealRead.read_at).where(
            HeldDealRead.portal_id == portal_id
        )
    ).all()
    fresh_after = now - FRESH_FOR
    good = {
        deal for deal, inbox_id, read_at in rows if pending.get(deal) == inbox_id and read_at >= fresh_after
    }
    stale = [
        deal for deal, _, read_at in rows if (deal in pending and deal not in good) or read_at < fresh_after
    ]
    forget(session, portal_id, stale)
    return good


def held_answers(session: Session, portal_id: int, deal_ids: Collection[int]) -> dict[int, HeldAnswer]:
    """The held answers of these deals (those ``held_deals`` said still serve)."""
    if not deal_ids:
        return {}
    rows = session.execute(
        select(HeldDealRead).where(HeldDealRead.portal_id == portal_id, HeldDealRead.deal_id.in_(deal_ids))
    ).scalars()
    return {row.deal_id: HeldAnswer(row.answer, row.read_at) for row in rows}


def hold(
    session: Session,
    portal_id: int,
    answers: Mapping[int, dict[str, Any]],
    pending: Mapping[int, int],
    now: datetime,
) -> None:
    """Keep answers just read for the deals' next turns (a deal's earlier read is replaced)."""
    if not answers:
        return
    forget(session, portal_id, list(answers))
    rows = [
        {"portal_id": portal_id, "deal_id": deal, "inbox_id": pending[deal], "read_at": now, "answer": answer}
        for deal, answer in answers.items()
    ]
    session.execute(insert(HeldDealRead), rows)


def forget(session: Session, portal_id: int, deal_ids: Collection[int]) -> None:
    """The deals' reads are used up (accrued, failed) or no longer serve."""
    if deal_ids:
        session.execute(
            delete(HeldDealRead)
            .where(HeldDealRead.portal_id == portal_id, HeldDealRead.deal_id.in_(list(deal_ids)))
            .execution_options(synchronize_session=False)
        )
