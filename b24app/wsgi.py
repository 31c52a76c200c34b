"""Web entry point: ``gunicorn b24app.wsgi:app``."""

from b24app.factory import create_app

app = create_app()
