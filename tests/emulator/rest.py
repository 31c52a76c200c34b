"""REST transport: one portal call from the HTTP request to the ``{"result", "time"}`` envelope."""

from __future__ import annotations

import copy
import json
import logging
import time
import traceback
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from tests.emulator.answers import BAD_GATEWAY, envelope, json_response, time_block
from tests.emulator.batch import Outcome, methods_in, normalise_method, run_batch, split_command, substitute
from tests.emulator.faults import Fault
from tests.emulator.observe import CallRecord
from tests.emulator.phpquery import unflatten
from tests.emulator.protocol import METHODS, B24Error, CallContext, MethodSpec

if TYPE_CHECKING:
    from tests.emulator.portal import Portal
    from tests.emulator.server import Emulator

log = logging.getLogger("tests.emulator")
OAUTH_SERVER_METHODS = frozenset({"app.info"})  # what the OAuth server's /rest/ answers


@dataclass(frozen=True)
class Route:
    """Where a REST request went: ``/{domain}/rest/[{user_id}/{secret}/]{method}`` or bare ``/rest/...``."""

    domain: str | None
    method: str
    user_id: str | None = None
    secret: str | None = None
    oauth_server: bool = False


def parse_route(path: str) -> Route | None:
    segments = path.strip("/").split("/")
    if segments[0] == "rest":
        domain, rest = None, segments[1:]
    elif len(segments) > 1 and segments[1] == "rest":
        domain, rest = segments[0], segments[2:]
    else:
        return None
    if len(rest) == 3:
        return Route(domain, normalise_method(rest[2]), rest[0], rest[1])
    if len(rest) == 2:  # a webhook base without a method
        return Route(domain, "", rest[0], rest[1])
    return Route(domain, normalise_method("/".join(rest)))


class Redirect(Exception):
    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


@dataclass
class Exchange:
    """One HTTP REST request in flight."""

    method: str
    started: float
    params: dict[str, Any] = field(default_factory=dict)
    member_id: str | None = None
    auth_kind: str | None = None
    fault: str | None = None
    costs: dict[str, float] = field(default_factory=lambda: defaultdict(float))


