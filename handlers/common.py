"""What every handler shares: the container, JSON errors and the parsed, bounded form body."""

from __future__ import annotations

from typing import Any, cast

from flask import Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge, TooManyRequests

from b24app.container import Container
from b24app.portals import Unauthorized
from handlers.forms import MAX_FORM_KEYS, BadRequest, load_json, unflatten
from handlers.frame import FrameProblem, frame_error, page_language
from handlers.security import FrameDenied

EXTENSION = "bonus_registry"


def container() -> Container:
    return cast(Container, current_app.extensions[EXTENSION])


def form_body() -> dict[str, Any]:
    """The request's form fields (and JSON object, for tools that post JSON) as nested dicts."""
    if request.is_json:
        data = load_json(request.get_data(cache=True), "body")  # bounded by MAX_CONTENT_LENGTH
        if not isinstance(data, dict):
            raise BadRequest("body", "must be a JSON object")
        return data
    if request.mimetype == "application/x-www-form-urlencoded":
        # Count fields before werkzeug builds them: its max_form_parts bounds multipart only.
        if request.get_data(cache=True).count(b"&") >= MAX_FORM_KEYS:
            raise BadRequest("body", f"more than {MAX_FORM_KEYS} form fields")
    return unflatten(request.form.items(multi=True))


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(BadRequest)
    def bad_request(exc: BadRequest) -> ResponseReturnValue:
        return jsonify(error="bad_request", field=exc.field, message=exc.message), 400

    @app.errorhandler(Unauthorized)
    def unauthorized(exc: Unauthorized) -> ResponseReturnValue:
        return jsonify(error="unauthorized", message=str(exc)), 401

    @app.errorhandler(FrameDenied)
    def frame_denied(exc: FrameDenied) -> ResponseReturnValue:
        return frame_error(FrameProblem(exc.problem), page_language())

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
        limit = app.config["MAX_CONTENT_LENGTH"]
        message = f"the body is over {limit} bytes or has too many parts"
        return jsonify(error="too_large", message=message), 413

    @app.errorhandler(TooManyRequests)
    def throttled(exc: TooManyRequests) -> ResponseReturnValue:
        return jsonify(error="too_many_requests", message=str(exc.description)), 429
