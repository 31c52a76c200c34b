"""Web entry point: ``gunicorn b24app.wsgi:app`` (wired by bootstrap.web)."""

from bootstrap.web import wsgi_app

app = wsgi_app()
