"""HTTP side of the emulator: REST transport, batch, the OAuth server and the control endpoints."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from tests.emulator.phpquery import parse_query, unflatten
from tests.emulator.protocol import METHODS, B24Error, CallContext, Page

if TYPE_CHECKING:
    from tests.emulator.portal import Portal
    from tests.emulator.server import Emulator

BATCH_LIMIT = 50
_REF = re.compile(r"\$result\[([^\]]+)\]((?:\[[^\]]*\])*)")


def _json(body: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, default=str), status, content_type="application/json"
    )


def _time_block(started: float, operating: float) -> dict[str, Any]:
    finish = time.time()
    return {
        "start": started,
        "finish": finish,
        "duration": finish - started,
        "processing": finish - started,
        "date_start": datetime.fromtimestamp(started, UTC).isoformat(),
        "date_finish": datetime.fromtimestamp(finish, UTC).isoformat(),
        "operating_reset_at": int(finish) + 600,
        "operating": operating,
    }


class EmulatorApp:
    """The WSGI application behind Emulator.start()."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        path = request.path
        if path.startswith("/oauth/token"):
            response = self.oauth(request)
        elif path.startswith("/_emulator/"):
            from tests.emulator.control import handle

            response = handle(self.emu, request)
        elif "/rest/" in path:
            response = self.rest(request)
        else:
            response = _json({"error": "NOT_FOUND", "error_description": "Not found"}, 404)
        return response(environ, start_response)

    # -- OAuth --------------------------------------------------------------------------------
    def oauth(self, request: Request) -> Response:
        args, emu = request.args, self.emu
        with emu.lock:
            emu.stats.oauth_attempts += 1
        if args.get("grant_type") != "refresh_token" or not args.get("refresh_token"):
            return _json({"error": "invalid_request", "error_description": "Bad request"}, 400)
        if emu.apps.get(args.get("client_id", "")) != args.get("client_secret"):
            return _json({"error": "invalid_client", "error_description": "Invalid client"}, 401)
        with emu.lock:
            # Stricter than documented: a refresh token is valid once; rotation kills the old one.
            grant = emu.refresh.pop(args["refresh_token"], None)
            if grant is None or grant.client_id != args["client_id"]:
                return _json({"error": "invalid_grant", "error_description": "Invalid grant"}, 400)
            emu.stats.oauth_refreshes += 1
        portal = emu.portals[grant.member_id]
        tokens = emu.issue_tokens(portal, grant.client_id, grant.user_id)
        return _json(
            {
                "access_token": tokens.access_token,
                "client_endpoint": emu.client_endpoint(portal),
                "domain": "oauth.bitrix.info",
                "expires": tokens.expires,
                "expires_in": tokens.expires_in,
                "member_id": portal.member_id,
                "refresh_token": tokens.refresh_token,
                "scope": "crm,bizproc,placement,userfieldconfig",
                "server_endpoint": emu.oauth_rest_url(),
                "status": "L",
                "user_id": grant.user_id,
            }
        )

    # -- REST ---------------------------------------------------------------------------------
    def rest(self, request: Request) -> Response:
        prefix, _, rest = request.path.lstrip("/").partition("rest/")
        portal = self.emu.portal_by_domain(prefix.rstrip("/"))
        if portal is None:
            return _json({"error": "NOT_FOUND", "error_description": "Portal not found"}, 404)
        parts = [p for p in rest.split("/") if p]
        if not parts:
            return _json({"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"}, 404)
        method = parts[-1].lower().removesuffix(".json")
        params = self._params(request)
        started = time.time()
        try:
            injected = self._faults(portal, method)
            if injected is not None:
                return injected
            ctx = self._auth(portal, parts, params, method)
            result, operating = self._dispatch(ctx, method, params)
        except B24Error as err:
            self._log(method, err.status, err.code)
            return _json(err.body(), err.status)
        if self._take_lost(method):
            return Response("<html>502 Bad Gateway</html>", 502, content_type="text/html")
        self._log(method, 200, "")
        body: dict[str, Any] = {"result": result.result if isinstance(result, Page) else result}
        if isinstance(result, Page):
            if result.total is not None:
                body["total"] = result.total
            if result.next is not None:
                body["next"] = result.next
        body["time"] = _time_block(started, operating)
        return _json(body)

    @staticmethod
    def _params(request: Request) -> dict[str, Any]:
        params = unflatten(request.args.items(multi=True))
        if request.is_json:
            data = request.get_json(silent=True)
            if isinstance(data, dict):
                params.update(data)
        else:
            params.update(unflatten(request.form.items(multi=True)))
        return params

    def _faults(self, portal: Portal, method: str) -> Response | None:
        emu = self.emu
        with emu.lock:
            emu.stats.http_requests += 1
            emu.stats.per_method[method] += 1
            if emu.now() < emu.faults.down_until:
                return _json({"error": "INTERNAL_SERVER_ERROR", "error_description": "Portal is down"}, 503)
            fail = emu.faults.take(emu.faults.fail, method, lambda f: f[2])
            timeout = None if fail else emu.faults.take(emu.faults.timeouts, method, lambda t: t[1])
        if fail:
            return _json({"error": fail[1], "error_description": "Injected failure"}, fail[0])
        if timeout:
            time.sleep(timeout[0])  # the request is not executed
            return _json({"error": "INTERNAL_SERVER_ERROR", "error_description": "Timeout"}, 504)
        if not emu.limiter.admit(portal.member_id, emu.profile(portal)):
            with emu.lock:
                emu.stats.limit_503 += 1
            return _json({"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}, 503)
        return None

    def _take_lost(self, method: str) -> bool:
        with self.emu.lock:
            return self.emu.faults.take(self.emu.faults.lost_responses, method, lambda m: m[0]) is not None

    def _auth(self, portal: Portal, parts: list[str], params: dict[str, Any], method: str) -> CallContext:
        emu = self.emu
        if len(parts) >= 3:
            user_id = int(parts[-3]) if parts[-3].isdigit() else -1
            if emu.webhooks.get((portal.member_id, user_id)) != parts[-2]:
                raise B24Error("NO_AUTH_FOUND", "Wrong authorization data", 401)
            return CallContext(portal, "webhook", user_id, None, method)
        token = str(params.pop("auth", "") or "")
        grant = emu.access.get(token)
        if grant is None or grant.member_id != portal.member_id:
            raise B24Error("NO_AUTH_FOUND", "Wrong authorization data", 401)
        if grant.expires <= emu.now():
            raise B24Error("expired_token", "The access token provided has expired.", 401)
        return CallContext(portal, "oauth", grant.user_id, grant.client_id, method)

    def _dispatch(self, ctx: CallContext, method: str, params: dict[str, Any]) -> tuple[Any, float]:
        if method == "batch":
            return self._batch(ctx, params), 0.0
        return self._call(ctx, method, params)

    def _call(self, ctx: CallContext, method: str, params: dict[str, Any]) -> tuple[Any, float]:
        spec = METHODS.get(method)
        if spec is None:
            raise B24Error("ERROR_METHOD_NOT_FOUND", "Method not found!", 404)
        if spec.app_only and ctx.auth_kind == "webhook":
            raise B24Error(spec.app_only_error, "Application context required", 403)
        emu, profile = self.emu, self.emu.profile(ctx.portal)
        operating = emu.limiter.operating(ctx.portal.member_id, method, profile)
        if operating >= profile.operating_limit:
            with emu.lock:
                emu.stats.limit_429 += 1
            raise B24Error("OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit.", 429)
        with emu.lock:
            result = spec.handler(
                CallContext(ctx.portal, ctx.auth_kind, ctx.user_id, ctx.client_id, method), params
            )
        emu.limiter.charge(ctx.portal.member_id, method, spec.cost)
        return result, operating + spec.cost

    def _batch(self, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        cmd = params.get("cmd") or {}
        commands = {str(i): v for i, v in enumerate(cmd)} if isinstance(cmd, list) else dict(cmd)
        if len(commands) > BATCH_LIMIT:
            raise B24Error("ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded", 400)
        halt = str(params.get("halt", "0")) in ("1", "true", "True", "Y")
        out: dict[str, dict[str, Any]] = {
            k: {} for k in ("result", "result_error", "result_total", "result_next", "result_time")
        }
        for name, command in commands.items():
            method, _, query = str(command).partition("?")
            method = method.lower().removesuffix(".json")
            started = time.time()
            try:
                if method == "batch":
                    raise B24Error(
                        "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage", 405
                    )
                sub = _substitute(parse_query(query), out["result"])
                sub.pop("auth", None)
                result, _ = self._call(ctx, method, sub)
            except B24Error as err:
                out["result_error"][name] = err.body()
                if halt:
                    break
                continue
            finally:
                self.emu.stats.batch_commands += 1
            out["result"][name] = result.result if isinstance(result, Page) else result
            if isinstance(result, Page) and result.total is not None:
                out["result_total"][name] = result.total
            if isinstance(result, Page) and result.next is not None:
                out["result_next"][name] = result.next
            out["result_time"][name] = _time_block(started, 0.0)
        return {k: (v if v else []) for k, v in out.items()}  # empty groups are [] on the wire

    def _log(self, method: str, status: int, code: str) -> None:
        with self.emu.lock:
            self.emu.requests.append({"method": method, "status": status, "error": code})


def _lookup(results: dict[str, Any], name: str, path: str) -> Any:
    node: Any = results.get(name)
    for key in re.findall(r"\[([^\]]*)\]", path):
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, dict):
            node = node.get(key)
        else:
            return None
    return node


def _substitute(value: Any, results: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, results) for v in value]
    if isinstance(value, str) and "$result[" in value:
        whole = _REF.fullmatch(value)
        if whole:
            return _lookup(results, whole.group(1), whole.group(2))
        return _REF.sub(lambda m: str(_lookup(results, m.group(1), m.group(2)) or ""), value)
    return value
