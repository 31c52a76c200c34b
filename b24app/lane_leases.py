"""Lane leases: one holder per portal across every worker process, short, renewed, taken over on expiry."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, case, select, update
from sqlalchemy.orm import Session

from b24app.clock import Clock
from b24app.db import Database, insert_ignore
from b24app.models import LaneLease

log = logging.getLogger(__name__)


class LeaseBook:
    """The leases this process holds; ``renew_held`` is the heartbeat that keeps them alive.

    A lease lives ``seconds`` unless renewed. The worker renews every lease it holds a few times
    per lifetime from one thread (not one per portal), so a run may take as long as it needs,
    while a SIGKILLed process's leases run out within ``seconds`` and ``revive_expired`` hands
    their portals to a live worker.
    """

    def __init__(self, db: Database, clock: Clock, seconds: int) -> None:
        self.db = db
        self.clock = clock
        self.seconds = seconds
        self._held: dict[int, str] = {}
        self._lost: set[str] = set()  # holders whose lease the heartbeat found taken over
        self._resume: dict[str, int] = {}  # holder -> the step its run starts at (from the lease)
        # Holder -> when (monotonic) its lease runs out unless renewed: a process that stalled
        # past it (SIGSTOP, swapping, a starved heartbeat) stops before the heartbeat runs again.
        self._fresh_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def _expiry(self) -> datetime:
        return self.clock.now() + timedelta(seconds=self.seconds)

    def acquire(self, portal_id: int, holder: str) -> bool:
        now = self.clock.now()
        with self.db.transaction() as session:
            insert_ignore(
                session, LaneLease.__table__, {"portal_id": portal_id, "queued": False, "failures": 0}
            )
            free = (LaneLease.holder.is_(None)) | (LaneLease.expires_at < now)
            stmt = update(LaneLease).where(LaneLease.portal_id == portal_id, free)
            values = {"holder": holder, "expires_at": self._expiry(), "queued": False}
            resume = session.execute(stmt.values(**values).returning(LaneLease.resume_step)).scalar()
            acquired = resume is not None
            if acquired:  # a wake-up that has come is used up by this run
                woken = update(LaneLease).where(LaneLease.portal_id == portal_id, LaneLease.wake_at <= now)
                session.execute(woken.values(wake_at=None))
        if acquired:
            with self._lock:
                self._held[portal_id] = holder
                self._fresh_until[holder] = time.monotonic() + self.seconds
                self._resume[holder] = int(resume or 0)
        return acquired

    def resume_step(self, holder: str) -> int:
        """The step a run that just acquired its lease starts at (0 unless a turn ran out)."""
        with self._lock:
            return self._resume.pop(holder, 0)

    def renew(self, portal_id: int, holder: str) -> bool:
        """Between rounds: the lease lives on; False when another worker has taken it over."""
        if self.lost(holder):
            return False
        fresh_until = time.monotonic() + self.seconds
        with self.db.transaction() as session:
            stmt = update(LaneLease).where(LaneLease.portal_id == portal_id, LaneLease.holder == holder)
            renewed = session.execute(stmt.values(expires_at=self._expiry())).rowcount  # type: ignore[attr-defined]
        if not renewed:
            self._lose(portal_id, holder)
            return False
        self._refresh(portal_id, holder, fresh_until)
        return True

    def lost(self, holder: str) -> bool:
        """Whether this holder's lease was taken over, or ran out unrenewed (no query)."""
        return holder in self._lost or time.monotonic() > self._fresh_until.get(holder, float("inf"))

    def renew_held(self) -> int:
        """The heartbeat: every lease this process holds lives ``seconds`` more (one statement).

        A lease that is no longer ours (this process stalled past its expiry, and another worker
        took the lane over) is not renewed: its run is told to stop at its next safe point.
        """
        with self._lock:
            held = dict(self._held)
        if not held:
            return 0
        fresh_until = time.monotonic() + self.seconds
        with self.db.transaction() as session:
            stmt = update(LaneLease).where(LaneLease.holder.in_(list(held.values())))
            renewed = set(
                session.execute(stmt.values(expires_at=self._expiry()).returning(LaneLease.holder)).scalars()
            )
        for portal_id, holder in held.items():
            if holder in renewed:
                self._refresh(portal_id, holder, fresh_until)
            else:
                self._lose(portal_id, holder)
        return len(renewed)

    def _refresh(self, portal_id: int, holder: str, fresh_until: float) -> None:
        with self._lock:
            if self._held.get(portal_id) == holder:  # not released meanwhile (no stale entry left)
                self._fresh_until[holder] = fresh_until

    def _lose(self, portal_id: int, holder: str) -> None:
        with self._lock:
            if self._held.get(portal_id) != holder or holder in self._lost:
                return  # released meanwhile: nothing was lost; or told already (a run busy past it)
            self._lost.add(holder)
        log.warning("lane.lease_lost", extra={"portal_id": portal_id, "holder": holder})

    def forget(self, portal_id: int, holder: str) -> None:
        """A run that lost its lease ends without touching the lease row (the new holder's now)."""
        with self._lock:
            if self._held.get(portal_id) == holder:
                del self._held[portal_id]
            self._lost.discard(holder)
            self._fresh_until.pop(holder, None)
            self._resume.pop(holder, None)

    def release(
        self, portal_id: int, holder: str, error: str | None, *, due: datetime | None, resume_step: int = 0
    ) -> tuple[int, bool]:
        """Give the lease back; ``due``: the lane has work left and a run is scheduled for then;
        ``resume_step``: the step the next run starts at.

        The queued flag goes up with it, so events arriving meanwhile join that run instead of
        queueing their own. Returns the failures in a row and whether the flag was already up:
        work arrived during the run, and the job queued for it found the lane held.
        """
        self.forget(portal_id, holder)
        with self.db.transaction() as session:
            lease = session.execute(
                select(LaneLease).where(LaneLease.portal_id == portal_id).with_for_update()
            ).scalar_one()
            if lease.holder == holder:
                lease.holder, lease.expires_at, lease.resume_step = None, None, resume_step
            queued_meanwhile = bool(lease.queued)
            lease.failures = lease.failures + 1 if error else 0
            lease.last_error = error
            if due is not None:
                lease.queued = True
            if lease.queued:  # a run is scheduled for ``due``, or queued now for work that came
                due = due or self.clock.now()
                if lease.wake_at is None or lease.wake_at > due:
                    lease.wake_at = due
            return lease.failures, queued_meanwhile

    def revive_expired(self) -> list[int]:
        """Portals whose holder died (its lease ran out): each is claimed by exactly one caller.

        The dead holder is cleared and the queued flag raised in one conditional update, so when
        several workers look at once only one of them enqueues the portal's next run.
        """
        now = self.clock.now()
        table = cast(Table, LaneLease.__table__)
        with self.db.transaction() as session:
            rows = session.execute(
                select(table.c.portal_id, table.c.holder).where(
                    table.c.holder.is_not(None), table.c.expires_at < now
                )
            ).all()
            revived = [pid for pid, holder in rows if _claim(session, table, pid, holder, now)]
        return revived

    def revive_overdue(self, grace: float) -> list[int]:
        """Portals whose run came due more than ``grace`` seconds ago and never started: its job
        went down with a worker that had taken it (off the queue or the schedule) and died before
        running it, and the raised flag keeps new events from queueing another. Each is claimed by
        one caller, whose run is then due now (should that job be lost too, it is found again)."""
        now = self.clock.now()
        late = now - timedelta(seconds=grace)
        # One conditional UPDATE claims them all: a row another worker claimed first is no longer late.
        claim = (
            update(_LEASES)
            .where(_LEASES.c.holder.is_(None), _LEASES.c.wake_at < late)
            .values(queued=True, wake_at=now)
            .returning(_LEASES.c.portal_id)
        )
        with self.db.transaction() as session:
            return sorted(session.connection().execute(claim).scalars())


