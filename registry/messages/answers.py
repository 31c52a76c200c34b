"""The outbox kind of workflow answers: ``bizproc.event.send`` with the return values.

Bitrix24 accepts one answer per ``event_token``; if a retry finds the token already answered (our
first send got through but its response was lost), the answer counts as delivered.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from b24app.gateway import Command
from b24app.models import OutboxMessage


class WorkflowAnswerKind:
    """``bizproc.event.send`` with the return values; the log message goes with it."""

    kind = "workflow_answer"

    def lookup(self, session: Session, message: OutboxMessage) -> Command | None:
        return None  # an answered token is recognised from the write's error instead

    def found(self, message: OutboxMessage, result: Any) -> str | None:
        return None

    def write(self, session: Session, message: OutboxMessage) -> Command | None:
        p = message.payload
        values = dict(p["answer"])
        log_message = values.pop("log_message", "")
        return Command(
            "bizproc.event.send",
            {"event_token": p["event_token"], "return_values": values, "log_message": log_message},
        )

    def written(self, message: OutboxMessage, result: Any) -> str | None:
        return str(message.payload["event_token"])[:64]

    def already_done(self, message: OutboxMessage, error_code: str) -> bool:
        """A retried send refused as ACCESS_DENIED: the first one reached the workflow."""
        return message.attempts > 1 and error_code == "ACCESS_DENIED"
