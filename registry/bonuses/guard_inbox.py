"""The tamper guard's work list: inbox rows naming registry items (update/delete events, the healing
pass, the offline queue, the catch-up by ``updatedTime``) and clients whose balance field is read
back; rows are marked done once what they named is compared with the ledger."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from b24app import inbox, schedule
from b24app.models import InboxEvent, PortalCursor
from registry.bonuses.echoes import ITEM_ECHO, take_echoes

GUARD_KIND = "registry_guard"  # inbox kind: ONCRMDYNAMICITEM{UPDATE,DELETE}_{registry type}
CATCH_UP = "guard_catch_up"
OVERLAP = timedelta(minutes=5)  # the portal's clock and ours differ a little
FAR = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Pending:
    """Registry items to read back (the newest row looked at is ``last``; rows up to it are done once
    they are compared), and those named by a delete event."""

    items: list[int]
    deleted: frozenset[int]
    last: int | None


def pending(session: Session, portal_id: int, limit: int) -> Pending:
    """The items named by pending rows, but for an update event that is the echo of our own write."""
    rows = session.execute(
        select(InboxEvent.id, InboxEvent.subject_id, InboxEvent.event, InboxEvent.received_at)
        .where(
            InboxEvent.portal_id == portal_id, InboxEvent.kind == GUARD_KIND, InboxEvent.status == "pending"
        )
        .order_by(InboxEvent.id)
        .limit(limit)
    ).all()
    named = [(int(subject), str(event), at) for _, subject, event, at in rows if subject is not None]
    deleted = {subject for subject, event, _ in named if "DELETE" in event}
    updates = [(subject, event, at) for subject, event, at in named if "DELETE" not in event]
    # An update event the portal sent may be our echo; a recheck we recorded (healing, catch-up) is not.
    sent = [(subject, at) for subject, event, at in updates if event.startswith("ONCRM")]
    echoes = take_echoes(session, portal_id, (ITEM_ECHO,), [(str(subject), at) for subject, at in sent])
    edited = {subject for (subject, _), echo in zip(sent, echoes, strict=True) if not echo}
    recorded = {subject for subject, event, _ in updates if not event.startswith("ONCRM")}
    changed = recorded | edited
    last = max(int(row[0]) for row in rows) if rows else None
    return Pending(sorted(changed | deleted), frozenset(deleted), last)


def mark_done(
    session: Session,
    portal_id: int,
    kind: str,
    last: int,
    now: datetime,
    subjects: Sequence[int] | None = None,
) -> None:
    """Rows (about ``subjects``, or all) up to ``last`` are handled (later ones came after our read)."""
    rows = update(InboxEvent).where(
        InboxEvent.portal_id == portal_id,
        InboxEvent.kind == kind,
        InboxEvent.status == "pending",
        InboxEvent.id <= last,
    )
    if subjects is not None:
        rows = rows.where(InboxEvent.subject_id.in_(list(subjects)))
    session.execute(rows.values(status="done", processed_at=now).execution_options(synchronize_session=False))


def recheck_items(
    session: Session, portal_id: int, item_ids: Sequence[int], now: datetime, event: str
) -> None:
    """Items to compare with the ledger as if their update events had come (events are never retried:
    the healing pass, the offline queue and the catch-up name the ones that may have been lost)."""
    for item_id in item_ids:
        inbox.record(
            session,
            portal_id=portal_id,
            kind=GUARD_KIND,
            event=event,
            subject_id=item_id,
            payload={"item_id": item_id},
            received_at=now,
        )


def request_catch_up(session: Session, portal_id: int, now: datetime) -> None:
    """Make the guard list the items changed since its watermark (offline records naming no item)."""
    catch_up_cursor(session, portal_id, now).next_run_at = now


def catch_up_cursor(session: Session, portal_id: int, now: datetime) -> PortalCursor:
    """Due only when asked; its value is the ``updatedTime`` watermark (ISO), empty before the first."""
    return schedule.cursor(session, portal_id, CATCH_UP, now, first_run=FAR)
