"""The outbox machine: every owed delivery — mirror writes, workflow answers, client notifications —
claimed, delivered in shared batches, backed off, given up after a day, recorded. One loop for all.

A message is claimed by bumping ``attempts`` and pushing ``next_attempt_at`` out *before* it is
sent, so a crash mid-send means a later retry, not a loss. A message with ``attempts > 1`` may
already have reached the portal (a lost response), so its kind first looks the object up and only
writes when it is not there. Reads of every kind share batches of up to 50 commands, then writes
do; direct deliveries (SMS) run between them, outside any transaction.

Each batch settles its own messages: when one fails because the portal is unreachable, its
messages count an attempt and are due again at the lane's next run (the lane backs off), the
batches already answered are recorded, and the messages never sent get their claim back. A
message whose own data cannot be turned into a command fails alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from b24app.gateway import BatchResult, Command
from b24app.gateway.client import BATCH_LIMIT
from b24app.lanes import LaneContext
from b24app.models import OutboxMessage
from b24app.outbox.batches import alone, broken, row_values, send
from b24app.outbox.plans import Deliver, NotReady, OutboxKind, Outcome, Plan, PlanningKind, Reads, Write
from b24app.outbox.simple import prefetch, simple_plan
from b24app.outbox.store import ObjectNote, backoff, note_objects

log = logging.getLogger(__name__)
CLAIM_LIMIT = 500
BATCHES_PER_STEP = 4
WAIT_FOR_BATCHES = 8  # a backlog of this many batches or more waits for the lane's usual room
_DUE = (
    select(OutboxMessage.id)
    .where(
        OutboxMessage.portal_id == bindparam("portal_id"),
        OutboxMessage.status == "pending",
        OutboxMessage.next_attempt_at <= bindparam("now"),
    )
    .limit(WAIT_FOR_BATCHES * BATCH_LIMIT)
    .subquery()
)
_DUE_COUNT = select(func.count()).select_from(_DUE)  # built once: asked whenever a lane must wait


class OutboxStep:
    """The lane step that delivers due messages for one portal."""

    def __init__(self, kinds: Sequence[OutboxKind | PlanningKind]) -> None:
        self.kinds = {k.kind: k for k in kinds}

    def __call__(self, ctx: LaneContext) -> bool:
        now = ctx.clock.now()
        # No more than the requests the bucket allows now can deliver, a few batches at most so
        # the lane's turn ends soon; the rest stay due.
        room = ctx.client.room()
        if room == 0 and not self._wait_for_room(ctx, now):
            return False
        batches = min(max(room, 1), BATCHES_PER_STEP)
        messages = self._claim(ctx, now, min(CLAIM_LIMIT, batches * BATCH_LIMIT))
        if not messages:
            return False
        outcomes: dict[int, Outcome] = {}
        plans: dict[int, Plan] = {}
        try:
            ctx.client.budget()  # no room: the lane yields here and every claim is given back
            self._deliver(ctx, messages, plans, outcomes)
        finally:  # whatever happened, what was settled is recorded and the rest given back
            for m in messages:
                outcomes.setdefault(m.id, Outcome(released=True))
            self._record(ctx, messages, plans, outcomes, now)
        return True

    @staticmethod
    def _wait_for_room(ctx: LaneContext, now: datetime) -> bool:
        """With the bucket full: False when nothing is due, else the pacing wait (a lane yields);
        the backlog's size tells the client whether these are its last few batches, which go one
        at a time as each fits (``PortalClient.budget``). Nothing is claimed before, so nothing has
        to be given back."""
        with ctx.db.transaction() as session:
            backlog = session.execute(_DUE_COUNT, {"portal_id": ctx.portal_id, "now": now}).scalar_one()
        if not backlog:
            return False
        ctx.client.budget(wanted=-(-backlog // BATCH_LIMIT))
        return True

    def _deliver(
        self,
        ctx: LaneContext,
        messages: list[OutboxMessage],
        plans: dict[int, Plan],
        outcomes: dict[int, Outcome],
    ) -> None:
        with ctx.db.transaction() as session:
            plans.update(self._plans(session, messages, outcomes))
        self._prepare(ctx, messages, plans, outcomes)
        reads = self._read(ctx, messages, plans, outcomes)
        writes: dict[str, Write] = {}
        for m in messages:
            if m.id in outcomes:
                continue
            action = alone(m, outcomes, plans[m.id].act, reads)
            if isinstance(action, Deliver):
                ctx.check_stop()
                action = alone(m, outcomes, action.send)
            if isinstance(action, Outcome):
                outcomes[m.id] = action
            elif isinstance(action, Write):
                writes[f"m{m.id}"] = action
        self._write(ctx, messages, writes, outcomes)

    def _plans(
        self, session: Session, messages: list[OutboxMessage], outcomes: dict[int, Outcome]
    ) -> dict[int, Plan]:
        plans: dict[int, Plan] = {}
        prefetch(self.kinds, session, messages)
        for m in messages:
            kind = self.kinds.get(m.kind)
            if kind is None:
                outcomes[m.id] = Outcome(error=f"unknown outbox kind {m.kind}")
                continue
            try:
                plans[m.id] = (
                    kind.plan(session, m) if hasattr(kind, "plan") else simple_plan(kind, session, m)
                )
            except NotReady as exc:
                outcomes[m.id] = Outcome(error=f"not ready: {exc}")
            except SQLAlchemyError:
                raise  # the database, not this message: the step fails and retries
            except Exception as exc:  # noqa: BLE001 - this message's data is broken; it fails alone
                broken(m, outcomes, exc)
        return plans

    @staticmethod
    def _prepare(
        ctx: LaneContext, messages: list[OutboxMessage], plans: dict[int, Plan], outcomes: dict[int, Outcome]
    ) -> None:
        """Slow local work (rendering) outside any transaction, kept before anything is sent."""
        keep: list[Plan] = []
        for m in messages:
            plan = plans.get(m.id)
            if plan is not None and plan.prepare is not None and m.id not in outcomes:
                if alone(m, outcomes, plan.prepare):
                    keep.append(plan)
        if keep:
            with ctx.db.transaction() as session:
                for plan in keep:
                    assert plan.keep is not None
                    plan.keep(session)

    def _read(
        self,
        ctx: LaneContext,
        messages: list[OutboxMessage],
        plans: dict[int, Plan],
        outcomes: dict[int, Outcome],
    ) -> Reads:
        """Every read the planned messages need, each key read once, 50 to a batch."""
        commands: dict[str, Command] = {}
        for m in messages:
            if m.id in plans and m.id not in outcomes:
                commands.update(plans[m.id].reads)
        labels = {key: f"r{n}" for n, key in enumerate(commands)}
        needing = {
            key: [
                m for m in messages if key in plans.get(m.id, Plan(_nothing)).reads and m.id not in outcomes
            ]
            for key in commands
        }
        found = Reads()

        def settle(keys: list[str], result: BatchResult) -> None:
            for key in keys:
                if labels[key] in result.errors:
                    found.errors[key] = result.errors[labels[key]]
                elif labels[key] in result.results:
                    found.results[key] = result.results[labels[key]]

        def affected(keys: list[str]) -> list[OutboxMessage]:
            return [m for key in keys for m in needing[key]]

        send(
            ctx,
            {labels[key]: command for key, command in commands.items()},
            dict(zip(labels.values(), labels, strict=True)),
            settle,
            affected,
            outcomes,
        )
        return found

    def _write(
        self,
        ctx: LaneContext,
        messages: list[OutboxMessage],
        writes: dict[str, Write],
        outcomes: dict[int, Outcome],
    ) -> None:
        by_label = {f"m{m.id}": m for m in messages}

        def settle(labels: list[str], result: BatchResult) -> None:
            for label in (label for label in labels if label in writes):  # not the ``before`` commands
                m, write = by_label[label], writes[label]
                if label in result.errors:
                    outcome = alone(m, outcomes, write.refused, result.errors[label])
                elif label in result.results:
                    outcome = alone(m, outcomes, write.done, result.results[label])
                else:  # sent, but the batch said nothing about it: look it up next time
                    outcome = Outcome(error="no answer for the command")
                if outcome is not None:
                    outcomes[m.id] = outcome

        def affected(labels: list[str]) -> list[OutboxMessage]:
            return [by_label[label] for label in labels if label in by_label]

        commands: dict[str, Command] = {}
        for label, write in writes.items():  # a batch runs its commands in order
            if write.before is not None:
                commands[f"{label}_before"] = write.before
            commands[label] = write.command
        send(ctx, commands, {label: label for label in commands}, settle, affected, outcomes)

    def _claim(self, ctx: LaneContext, now: datetime, limit: int) -> list[OutboxMessage]:
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
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                ).scalars()
            )
            params: list[dict[str, Any]] = [
                {
                    "id": row.id,
                    "attempts": row.attempts + 1,
                    "next_attempt_at": now + backoff(row.attempts + 1),
                }
                for row in rows
            ]
            session.expunge_all()  # the rows travel on detached; the claim is one executemany
            for row, values in zip(rows, params, strict=True):
                row.attempts, row.next_attempt_at = values["attempts"], values["next_attempt_at"]
            if params:
                session.execute(update(OutboxMessage), params)
            return rows

    def _record(
        self,
        ctx: LaneContext,
        messages: list[OutboxMessage],
        plans: dict[int, Plan],
        outcomes: dict[int, Outcome],
        now: datetime,
    ) -> None:
        params = [row_values(ctx, m, outcomes[m.id], now) for m in messages]
        notes = [note for m in messages if (note := self._note(m, outcomes[m.id])) is not None]
        with ctx.db.transaction() as session:
            for columns in {tuple(sorted(p)) for p in params}:  # executemany needs one set of columns
                session.execute(update(OutboxMessage), [p for p in params if tuple(sorted(p)) == columns])
            note_objects(session, ctx.portal_id, notes, now)  # the objects created, the echoes expected
            for m, values in zip(messages, params, strict=True):
                plan, outcome = plans.get(m.id), outcomes[m.id]
                if plan is not None and plan.settle is not None and not outcome.released:
                    plan.settle(session, outcome, values.get("status", m.status), now)  # its business row

    def _note(self, m: OutboxMessage, outcome: Outcome) -> ObjectNote | None:
        """What a delivered message's kind keeps of the object it wrote (``remembered``), if anything."""
        remembered = getattr(self.kinds.get(m.kind), "remembered", None)
        if remembered is None or outcome.released or outcome.error is not None or not outcome.remote_id:
            return None
        note: ObjectNote | None = remembered(m, outcome.remote_id)
        return note


def _nothing(_: Reads) -> Outcome:
    return Outcome()
