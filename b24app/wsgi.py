"""Web entry point: ``gunicorn b24app.wsgi:app``."""

import sys

from b24app.config import ConfigError
from b24app.factory import create_app

try:
    app = create_app()
except ConfigError as exc:  # one line naming the variable instead of a traceback per worker
    print(f"configuration error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None