_LEASES = cast(Table, LaneLease.__table__)
# Core statements built once, not the ORM: this runs on every inbound event and must stay cheap.
_FLAGS = select(_LEASES.c.queued, _LEASES.c.holder).where(_LEASES.c.portal_id == bindparam("portal_id"))
# An UPDATE's bound names must not be its columns' (SQLAlchemy keeps those for the SET clause).
_RAISE_HELD = (
    update(_LEASES)
    .where(_LEASES.c.portal_id == bindparam("row_portal"), _LEASES.c.holder == bindparam("row_holder"))
    .values(queued=True)
)
_RAISE = (
    update(_LEASES)
    .where(_LEASES.c.portal_id == bindparam("row_portal"), _LEASES.c.queued.is_(False))
    .values(
        queued=True,
        wake_at=case(
            (_LEASES.c.wake_at.is_(None), bindparam("row_due")),
            (_LEASES.c.wake_at > bindparam("row_due"), bindparam("row_due")),
            else_=_LEASES.c.wake_at,
        ),
    )
)


def raise_queued(session: Session, portal_id: int, now: datetime) -> bool:
    """Raise the lane's queued flag; True when the caller is to queue a run for it.

    Not when the flag was up (a job waits already), and not while a run holds the lane: a job
    queued now would find it held and retry seconds later, and as new work it would jump ahead of
    the turns of other busy portals; the holder sees the flag when it gives the lane back
    (``release``) and queues the next run as a turn. Should the holder give it back between our
    read and our write, the write matches no row and a job is queued as usual. A job queued here
    is due ``now`` (``wake_at``): if a worker dies with it, ``revive_overdue`` finds it late.
    """
    connection = session.connection()
    row = connection.execute(_FLAGS, {"portal_id": portal_id}).one_or_none()
    if row is None:
        values = {"portal_id": portal_id, "queued": True, "failures": 0, "wake_at": now}
        insert_ignore(session, _LEASES, values)
        return True
    if row.queued:
        return False
    if row.holder is not None:
        if connection.execute(_RAISE_HELD, {"row_portal": portal_id, "row_holder": row.holder}).rowcount:
            return False
    return bool(connection.execute(_RAISE, {"row_portal": portal_id, "row_due": now}).rowcount)


def _claim(session: Session, table: Table, portal_id: int, holder: str, now: datetime) -> bool:
    # Still the same holder and still expired: a slow holder that renewed meanwhile keeps its lane.
    stmt = (
        update(table)
        .where(table.c.portal_id == portal_id, table.c.holder == holder, table.c.expires_at < now)
        .values(holder=None, expires_at=None, queued=True, wake_at=now)
    )
    return bool(session.connection().execute(stmt).rowcount)
