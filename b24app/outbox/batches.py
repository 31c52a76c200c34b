"""The machine's helpers: commands sent in batches of 50 that settle their own messages, what a
message's row becomes, and a message that fails alone."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from b24app.gateway import BatchResult, Command, PortalError
from b24app.gateway.client import BATCH_LIMIT
from b24app.lanes import LaneContext
from b24app.models import OutboxMessage
from b24app.outbox.plans import Outcome
from b24app.outbox.store import GIVE_UP_AFTER

log = logging.getLogger("b24app.outbox.machine")


Settle = Callable[[list[str], BatchResult], None]
Affected = Callable[[list[str]], list[OutboxMessage]]


def send(
    ctx: LaneContext,
    commands: dict[str, Command],
    keys: dict[str, str],
    settle: Settle,
    affected: Affected,
    outcomes: dict[int, Outcome],
) -> None:
    """Batches of up to 50, each settled as soon as it is answered (``keys``: batch label -> key)."""
    labels = list(commands)
    for start in range(0, len(labels), BATCH_LIMIT):
        ctx.check_stop()  # a stopping worker hands back here: what is unsent gets its claim back
        chunk = labels[start : start + BATCH_LIMIT]
        try:
            result = ctx.client.batch({label: commands[label] for label in chunk})
        except PortalError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
            for m in affected([keys[label] for label in chunk]):  # may have reached the portal
                outcomes[m.id] = Outcome(error=error, due_now=True)
            raise
        settle([keys[label] for label in chunk], result)


def row_values(ctx: LaneContext, m: OutboxMessage, outcome: Outcome, now: datetime) -> dict[str, Any]:
    if outcome.released:
        return {"id": m.id, "attempts": m.attempts - 1, "next_attempt_at": now}
    if outcome.error is None:
        return {
            "id": m.id,
            "status": "done",
            "done_at": now,
            "remote_id": outcome.remote_id,
            "last_error": None,
        }
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


def alone(m: OutboxMessage, outcomes: dict[int, Outcome], step: Callable[..., Any], *args: Any) -> Any:
    """One message's own step; what it cannot read or do fails that message, not the batch (None)."""
    try:
        return step(*args)
    except SQLAlchemyError:
        raise
    except Exception as exc:  # noqa: BLE001 - the message's own data or answer is broken
        broken(m, outcomes, exc)
        return None


def broken(m: OutboxMessage, outcomes: dict[int, Outcome], exc: Exception) -> None:
    outcomes[m.id] = Outcome(error=f"{type(exc).__name__}: {exc}"[:500])
    log.warning("outbox.broken_message", extra={"portal_id": m.portal_id, "id": m.id, "kind": m.kind})
