"""Operator alarms: faults only the operator can fix, raised once, shown by status and /healthz."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from b24app.models import OperatorAlarm

log = logging.getLogger(__name__)
# The OAuth server refuses our client_id/client_secret (settings/oauth/error-codes.md): every
# portal's refresh would fail the same way, and no portal's tokens are to blame.
OAUTH_CLIENT_REFUSED = "oauth_client_refused"


def raise_alarm(session: Session, code: str, message: str, now: datetime) -> None:
    """Record the alarm (once: a repeat only counts); logs an error the first time."""
    alarm = session.get(OperatorAlarm, code)
    if alarm is None:
        session.add(OperatorAlarm(code=code, message=message, raised_at=now, last_seen_at=now, occurrences=1))
        log.error("operator.alarm", extra={"alarm": code, "detail": message})
        return
    alarm.message, alarm.last_seen_at = message, now
    alarm.occurrences += 1


def clear_alarm(session: Session, code: str) -> None:
    """The cause is gone (e.g. a refresh succeeded with our credentials)."""
    if session.execute(delete(OperatorAlarm).where(OperatorAlarm.code == code)).rowcount:  # type: ignore[attr-defined]
        log.info("operator.alarm_cleared", extra={"alarm": code})


def active_alarms(session: Session) -> list[dict[str, Any]]:
    """What the status command and /healthz show."""
    rows = session.execute(select(OperatorAlarm).order_by(OperatorAlarm.code)).scalars()
    return [
        {
            "code": row.code,
            "message": row.message,
            "raised_at": row.raised_at.isoformat(),
            "last_seen_at": row.last_seen_at.isoformat(),
            "occurrences": row.occurrences,
        }
        for row in rows
    ]
