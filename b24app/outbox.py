"""The outbox: portal writes owed, delivered at least once in shared batches, never doubled.

A message is claimed by bumping ``attempts`` and pushing ``next_attempt_at`` out *before* it is
sent, so a crash mid-send means a later retry, not a loss. A message with ``attempts > 1`` may
already have reached the portal (a lost response), so its kind first looks the object up and only
writes when it is not there. Messages of every kind share batches of up to 50 commands.

Each batch settles its own messages: when one fails because the portal is unreachable, its
messages count an attempt and are due again at the lane's next run (the lane backs off), the
batches already answered are recorded, and the messages never sent get their claim back. A
message whose own data cannot be turned into a command fails alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from b24app.db import insert_ignore
from b24app.gateway import BatchResult, Command, PortalCallError, PortalError
from b24app.gateway.client import BATCH_LIMIT
from b24app.lanes import LaneContext
from b24app.models import OutboxMessage, PortalObject

log = logging.getLogger(__name__)
CLAIM_LIMIT = 500
GIVE_UP_AFTER = timedelta(hours=24)


class NotReady(Exception):
    """The message cannot be written yet (e.g. the portal is still being provisioned): retry later."""


class OutboxKind(Protocol):
    """How one kind of message is looked up and written on the portal."""

    kind: str

    def lookup(self, session: Session, message: OutboxMessage) -> Command | None:
        """A read that finds what an earlier attempt may have created (None: nothing to look up)."""

    def found(self, message: OutboxMessage, result: Any) -> str | None:
        """The remote id if the lookup result shows the write already happened."""

    def write(self, session: Session, message: OutboxMessage) -> Command | None:
        """The write to send (None: nothing to do any more, e.g. the owner is gone)."""

    def written(self, message: OutboxMessage, result: Any) -> str | None:
        """The remote id from the write's result."""


class RecordsObjects(Protocol):
    """A kind whose delivered messages created an object on the portal that others refer to later."""

    def remember(self, session: Session, message: OutboxMessage, remote_id: str, now: datetime) -> None:
        """Keep the object's remote id (``b24app.models.PortalObject``), in the recording transaction."""


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 3600))


def add(
    session: Session, *, portal_id: int, kind: str, key: str, payload: Mapping[str, Any], now: datetime
) -> bool:
    """Owe one portal write; a message with the same key is not added twice."""
    values = {
        "portal_id": portal_id,
        "kind": kind,
        "key": key,
        "payload": dict(payload),
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }
    return insert_ignore(session, OutboxMessage.__table__, values)


def next_due(session: Session, portal_id: int, now: datetime) -> datetime | None:
    """The earliest retry of a pending message after ``now`` (a lane wake-up)."""
    at: datetime | None = session.execute(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.portal_id == portal_id,
            OutboxMessage.status == "pending",
            OutboxMessage.next_attempt_at > now,
        )
    ).scalar_one()
    return at


@dataclass
class _Outcome:
    remote_id: str | None = None
    error: str | None = None
    due_now: bool = False  # its batch found the portal unreachable: retried at the lane's next run
    released: bool = False  # never sent (an earlier batch failed): the claim is given back


Settle = Callable[[list[OutboxMessage], BatchResult], None]


