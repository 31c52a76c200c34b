"""The Emulator: portals, local apps, OAuth tokens, webhooks, faults, the request log and the HTTP server."""

from __future__ import annotations

import secrets
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from tests.emulator import methods_app, methods_crm, methods_extra, methods_items  # noqa: F401  - registers
from tests.emulator.limits import BASIC, ENTERPRISE, Clock, Limiter, Profile
from tests.emulator.portal import AppInstall, Portal
from tests.emulator.protocol import Delivery, TokenPair


class QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # tests and benchmarks make thousands of requests


@dataclass
class Grant:
    member_id: str
    client_id: str
    user_id: int
    expires: float = 0.0


@dataclass
class Faults:
    """Failures to inject; each counter is consumed by the calls it hits (optionally one method only)."""

    fail: list[tuple[int, str, str | None]] = field(default_factory=list)  # (status, code, method)
    timeouts: list[tuple[float, str | None]] = field(default_factory=list)
    lost_responses: list[tuple[str | None]] = field(default_factory=list)
    drops: int = 0
    down_until: float = 0.0

    def fail_next(
        self, n: int, status: int = 500, code: str = "INTERNAL_SERVER_ERROR", method: str | None = None
    ) -> None:
        self.fail += [(status, code, method)] * n

    def timeout_next(self, n: int, seconds: float = 30.0, method: str | None = None) -> None:
        self.timeouts += [(seconds, method)] * n

    def lose_response_next(self, n: int, method: str | None = None) -> None:
        self.lost_responses += [(method,)] * n

    def drop_deliveries(self, n: int) -> None:
        self.drops += n

    def down_for(self, seconds: float, now: float) -> None:
        self.down_until = now + seconds

    @staticmethod
    def take(queue: list[Any], method: str, key: Any) -> Any:
        for index, item in enumerate(queue):
            scope = key(item)
            if scope is None or scope == method:
                return queue.pop(index)
        return None


@dataclass
class Stats:
    http_requests: int = 0
    batch_commands: int = 0
    per_method: Counter[str] = field(default_factory=Counter)
    limit_503: int = 0
    limit_429: int = 0
    oauth_refreshes: int = 0
    oauth_attempts: int = 0
    deliveries: int = 0
    dropped_deliveries: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            **{k: v for k, v in vars(self).items() if k != "per_method"},
            "per_method": dict(self.per_method),
        }


class Emulator:
    """A Bitrix24 cloud in a thread: start(), add portals, register apps, drive it, stop()."""

    def __init__(
        self,
        *,
        limits_enabled: bool = True,
        time_scale: float = 1.0,
        manual_clock: bool = False,
        token_lifetime: int = 3600,
    ) -> None:
        self.clock = Clock(time_scale, manual_clock)
        self.limiter = Limiter(self.clock, limits_enabled)
        self.faults = Faults()
        self.stats = Stats()
        self.requests: list[dict[str, Any]] = []
        self.token_lifetime = token_lifetime
        self.portals: dict[str, Portal] = {}
        self.apps: dict[str, str] = {}  # client_id -> client_secret
        self.access: dict[str, Grant] = {}
        self.refresh: dict[str, Grant] = {}
        self.webhooks: dict[tuple[str, int], str] = {}  # (member_id, user_id) -> secret
        self.lock = threading.RLock()
        self._server: BaseWSGIServer | None = None
        self.base_url = ""

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, port: int = 0) -> Emulator:
        from tests.emulator.wsgi import EmulatorApp

        self._server = make_server(
            "127.0.0.1", port, EmulatorApp(self), threaded=True, request_handler=QuietHandler
        )
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- set-up ------------------------------------------------------------------------------
    def add_portal(
        self, member_id: str | None = None, domain: str | None = None, lang: str = "en", plan: str = "basic"
    ) -> Portal:
        member_id = member_id or secrets.token_hex(16)
        portal = Portal(
            self,
            member_id=member_id,
            domain=domain or f"p{len(self.portals) + 1}.bitrix24.test",
            lang=lang,
            plan=plan,
        )
        self.portals[member_id] = portal
        return portal

    def register_app(self, client_id: str, client_secret: str) -> None:
        self.apps[client_id] = client_secret

    def add_webhook(self, portal: Portal, user_id: int = 1) -> str:
        secret = secrets.token_hex(8)
        self.webhooks[(portal.member_id, user_id)] = secret
        return f"{self.rest_base(portal)}{user_id}/{secret}/"

    def profile(self, portal: Portal) -> Profile:
        return ENTERPRISE if portal.plan == "enterprise" else BASIC

    # -- URLs: one server serves every portal under a path prefix named after its domain ------
    def rest_base(self, portal: Portal) -> str:
        return f"{self.base_url}/{portal.domain}/rest/"

    def client_endpoint(self, portal: Portal) -> str:
        return self.rest_base(portal)

    def ui_domain(self, portal: Portal) -> str:
        """What a UI install sends as DOMAIN so that ``http://DOMAIN/rest/`` reaches this portal."""
        return f"{self.base_url.removeprefix('http://')}/{portal.domain}"

    def oauth_url(self) -> str:
        return f"{self.base_url}/oauth/token/"

    def oauth_rest_url(self) -> str:
        return f"{self.base_url}/oauth/rest/"

    def portal_by_domain(self, domain: str) -> Portal | None:
        if not domain and len(self.portals) == 1:
            return next(iter(self.portals.values()))
        return next((p for p in self.portals.values() if p.domain == domain), None)

    # -- Services for the portal model -------------------------------------------------------
    def now(self) -> float:
        return self.clock.now()

    def issue_tokens(self, portal: Portal, client_id: str, user_id: int) -> TokenPair:
        with self.lock:
            access, refresh = secrets.token_hex(16), secrets.token_hex(16)
            expires = self.now() + self.token_lifetime
            self.access[access] = Grant(portal.member_id, client_id, user_id, expires)
            self.refresh[refresh] = Grant(portal.member_id, client_id, user_id)
            return TokenPair(access, refresh, self.token_lifetime, int(expires))

    def expire_access_tokens(self, portal: Portal) -> None:
        with self.lock:
            for grant in self.access.values():
                if grant.member_id == portal.member_id:
                    grant.expires = 0.0

    def deliver(
        self, url: str, form: list[tuple[str, str]], query: Mapping[str, str] | None = None
    ) -> Delivery:
        with self.lock:
            self.stats.deliveries += 1
            dropped = self.faults.drops > 0
            if dropped:
                self.faults.drops -= 1
                self.stats.dropped_deliveries += 1
        if dropped:
            return Delivery(url, tuple(form), None)
        try:
            answer = requests.post(url, data=form, params=dict(query or {}), timeout=10)
        except requests.RequestException:
            return Delivery(url, tuple(form), None)
        return Delivery(url, tuple(form), answer.status_code, answer.text)

    def app_install(self, portal: Portal, client_id: str) -> AppInstall:
        return portal.apps.setdefault(client_id, AppInstall(client_id))
