"""Whether this process can work: the database answers and the job queue answers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from b24app.alarms import active_alarms
from b24app.container import Container


def check(c: Container) -> dict[str, str]:
    """``{"database": "ok", "queue": "ok"}``, or the exception's name for what failed."""
    checks: dict[str, str] = {}
    try:
        with c.db.transaction() as session:
            session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        checks["database"] = type(exc).__name__
    try:
        c.jobs.pending_count()
        checks["queue"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["queue"] = type(exc).__name__
    return checks


def alarms(c: Container) -> list[dict[str, Any]]:
    """Operator alarms (our OAuth credentials refused, ...): /healthz shows them in detail; the
    process itself is healthy, so they do not make it fail (a restart cannot fix them)."""
    try:
        with c.db.transaction() as session:
            return active_alarms(session)
    except Exception:  # noqa: BLE001 - the database check already reports an unreachable database
        return []
