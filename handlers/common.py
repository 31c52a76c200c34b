"""What every handler shares: the container, JSON errors and the parsed form body."""

from __future__ import annotations

from typing import Any, cast

from flask import Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from b24app.container import Container
from handlers.forms import BadRequest, unflatten
from handlers.security import Unauthorized

EXTENSION = "bonus_registry"


def container() -> Container:
    return cast(Container, current_app.extensions[EXTENSION])


def form_body() -> dict[str, Any]:
    """The request's form fields (and JSON object, for tools that post JSON) as nested dicts."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise BadRequest("body", "must be a JSON object")
        return data
    return unflatten(request.form.items(multi=True))


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(BadRequest)
    def bad_request(exc: BadRequest) -> ResponseReturnValue:
        return jsonify(error="bad_request", field=exc.field, message=exc.message), 400

    @app.errorhandler(Unauthorized)
    def unauthorized(exc: Unauthorized) -> ResponseReturnValue:
        return jsonify(error="unauthorized", message=str(exc)), 401
