"""The Emulator: a Bitrix24 cloud in a thread (portals, apps, tokens, webhooks, limits, faults, log)."""

from __future__ import annotations

import importlib
import pkgutil
import secrets
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from tests.emulator.clock import Clock
from tests.emulator.event_queue import EventQueue
from tests.emulator.faults import Faults
from tests.emulator.limits import Limiter, Profile
from tests.emulator.oauth import DEFAULT_SCOPE, Grant, LocalApp, TokenStore
from tests.emulator.observe import RequestLog, Stats
from tests.emulator.protocol import Delivery, TokenPair

if TYPE_CHECKING:
    from tests.emulator.portal import Portal


class QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # tests and benchmarks make thousands of requests


@dataclass(frozen=True)
class Webhook:
    member_id: str
    user_id: int
    secret: str


def load_methods() -> None:
    """Import every ``tests.emulator.methods_*`` module so that their ``@method``s register."""
    package = importlib.import_module("tests.emulator")
    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("methods_"):
            importlib.import_module(f"tests.emulator.{module.name}")


class Emulator:
    """Start it, add portals, register apps, drive it, stop it.

    URL layout: one server serves every portal under a path prefix named after its domain
    (``{base_url}/{domain}/rest/``), because a Host header cannot route on 127.0.0.1.
    """

    oauth_domain = "oauth.bitrix.info"  # the ``domain`` field of token responses (the OAuth server)

    def __init__(
        self,
        *,
        limits_enabled: bool = True,
        time_scale: float = 1.0,
        manual_clock: bool = False,
        token_lifetime: int = 3600,
        enterprise: bool = False,
        delivery_timeout: float = 5.0,
        queued_events: bool = False,
    ) -> None:
        self.clock = Clock(time_scale, manual_clock)
        self.limiter = Limiter(self.clock, limits_enabled)
        self.limiter.force = "enterprise" if enterprise else None
        self.faults = Faults(self.clock)
        self.stats = Stats()
        self.requests = RequestLog()
        self.deliveries: list[Delivery] = []
        self.internal_errors: list[str] = []
        self.tokens = TokenStore(self.clock, token_lifetime)
        self.portals: dict[str, Portal] = {}  # by member_id
        self.webhooks: dict[str, Webhook] = {}  # by secret
        self.delivery_timeout = delivery_timeout
        # Events a REST call raises go out after it, in order (tests.emulator.event_queue).
        self.queued_events = queued_events
        self._events: EventQueue | None = None
        self._in_call = threading.local()  # set while this thread runs a REST method handler
        self.lock = threading.RLock()  # held around every method handler and driver change
        self._domains: dict[str, Portal] = {}  # every domain a portal ever had (old ones answer 302)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""
        load_methods()

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self, port: int = 0) -> Emulator:
        """Serve on 127.0.0.1 (a random free port by default) from a background thread."""
        from tests.emulator.wsgi import EmulatorApp

        self._server = make_server(
            "127.0.0.1", port, EmulatorApp(self), threaded=True, request_handler=QuietHandler
        )
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="b24-emulator", daemon=True
        )
        self._thread.start()
        if self.queued_events:
            self._events = EventQueue(lambda url, form: self.deliver(url, form))
        return self

    def stop(self) -> None:
        if self._events is not None:
            self._events.stop()
            self._events = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Emulator:
        return self if self._server else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- set-up ----------------------------------------------------------------------------------
    def add_portal(
        self, member_id: str | None = None, domain: str | None = None, lang: str = "en", plan: str = "basic"
    ) -> Portal:
        from tests.emulator.portal import Portal

        member_id = member_id or secrets.token_hex(16)
        domain = domain or f"portal{len(self.portals) + 1}.bitrix24.test"
        if member_id in self.portals or self.portal_by_domain(domain) is not None:
            raise ValueError(f"a portal with member_id {member_id} or domain {domain} exists")
        portal = Portal(self, member_id=member_id, domain=domain, lang=lang, plan=plan)
        with self.lock:
            self.portals[member_id] = portal
            self._domains[domain] = portal
        return portal

    def register_app(self, client_id: str, client_secret: str, scope: str = DEFAULT_SCOPE) -> None:
        """A local application (``local.xxx.yyy`` + secret) the OAuth server will refresh tokens for."""
        self.tokens.apps[client_id] = LocalApp(client_id, client_secret, scope)

    def add_webhook(self, portal: Portal, user_id: int = 1) -> str:
        """An inbound webhook acting as ``user_id``; returns its base URL ``.../rest/{user_id}/{secret}/``."""
        secret = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(16))
        self.webhooks[secret] = Webhook(portal.member_id, user_id, secret)
        return f"{self.rest_base(portal)}{user_id}/{secret}/"

    @property
    def limits_enabled(self) -> bool:
        return self.limiter.enabled

    @limits_enabled.setter
    def limits_enabled(self, on: bool) -> None:
        self.limiter.enabled = on

    def profile(self, portal: Portal) -> Profile:
        return self.limiter.profile_for(str(getattr(portal, "plan", "basic")))

    # -- URLs ------------------------------------------------------------------------------------
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

    # -- finding portals -------------------------------------------------------------------------
    def portal_by_domain(self, domain: str) -> Portal | None:
        return next((p for p in list(self.portals.values()) if p.domain == domain), None)

    def moved_portal(self, old_domain: str) -> Portal | None:
        """The portal that used to live at ``old_domain`` (renamed since: answer 302)."""
        return self._domains.get(old_domain)

    def portal_for_credential(self, secret: str | None, token: str) -> Portal | None:
        if secret is not None:
            hook = self.webhooks.get(secret)
            return self.portals.get(hook.member_id) if hook else None
        grant = self.tokens.access.get(token) if token else None
        if grant is not None:
            return self.portals.get(grant.member_id)
        return next(iter(self.portals.values())) if len(self.portals) == 1 else None

    # -- tokens (Services) -----------------------------------------------------------------------
    def now(self) -> float:
        return self.clock.now()

    def issue_tokens(self, portal: Portal, client_id: str, user_id: int) -> TokenPair:
        return self.tokens.issue(portal.member_id, client_id, user_id)

    def issue_auth_code(self, portal: Portal, client_id: str, user_id: int = 1) -> str:
        """A 30-second code for ``grant_type=authorization_code`` (the full OAuth flow)."""
        return self.tokens.issue_code(portal.member_id, client_id, user_id)

    def expire_access_tokens(self, portal: Portal) -> None:
        """Test helper: every access token of this portal answers ``expired_token`` from now on."""
        self.tokens.expire(portal.member_id)

    def revoke_tokens(self, portal: Portal, client_id: str | None = None) -> None:
        """Uninstall: the app's tokens on this portal stop working (``invalid_token``/``invalid_grant``)."""
        self.tokens.revoke(portal.member_id, client_id)

    @property
    def access(self) -> dict[str, Grant]:
        return self.tokens.access

    @property
    def refresh(self) -> dict[str, Grant]:
        return self.tokens.refresh

    # -- deliveries (Services) -------------------------------------------------------------------
    def deliver(
        self, url: str, form: list[tuple[str, str]], query: Mapping[str, str] | None = None
    ) -> Delivery:
        """POST form-urlencoded pairs to the app, as Bitrix24's queue server does; never raises."""
        self.stats.add("deliveries")
        if self.faults.take_delivery():
            self.stats.add("dropped_deliveries")
            return self._delivered(Delivery(url, tuple(form), None))
        try:
            answer = requests.post(
                url,
                data=list(form),
                params=dict(query or {}),
                headers={"User-Agent": "Bitrix24 Webhook Engine"},
                timeout=self.delivery_timeout,
                allow_redirects=False,
            )
        except requests.RequestException:
            return self._delivered(Delivery(url, tuple(form), None))
        return self._delivered(Delivery(url, tuple(form), answer.status_code, answer.text))

    def deliver_event(self, url: str, form: list[tuple[str, str]]) -> None:
        """An event for an app's online handler: queued when a REST call raised it and queueing is
        on (it goes out after the call), else delivered now."""
        if self._events is not None and getattr(self._in_call, "active", False):
            self._events.put(url, form)
        else:
            self.deliver(url, form)

    @contextmanager
    def in_rest_call(self) -> Iterator[None]:
        """Marks this thread as running a REST method handler (its events may be queued)."""
        self._in_call.active = True
        try:
            yield
        finally:
            self._in_call.active = False

    def drain_events(self, timeout: float = 30.0) -> bool:
        """Wait until every queued event was delivered (True at once when queueing is off)."""
        return True if self._events is None else self._events.drain(timeout)

    def _delivered(self, delivery: Delivery) -> Delivery:
        with self.lock:
            self.deliveries.append(delivery)
        return delivery

    # -- observation -----------------------------------------------------------------------------
    def reset_stats(self) -> None:
        """Zero the counters and clear the request and delivery logs."""
        self.stats.reset()
        self.requests.clear()
        with self.lock:
            self.deliveries.clear()

    def record_internal_error(self, text: str) -> None:
        self.stats.add("internal_errors")
        with self.lock:
            self.internal_errors.append(text)

    # -- kept for the current driver (portal-model details; prefer the portal model's own API) ---
    def app_install(self, portal: Portal, client_id: str) -> Any:
        from tests.emulator.portal import AppInstall

        return portal.apps.setdefault(client_id, AppInstall(client_id))
