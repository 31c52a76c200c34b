"""The contract between the emulator's HTTP core (server.py) and its portal model (portal.py).

The core owns transport, batch, limits, OAuth, faults and the request log; the portal model
owns CRM data, application registrations (events, robots, placements) and the driver that
plays the portal's side towards the app. Method handlers register here with ``@method``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from tests.emulator.portal import Portal


class B24Error(Exception):
    """An error answered as ``{"error": code, "error_description": description, **extra}``."""

    def __init__(self, code: str, description: str, status: int = 400, **extra: Any) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.status = status
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "error_description": self.description, **self.extra}


@dataclass
class Page:
    """A list method's answer: ``result`` plus ``total`` (None when start=-1) and ``next``."""

    result: Any
    total: int | None
    next: int | None


@dataclass
class CallContext:
    """Who is calling: resolved by the core from the OAuth token or the webhook path."""

    portal: Portal
    auth_kind: Literal["oauth", "webhook"]
    user_id: int
    client_id: str | None = None  # the local application's client_id in OAuth mode
    method: str = ""
    extras: dict[str, Any] = field(default_factory=dict)


MethodHandler = Callable[[CallContext, dict[str, Any]], Any]


@dataclass(frozen=True)
class MethodSpec:
    name: str
    handler: MethodHandler
    app_only: bool = False  # needs an application (OAuth) context; a webhook gets refused
    app_only_error: Literal["ACCESS_DENIED", "WRONG_AUTH_TYPE"] = "ACCESS_DENIED"
    cost: float = 0.01  # seconds charged to the per-method operating-time budget


METHODS: dict[str, MethodSpec] = {}


def method(
    name: str,
    *,
    app_only: bool = False,
    app_only_error: Literal["ACCESS_DENIED", "WRONG_AUTH_TYPE"] = "ACCESS_DENIED",
    cost: float = 0.01,
) -> Callable[[MethodHandler], MethodHandler]:
    """Register a REST method handler (names are case-insensitive on the wire)."""

    def register(fn: MethodHandler) -> MethodHandler:
        METHODS[name.lower()] = MethodSpec(name.lower(), fn, app_only, app_only_error, cost)
        return fn

    return register


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    expires: int  # unix time the access token dies


@dataclass(frozen=True)
class Delivery:
    """One POST the portal made to the app (install, event, robot, placement)."""

    url: str
    form: tuple[tuple[str, str], ...]
    status: int | None  # None: dropped by a fault or the app was unreachable
    body: str = ""


class Services(Protocol):
    """What the portal model needs from the core (implemented by server.Emulator)."""

    def issue_tokens(self, portal: Portal, client_id: str, user_id: int) -> TokenPair: ...

    def deliver(
        self, url: str, form: list[tuple[str, str]], query: Mapping[str, str] | None = None
    ) -> Delivery: ...

    def deliver_event(self, url: str, form: list[tuple[str, str]]) -> None:
        """An event for an online handler: now, or queued until the REST call raising it is answered."""
        ...

    def now(self) -> float: ...

    def client_endpoint(self, portal: Portal) -> str: ...

    def oauth_rest_url(self) -> str: ...

    # Added by the core (server.Emulator implements them):
    def revoke_tokens(self, portal: Portal, client_id: str | None = None) -> None:
        """Uninstall: that app's access and refresh tokens on that portal stop working at once."""
        ...

    @property
    def lock(self) -> AbstractContextManager[Any]:
        """Re-entrant lock the core holds around every method handler; hold it while changing portal
        data from outside a handler (the driver), and release it before ``deliver`` (a synchronous POST
        to the app, which may call back into REST)."""
        ...
