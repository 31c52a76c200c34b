"""Who calls the public API: ``Authorization: Bearer KEY`` checked before anything else (a refusal
says nothing about why and writes nothing), the key's scopes, and a per-key rate limit (429 with
``Retry-After``, shared through Redis when the app runs several processes)."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Flask, Response, g, jsonify, request
from flask_limiter import Limiter

from b24app.config import Settings
from handlers.common import container
from registry.bonuses.api_keys import Caller
from registry.services import api

UNAUTHORIZED = {"error": "unauthorized", "field": None, "message": "a valid API key is required"}


def _bearer() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def rate_key() -> str:
    """The limit counts per key (by its hash: the key itself never reaches the limiter's storage)."""
    token = _bearer()
    if token is None:
        return f"anonymous:{request.remote_addr}"
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate_request() -> Response | None:
    """The blueprint's first step: a request without a live key of an installed portal ends here."""
    if request.method == "OPTIONS":
        return None
    token = _bearer()
    caller = api.authenticate(container(), token) if token else None
    if caller is None:
        answer = jsonify(UNAUTHORIZED)
        answer.status_code = 401
        answer.headers["WWW-Authenticate"] = 'Bearer realm="api"'
        return answer
    g.api_caller = caller
    return None


def caller() -> Caller:
    found: Caller = g.api_caller
    return found


def throttle(app: Flask, blueprints: tuple[Blueprint, ...], settings: Settings) -> None:
    """Limit each key to ``settings.api_rate_limit`` over ``blueprints`` (checked before the key itself)."""
    limiter = Limiter(
        rate_key,
        app=app,
        storage_uri=settings.redis_url or "memory://",
        key_prefix="bonus-api",
        strategy="moving-window",
        headers_enabled=True,
    )
    shared = limiter.shared_limit(settings.api_rate_limit, scope="api")  # one budget per key for all
    for bp in blueprints:
        shared(bp)
