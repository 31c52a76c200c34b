"""Plans for simple kinds (lookup / found / write / written): the lookup is a read shared with every
other kind's, and only a message its lookup did not find is written."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from b24app.gateway import PortalCallError
from b24app.models import OutboxMessage
from b24app.outbox.plans import Action, OutboxKind, Outcome, Plan, PlanningKind, Reads, Write

log = logging.getLogger(__name__)


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


def prefetch(
    kinds: Mapping[str, OutboxKind | PlanningKind], session: Session, messages: list[OutboxMessage]
) -> None:
    """Each kind that can reads what its messages' writes need in one query (``prefetch``), not
    one per message; when that read cannot use a message's data, each message is read alone."""
    by_kind: dict[str, list[OutboxMessage]] = {}
    for m in messages:
        by_kind.setdefault(m.kind, []).append(m)
    for name, group in by_kind.items():
        read_all = getattr(kinds.get(name), "prefetch", None)
        if read_all is None:
            continue
        try:
            read_all(session, group)
        except SQLAlchemyError:
            raise  # the database, not the messages: the step fails and retries
        except Exception:  # noqa: BLE001 - broken data: each message is planned alone
            log.warning("outbox.prefetch_failed", extra={"portal_id": group[0].portal_id, "kind": name})
