"""Core-test helpers: test-only REST methods, an app-side receiver, and OAuth/webhook shortcuts."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.emulator.protocol import B24Error, CallContext, Page, method
from tests.emulator.pytest_plugin import CLIENT_ID, emulator_factory  # noqa: F401
from tests.emulator.server import Emulator, QuietHandler

EXECUTED: Counter[str] = Counter()  # test.count: how often each key really ran


@method("test.echo")
def echo(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "params": params,
        "auth_kind": ctx.auth_kind,
        "user_id": ctx.user_id,
        "client_id": ctx.client_id,
        "method": ctx.method,
        "via_batch": ctx.extras.get("via_batch"),
        "member_id": ctx.portal.member_id,
    }


@method("test.app_only", app_only=True)
def app_only(ctx: CallContext, params: dict[str, Any]) -> bool:
    return True


@method("test.app_only_wrong", app_only=True, app_only_error="WRONG_AUTH_TYPE")
def app_only_wrong(ctx: CallContext, params: dict[str, Any]) -> bool:
    return True


@method("test.fail")
def fail(ctx: CallContext, params: dict[str, Any]) -> None:
    raise B24Error(
        str(params.get("code", "")),
        str(params.get("text", "Not found.")),
        int(params.get("status", 400)),
        argument="x",
    )


@method("test.crash")
def crash(ctx: CallContext, params: dict[str, Any]) -> None:
    raise RuntimeError("boom")


@method("test.count")
def count(ctx: CallContext, params: dict[str, Any]) -> int:
    EXECUTED[str(params.get("key", ""))] += 1
    return EXECUTED[str(params.get("key", ""))]


@method("test.costly", cost=100.0)
def costly(ctx: CallContext, params: dict[str, Any]) -> bool:
    return True


@method("test.list")
def paged(ctx: CallContext, params: dict[str, Any]) -> Page:
    """``count`` rows ``{"ID": "1"...}``, 50 a page; start=-1 drops total and next."""
    rows = [{"ID": str(i), "NAME": f"row {i}"} for i in range(1, int(params.get("count", 0)) + 1)]
    start = int(params.get("start", 0) or 0)
    if start == -1:
        return Page(rows[:50], None, None)
    more = start + 50 if start + 50 < len(rows) else None
    return Page(rows[start : start + 50], len(rows), more)


@dataclass
class Got:
    path: str
    form: list[tuple[str, str]]
    query: dict[str, str]


class Receiver:
    """A stand-in for the app: records what the portal POSTs and answers ``status``."""

    def __init__(self) -> None:
        self.got: list[Got] = []
        self.status = 200
        self.server = make_server("127.0.0.1", 0, self, threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.got.append(Got(request.path, list(request.form.items(multi=True)), dict(request.args)))
        return Response("ok", self.status)(environ, start_response)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def oauth_call(emu: Emulator, portal: Any, method_name: str, **params: Any) -> requests.Response:
    token = emu.issue_tokens(portal, CLIENT_ID, 1).access_token
    return requests.post(emu.rest_base(portal) + method_name, json={"auth": token, **params}, timeout=10)
