"""GET /healthz: 200 when the database and the job queue answer; operator alarms in detail."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from b24app.health import alarms, check
from handlers.common import container

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    checks = check(container())
    healthy = all(v == "ok" for v in checks.values())
    raised = alarms(container()) if healthy else []
    status = ("alarm" if raised else "ok") if healthy else "unhealthy"
    return jsonify(status=status, checks=checks, alarms=raised), 200 if healthy else 503
