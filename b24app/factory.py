"""The composition root: builds the object graph and the Flask app; nothing else wires things."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask
from sqlalchemy import select
from werkzeug.middleware.proxy_fix import ProxyFix

from b24app.clock import Clock, SystemClock
from b24app.config import Settings, load_settings
from b24app.container import Container
from b24app.db import Database
from b24app.gateway.frames import FrameVerifier
from b24app.jobs import JobQueue, make_huey
from b24app.lanes import LaneContext, Lanes, LaneStep, WakeProbe
from b24app.logs import configure_logging
from b24app.models import Portal

DEV_SECRET = "dev-only-secret-key"  # noqa: S105 - used only when APP_ENV is dev or test
# Bodies are read only up to MAX_CONTENT_LENGTH (413 beyond, before anything is buffered);
# MAX_FORM_PARTS bounds multipart forms (urlencoded ones are counted in handlers/common.py).
BODY_LIMITS = {"MAX_CONTENT_LENGTH": 1024 * 1024, "MAX_FORM_MEMORY_SIZE": 1024 * 1024, "MAX_FORM_PARTS": 300}


def _steps(settings: Settings) -> list[tuple[str, LaneStep]]:
    """Lane steps in order: check uninstall claims, provision, then find missed deals, read deals,
    handle workflow robots, deliver the mirror and the answers."""
    from b24app.outbox import OutboxStep
    from b24app.sms import provider_from
    from install.service import provision_step
    from install.uninstall import uninstall_step
    from registry.answers import WorkflowAnswerKind
    from registry.delivery import NotifyStep
    from registry.healing import healing_step
    from registry.intake import deals_step
    from registry.lifetime import lifetime_step
    from registry.mirror import MIRROR_KINDS
    from registry.offline import offline_step
    from registry.reconcile import reconcile_step
    from registry.workflow import workflow_step

    def provision(ctx: LaneContext) -> bool:
        return provision_step(ctx, settings.app_base_url.rstrip("/"))

    return [
        ("uninstall", uninstall_step),  # first: a confirmed uninstall makes the rest moot
        ("provision", provision),
        ("reconcile", reconcile_step),
        ("offline", offline_step),
        ("deals", deals_step),
        ("workflow", workflow_step),
        ("lifetime", lifetime_step),
        ("healing", healing_step),
        ("notify", NotifyStep(provider_from(settings))),
        ("outbox", OutboxStep((*MIRROR_KINDS, WorkflowAnswerKind()))),
    ]


def _wake_probes() -> list[WakeProbe]:
    """What comes due later on a portal: each gives the earliest time after now (a lane wake-up)."""
    from b24app import inbox, lane_health, outbox
    from registry import delivery

    return [outbox.next_due, inbox.next_due, delivery.next_due, lane_health.next_retry]


def _sweep(db: Database, jobs: list[JobQueue]) -> Callable[[], None]:
    """Periodic: give every installed portal a lane run (reconciliation, retries that are due)."""

    def sweep() -> None:
        with db.transaction() as session:
            ids = list(session.execute(select(Portal.id).where(Portal.status == "installed")).scalars())
        for portal_id in ids:
            jobs[0].enqueue_lane(portal_id, force=True)  # force: also heals a queued flag left by a crash

    return sweep


def build_container(overrides: Mapping[str, Any] | None = None, *, clock: Clock | None = None) -> Container:
    """Everything a web or worker process needs, from the environment plus ``overrides``."""
    settings = load_settings(overrides)
    db = Database(settings.database_url)
    clock = clock or SystemClock()
    lanes = Lanes(db, settings, clock, _steps(settings), _wake_probes())
    huey = make_huey(settings)
    holder: list[JobQueue] = []
    jobs = JobQueue(huey, lanes, periodic=[("sweep", _sweep(db, holder), 5)])
    holder.append(jobs)
    return Container(settings, db, clock, lanes, jobs, FrameVerifier(db))


def create_app(overrides: Mapping[str, Any] | None = None, *, container: Container | None = None) -> Flask:
    """The WSGI application with every handler registered."""
    from handlers import events, health, install, main, placements, robots
    from handlers.common import EXTENSION, register_error_handlers
    from handlers.frame import register_frame_context

    c = container or build_container(overrides)
    configure_logging(c.settings)
    app = Flask("handlers", root_path=str(__import__("handlers").__path__[0]))
    app.config["SECRET_KEY"] = c.settings.secret_key or DEV_SECRET
    app.config.update(BODY_LIMITS)
    app.extensions[EXTENSION] = c
    for module in (health, install, events, robots, placements, main):
        app.register_blueprint(module.bp)
    register_error_handlers(app)
    register_frame_context(app)
    install.throttle(app, c.settings)
    if c.settings.proxy_count:  # the client's address for throttling comes from X-Forwarded-For
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=c.settings.proxy_count)  # type: ignore[method-assign]
    return app


logging.getLogger(__name__).addHandler(logging.NullHandler())
