"""The WSGI router: OAuth server, REST (per-portal path prefixes), and the ``/_emulator/`` control API."""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from tests.emulator.answers import json_response
from tests.emulator.batch import normalise_method
from tests.emulator.control import handle_control
from tests.emulator.oauth import token_endpoint
from tests.emulator.rest import RestTransport, Route, parse_route

if TYPE_CHECKING:
    from tests.emulator.server import Emulator

log = logging.getLogger("tests.emulator")


class EmulatorRequest(Request):
    """Big form bodies are normal here (50-command batches, long field lists)."""

    max_form_parts = 100_000
    max_form_memory_size = 64 * 1024 * 1024


class EmulatorApp:
    """The WSGI application behind ``Emulator.start()``."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.rest = RestTransport(emu)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = EmulatorRequest(environ)
        try:
            response = self.route(request)
        except Exception as exc:  # a bug in the emulator itself: answer 500 and say so loudly
            detail = "".join(traceback.format_exception(exc))
            log.error("emulator crashed on %s %s:\n%s", request.method, request.path, detail)
            self.emu.record_internal_error(f"{request.path}: {detail}")
            body = {"error": "INTERNAL_SERVER_ERROR", "error_description": f"Emulator crashed: {exc!r}"}
            response = json_response(body, 500)
        return response(environ, start_response)

    def route(self, request: Request) -> Response:
        path = request.path
        if path.rstrip("/") == "/oauth/token":
            args = {**request.args.to_dict(), **request.form.to_dict()}
            status, body = token_endpoint(self.emu, args)
            return json_response(body, status)
        if path.startswith("/oauth/rest/"):
            method = normalise_method(path.removeprefix("/oauth/rest/"))
            return self.rest.handle(request, Route(None, method, oauth_server=True))
        if path.startswith("/_emulator/"):
            return handle_control(self.emu, request)
        route = parse_route(path)
        if route is not None:
            return self.rest.handle(request, route)
        return json_response({"error": "NOT_FOUND", "error_description": f"No such page: {path}"}, 404)