class OutboxStep:
    """The lane step that delivers due messages for one portal."""

    def __init__(self, kinds: Sequence[OutboxKind]) -> None:
        self.kinds = {k.kind: k for k in kinds}

    def __call__(self, ctx: LaneContext) -> bool:
        now = ctx.clock.now()
        messages = self._claim(ctx, now)
        if not messages:
            return False
        outcomes: dict[int, _Outcome] = {}
        try:
            self._deliver(ctx, messages, outcomes)
        finally:  # whatever happened, what was settled is recorded and the rest given back
            for m in messages:
                outcomes.setdefault(m.id, _Outcome(released=True))
            self._record(ctx, messages, outcomes, now)
        return True

    def _deliver(
        self, ctx: LaneContext, messages: list[OutboxMessage], outcomes: dict[int, _Outcome]
    ) -> None:
        with ctx.db.transaction() as session:
            lookups = self._commands(session, messages, outcomes, lookup=True)

        def settle_lookups(chunk: list[OutboxMessage], found: BatchResult) -> None:
            for m in chunk:
                _alone(self._settle_lookup, m, found, outcomes)

        self._send(ctx, lookups, messages, outcomes, settle_lookups)
        with ctx.db.transaction() as session:
            pending = [m for m in messages if m.id not in outcomes]
            writes = self._commands(session, pending, outcomes, lookup=False)

        def settle_writes(chunk: list[OutboxMessage], written: BatchResult) -> None:
            for m in chunk:
                _alone(self._settle_write, m, written, outcomes)
                if m.id not in outcomes:  # sent, but the batch said nothing about it: look it up next time
                    outcomes[m.id] = _Outcome(error="no answer for the command")

        self._send(ctx, writes, messages, outcomes, settle_writes)

    @staticmethod
    def _send(
        ctx: LaneContext,
        commands: dict[str, Command],
        messages: list[OutboxMessage],
        outcomes: dict[int, _Outcome],
        settle: Settle,
    ) -> None:
        """Batches of up to 50, each settled as soon as it is answered."""
        by_label = {f"m{m.id}": m for m in messages}
        labels = list(commands)
        for start in range(0, len(labels), BATCH_LIMIT):
            ctx.check_stop()  # a stopping worker hands back here: what is unsent gets its claim back
            chunk = labels[start : start + BATCH_LIMIT]
            try:
                result = ctx.client.batch({label: commands[label] for label in chunk})
            except PortalError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
                for label in chunk:  # may have reached the portal: an attempt, looked up next time
                    outcomes[by_label[label].id] = _Outcome(error=error, due_now=True)
                raise
            settle([by_label[label] for label in chunk], result)

    def _claim(self, ctx: LaneContext, now: datetime) -> list[OutboxMessage]:
        with ctx.db.transaction() as session:
            rows = list(
                session.execute(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.portal_id == ctx.portal_id,
                        OutboxMessage.status == "pending",
                        OutboxMessage.next_attempt_at <= now,
                    )
                    .order_by(OutboxMessage.id)
                    .limit(CLAIM_LIMIT)
                    .with_for_update(skip_locked=True)
                ).scalars()
            )
            params: list[dict[str, Any]] = []
            for row in rows:
                attempts = row.attempts + 1
                params.append(
                    {"id": row.id, "attempts": attempts, "next_attempt_at": now + backoff(attempts)}
                )
            session.expunge_all()  # the rows travel on detached; the claim is one executemany
            for row, values in zip(rows, params, strict=True):
                row.attempts, row.next_attempt_at = values["attempts"], values["next_attempt_at"]
            if params:
                session.execute(update(OutboxMessage), params)
            return rows

    def _commands(
        self, session: Session, messages: list[OutboxMessage], outcomes: dict[int, _Outcome], *, lookup: bool
    ) -> dict[str, Command]:
        commands: dict[str, Command] = {}
        for m in messages:
            kind = self.kinds.get(m.kind)
            if kind is None:
                outcomes[m.id] = _Outcome(error=f"unknown outbox kind {m.kind}")
                continue
            if lookup and m.attempts <= 1:
                continue  # never sent before: nothing can exist yet
            try:
                command = kind.lookup(session, m) if lookup else kind.write(session, m)
            except NotReady as exc:
                outcomes[m.id] = _Outcome(error=f"not ready: {exc}")
                continue
            except SQLAlchemyError:
                raise  # the database, not this message: the step fails and retries
            except Exception as exc:  # noqa: BLE001 - this message's data is broken; it fails alone
                _broken(m, outcomes, exc)
                continue
            if command is not None:
                commands[f"m{m.id}"] = command
            elif not lookup:
                outcomes[m.id] = _Outcome()  # nothing left to write
        return commands

    def _settle_lookup(self, m: OutboxMessage, found: BatchResult, outcomes: dict[int, _Outcome]) -> None:
        label = f"m{m.id}"
        if label in found.errors:  # unknown whether it exists: writing now could make a twin
            outcomes[m.id] = _Outcome(error=f"lookup {found.errors[label].code}"[:500])
        elif label in found.results and m.kind in self.kinds:
            remote = self.kinds[m.kind].found(m, found.results[label])
            if remote is not None:
                outcomes[m.id] = _Outcome(remote_id=remote)

    def _settle_write(self, m: OutboxMessage, written: BatchResult, outcomes: dict[int, _Outcome]) -> None:
        label = f"m{m.id}"
        if m.id in outcomes:
            return
        error: PortalCallError | None = written.errors.get(label)
        already_done = getattr(self.kinds[m.kind], "already_done", None)
        if error is not None and already_done is not None and already_done(m, error.code):
            outcomes[m.id] = _Outcome()  # e.g. a one-shot answer whose first send got through
        elif error is not None:
            outcomes[m.id] = _Outcome(error=f"{error.code}: {error.description}"[:500])
        elif label in written.results:
            outcomes[m.id] = _Outcome(remote_id=self.kinds[m.kind].written(m, written.results[label]))

    def _record(
        self, ctx: LaneContext, messages: list[OutboxMessage], outcomes: dict[int, _Outcome], now: datetime
    ) -> None:
        params = [self._values(ctx, m, outcomes[m.id], now) for m in messages]
        with ctx.db.transaction() as session:
            for columns in {tuple(sorted(p)) for p in params}:  # executemany needs one set of columns
                session.execute(update(OutboxMessage), [p for p in params if tuple(sorted(p)) == columns])
            for m in messages:
                self._remember(session, m, outcomes[m.id], now)

    def _remember(self, session: Session, m: OutboxMessage, outcome: _Outcome, now: datetime) -> None:
        remember = getattr(self.kinds.get(m.kind), "remember", None)
        if remember is not None and outcome.error is None and not outcome.released and outcome.remote_id:
            remember(session, m, outcome.remote_id, now)

    @staticmethod
    def _values(ctx: LaneContext, m: OutboxMessage, outcome: _Outcome, now: datetime) -> dict[str, Any]:
        if outcome.released:
            return {"id": m.id, "attempts": m.attempts - 1, "next_attempt_at": now}
        if outcome.error is None:
            done = {"status": "done", "done_at": now, "remote_id": outcome.remote_id, "last_error": None}
            return {"id": m.id, **done}
        first = m.first_failure_at or now
        failed = now - first >= GIVE_UP_AFTER
        if failed:
            log.error("outbox.failed", extra={"portal_id": ctx.portal_id, "kind": m.kind, "id": m.id})
        values = {
            "id": m.id,
            "status": "failed" if failed else m.status,
            "last_error": outcome.error,
            "first_failure_at": first,
        }
        if outcome.due_now:
            values["next_attempt_at"] = now
        return values


