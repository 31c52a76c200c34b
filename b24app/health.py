"""Whether this process can work: the database answers and the job queue answers."""

from __future__ import annotations

from sqlalchemy import text

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