class RestTransport:
    """Gates (outage, faults, leaky bucket), auth, dispatch, batch and the request log."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    def handle(self, request: Request, route: Route) -> Response:
        emu = self.emu
        ex = Exchange(route.method, emu.clock.now())
        if not route.oauth_server:
            emu.stats.add("http_requests")
            emu.stats.count_method(route.method)
        try:
            response, code = self._process(request, route, ex)
        except Redirect as moved:
            response, code = Response("", 302, headers={"Location": moved.location}), ""
        except B24Error as err:
            response, code = json_response(err.body(), err.status), err.code
        emu.requests.append(
            CallRecord(
                ex.method,
                ex.params,
                ex.auth_kind,
                response.status_code,
                code,
                ex.member_id,
                None,
                ex.fault,
                ex.started,
            )
        )
        return response

    def _process(self, request: Request, route: Route, ex: Exchange) -> tuple[Response, str]:
        params, token = self._params(request)
        ex.params = copy.deepcopy(params)
        portal = self._portal(request, route, token)
        ex.member_id = portal.member_id
        if portal.deleted:  # _includes/system-errors.md: HTTP 500 PORTAL_DELETED "Portal was deleted"
            raise B24Error("PORTAL_DELETED", "Portal was deleted", 500)
        lose = None if route.oauth_server else self._gate(portal, ex, params)
        try:
            result = self._execute(portal, route, token, params, ex)
        except B24Error:
            if lose is None:
                raise
        if lose is not None:  # executed (writes happened), but the answer never reaches the caller
            return Response(BAD_GATEWAY, 502, content_type="text/html"), "BAD_GATEWAY"
        timing = {**time_block(ex.started, self.emu.clock.now()), **self._operating(portal, ex)}
        return json_response(envelope(result, timing)), ""

    def _execute(self, portal: Portal, route: Route, token: str, params: dict[str, Any], ex: Exchange) -> Any:
        ctx = self._authenticate(portal, route, token, ex.method)
        ex.auth_kind = ctx.auth_kind
        if route.oauth_server and ex.method not in OAUTH_SERVER_METHODS:
            raise B24Error("ERROR_METHOD_NOT_FOUND", "Method not found!", 404)
        if ex.method == "batch":
            return run_batch(params, lambda name, cmd, done: self._command(ctx, ex, name, cmd, done))
        result, cost = self.call(ctx, ex.method, params)
        ex.costs[ex.method] += cost
        return result

    @staticmethod
    def _params(request: Request) -> tuple[dict[str, Any], str]:
        """Query, then the JSON or form body on top; ``auth`` is taken out."""
        params = unflatten(request.args.items(multi=True))
        if request.mimetype == "application/json":
            raw = request.get_data(cache=True)
            try:
                data = json.loads(raw) if raw.strip() else {}
            except ValueError as exc:
                raise B24Error("INVALID_REQUEST", "The request body is not valid JSON", 400) from exc
            if not isinstance(data, dict):
                raise B24Error("INVALID_REQUEST", "The JSON body must be an object", 400)
            params.update(data)
        elif request.method == "POST":
            params.update(unflatten(request.form.items(multi=True)))
        token = params.pop("auth", "")
        return params, token if isinstance(token, str) else json.dumps(token)

    def _portal(self, request: Request, route: Route, token: str) -> Portal:
        emu = self.emu
        if route.domain is None:
            # Bare /rest/: the token or webhook secret names the portal, else only a sole portal will do.
            portal = emu.portal_for_credential(route.secret, token)
            if portal is None:
                raise B24Error("NO_AUTH_FOUND", "Wrong authorization data", 401)
            return portal
        portal = emu.portal_by_domain(route.domain)
        if portal is not None:
            return portal
        moved = emu.moved_portal(route.domain)
        if moved is None:
            raise B24Error("NOT_FOUND", f"Portal {route.domain} not found", 404)
        tail = request.path[len(route.domain) + 1 :]
        query = request.query_string.decode("latin-1")
        raise Redirect(f"{emu.base_url}/{moved.domain}{tail}" + (f"?{query}" if query else ""))

    def _gate(self, portal: Portal, ex: Exchange, params: dict[str, Any]) -> Fault | None:
        """Outage, injected faults, then the leaky bucket; returns a pending lose-response fault."""
        emu = self.emu
        commands = methods_in(params) if ex.method == "batch" else []
        outage = emu.faults.outage(ex.method, commands)
        if outage is not None:
            ex.fault = "down"
            emu.stats.add("faults_injected")
            raise B24Error(outage.code, "The portal is temporarily unavailable", 503)
        fault = emu.faults.take_request(ex.method, commands)
        if fault is not None:
            ex.fault = fault.kind
            emu.stats.add("faults_injected")
        if fault is not None and fault.kind == "fail":
            raise B24Error(fault.code, "Injected failure", fault.status)
        if fault is not None and fault.kind == "timeout":
            time.sleep(fault.seconds)  # the caller has given up by now; the request is not executed
            raise B24Error(fault.code, "Gateway timeout: the request was not executed", fault.status)
        if not emu.limiter.admit(portal.member_id, emu.profile(portal)):
            emu.stats.add("limit_503")
            raise B24Error("QUERY_LIMIT_EXCEEDED", "Too many requests", 503)
        return fault

    def _authenticate(self, portal: Portal, route: Route, token: str, method: str) -> CallContext:
        if route.secret is not None:
            hook = self.emu.webhooks.get(route.secret)
            if hook is None or hook.member_id != portal.member_id or str(hook.user_id) != route.user_id:
                raise B24Error("NO_AUTH_FOUND", "Wrong authorization data", 401)
            return CallContext(portal, "webhook", hook.user_id, None, method)
        grant = self.emu.tokens.resolve(token, portal.member_id)
        return CallContext(portal, "oauth", grant.user_id, grant.client_id, method)

    def _command(
        self, ctx: CallContext, ex: Exchange, name: str, command: Any, done: Mapping[str, Any]
    ) -> Outcome:
        """One batch command: its own auth is ignored (the batch's applies), its time is charged."""
        emu, started = self.emu, self.emu.clock.now()
        method, params = split_command(command)
        params.pop("auth", None)
        params = substitute(params, done)
        emu.stats.add("batch_commands")
        emu.stats.count_method(method)
        record = CallRecord(
            method, copy.deepcopy(params), ctx.auth_kind, 200, "", ctx.portal.member_id, name, None, started
        )
        try:
            if method == "batch":
                raise B24Error("ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage", 405)
            fault = emu.faults.take_command(method)
            if fault is not None:
                record.fault = fault.kind
                emu.stats.add("faults_injected")
                raise B24Error(fault.code, "Injected failure", fault.status)
            result, cost = self.call(ctx, method, params, via_batch=name)
        except B24Error as err:
            record.status, record.error = err.status, err.code
            emu.requests.append(record)
            return Outcome(error=err.body())
        ex.costs[method] += cost
        emu.requests.append(record)
        return Outcome(result=result, time=time_block(started, emu.clock.now()))

    def call(
        self, ctx: CallContext, method: str, params: dict[str, Any], via_batch: str | None = None
    ) -> tuple[Any, float]:
        """Look the method up, check the auth kind and operating budget, run it, charge its time."""
        emu = self.emu
        spec = METHODS.get(method)
        if spec is None:
            raise B24Error("ERROR_METHOD_NOT_FOUND", "Method not found!", 404)
        if spec.app_only and ctx.auth_kind == "webhook":
            raise B24Error(spec.app_only_error, "Application context required", 403)
        member, profile = ctx.portal.member_id, emu.profile(ctx.portal)
        if emu.limiter.blocked(member, method, profile):
            emu.stats.add("limit_429")
            # settings/performance/limits.md: the 429 names no reset time; "for the first retry,
            # refer to operating_reset_at from the last successful response".
            raise B24Error("OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit.", 429)
        extras = {"via_batch": via_batch}
        call_ctx = CallContext(ctx.portal, ctx.auth_kind, ctx.user_id, ctx.client_id, method, extras)
        began = time.perf_counter()
        try:
            result = self._run(spec, call_ctx, params)
        finally:
            measured = (time.perf_counter() - began) * (0.0 if emu.clock.manual else emu.clock.scale)
            cost = spec.cost if emu.limiter.cost_mode == "spec" else measured
            emu.limiter.charge(member, method, cost)
        return result, cost

    def _run(self, spec: MethodSpec, ctx: CallContext, params: dict[str, Any]) -> Any:
        try:
            with self.emu.lock, self.emu.in_rest_call():
                return spec.handler(ctx, params)
        except B24Error:
            raise
        except Exception as exc:
            detail = "".join(traceback.format_exception(exc))
            log.error("emulator method %s crashed:\n%s", spec.name, detail)
            self.emu.record_internal_error(f"{spec.name}: {detail}")
            raise B24Error("INTERNAL_SERVER_ERROR", f"Internal server error: {exc!r}", 500) from exc

    def _operating(self, portal: Portal, ex: Exchange) -> dict[str, Any]:
        """``operating``: seconds the method spent in the window (limits off: this request's own cost).

        For a batch, undocumented: we report the busiest of its methods, the figure closest to a 429.
        """
        limiter, profile = self.emu.limiter, self.emu.profile(portal)
        now = self.emu.clock.now()
        if not limiter.enabled or not ex.costs:
            reset_at = int(now + profile.operating_window)
            return {"operating_reset_at": reset_at, "operating": sum(ex.costs.values())}
        spent = {m: limiter.operating(portal.member_id, m, profile) for m in ex.costs}
        busiest = max(spent, key=lambda m: spent[m])
        return {
            "operating_reset_at": limiter.reset_at(portal.member_id, busiest, profile),
            "operating": spent[busiest],
        }
