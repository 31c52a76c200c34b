"""The Flask application: blueprints, error pages, body limits and the install throttle."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import handlers
from b24app import i18n
from b24app.config import ConfigError
from b24app.container import Container
from b24app.logs import configure_logging
from bootstrap.container import build_container
from handlers import (
    api,
    api_files,
    approvals,
    events,
    health,
    install,
    main,
    placements,
    robots,
    settings,
    settlement,
)
from handlers import campaigns as campaigns_panel  # noqa: F401 - adds its panel to the main page
from handlers.api_auth import throttle as throttle_api
from handlers.api_spec import doc_bp
from handlers.common import EXTENSION, register_error_handlers
from handlers.frame import register_frame_context

DEV_SECRET = "dev-only-secret-key"  # noqa: S105 - used only when APP_ENV is dev or test
# Bodies are read only up to MAX_CONTENT_LENGTH (413 beyond, before anything is buffered);
# MAX_FORM_PARTS bounds multipart forms (urlencoded ones are counted in handlers/common.py).
BODY_LIMITS = {"MAX_CONTENT_LENGTH": 1024 * 1024, "MAX_FORM_MEMORY_SIZE": 1024 * 1024, "MAX_FORM_PARTS": 300}


def create_app(overrides: Mapping[str, Any] | None = None, *, container: Container | None = None) -> Flask:
    """The WSGI application with every handler registered."""
    c = container or build_container(overrides)
    configure_logging(c.settings)
    app = Flask("handlers", root_path=str(handlers.__path__[0]))
    app.config["SECRET_KEY"] = c.settings.secret_key or DEV_SECRET
    app.config.update(BODY_LIMITS)
    app.extensions[EXTENSION] = c
    for module in (
        health,
        install,
        events,
        robots,
        placements,
        main,
        approvals,
        settings,
        api,
        api_files,
        settlement,
    ):
        app.register_blueprint(module.bp)
    register_error_handlers(app)
    register_frame_context(app)
    i18n.install_jinja(app.jinja_env)
    install.throttle(app, c.settings)
    throttle_api(app, (api.bp, api_files.bp), c.settings)
    api.register_api_errors(app)
    app.register_blueprint(doc_bp)  # GET /api/v1/openapi.json
    if c.settings.proxy_count:  # the client's address for throttling comes from X-Forwarded-For
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=c.settings.proxy_count)  # type: ignore[method-assign]
    return app


def wsgi_app() -> Flask:
    """The app gunicorn serves (``b24app.wsgi:app``); a configuration error is one line naming the
    variable instead of a traceback per worker."""
    try:
        return create_app()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