def _alone(
    settle: Callable[[OutboxMessage, BatchResult, dict[int, _Outcome]], None],
    m: OutboxMessage,
    result: BatchResult,
    outcomes: dict[int, _Outcome],
) -> None:
    """Settle one message; an answer its kind cannot read fails that message, not the batch."""
    try:
        settle(m, result, outcomes)
    except SQLAlchemyError:
        raise
    except Exception as exc:  # noqa: BLE001 - the message's own data or answer is broken
        _broken(m, outcomes, exc)


def _broken(m: OutboxMessage, outcomes: dict[int, _Outcome], exc: Exception) -> None:
    outcomes[m.id] = _Outcome(error=f"{type(exc).__name__}: {exc}"[:500])
    log.warning("outbox.broken_message", extra={"portal_id": m.portal_id, "id": m.id, "kind": m.kind})


def remember_object(
    session: Session, portal_id: int, kind: str, key: str, remote_id: str, now: datetime
) -> None:
    """Record (or correct) the portal's id of an object we created."""
    row = session.execute(
        select(PortalObject).where(
            PortalObject.portal_id == portal_id, PortalObject.kind == kind, PortalObject.key == key
        )
    ).scalar_one_or_none()
    if row is None:
        session.add(
            PortalObject(portal_id=portal_id, kind=kind, key=key, remote_id=remote_id, created_at=now)
        )
    else:
        row.remote_id = remote_id


def remote_id_of(session: Session, portal_id: int, kind: str, key: str) -> str | None:
    found: str | None = session.execute(
        select(PortalObject.remote_id).where(
            PortalObject.portal_id == portal_id, PortalObject.kind == kind, PortalObject.key == key
        )
    ).scalar_one_or_none()
    return found


def prune(session: Session, portal_id: int, before: datetime) -> int:
    """Delete messages delivered before ``before`` (what they created is kept in ``portal_objects``)."""
    result = session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.portal_id == portal_id,
            OutboxMessage.status == "done",
            OutboxMessage.done_at < before,
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
