"""Plans for simple kinds (lookup / found / write / written): the lookup is a read shared with every
other kind's, and only a message its lookup did not find is written."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from b24app.gateway import PortalCallError
from b24app.models import OutboxMessage
from b24app.outbox.plans import Action, OutboxKind, Outcome, Plan, Reads, Write


def simple_plan(kind: OutboxKind, session: Session, m: OutboxMessage) -> Plan:
    """Look up what an earlier attempt may have made (retries only), else write."""
    lookup = kind.lookup(session, m) if m.attempts > 1 else None  # never sent before: nothing exists yet
    command = kind.write(session, m)
    key = f"lookup:{m.id}"
    already_done = getattr(kind, "already_done", None)

    def refused(error: PortalCallError) -> Outcome:
        if already_done is not None and already_done(m, error.code):
            return Outcome()  # e.g. a one-shot answer whose first send got through
        return Outcome(error=f"{error.code}: {error.description}"[:500])

    def done(result: Any) -> Outcome:
        return Outcome(remote_id=kind.written(m, result))

    def act(found: Reads) -> Action:
        if lookup is not None and key in found.errors:  # unknown whether it exists: no twin
            return Outcome(error=f"lookup {found.errors[key].code}"[:500])
        if lookup is not None and key in found.results:
            remote = kind.found(m, found.results[key])
            if remote is not None:
                return Outcome(remote_id=remote)
        if command is None:
            return Outcome()  # nothing left to write
        return Write(command, done, refused)

    return Plan(act, {key: lookup} if lookup is not None else {})
