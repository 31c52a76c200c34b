"""HTTP control API under ``/_emulator/`` (JSON in and out) for the standalone emulator."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from tests.emulator.answers import json_response
from tests.emulator.protocol import B24Error

if TYPE_CHECKING:
    from tests.emulator.server import Emulator

Action = Callable[["Emulator", dict[str, Any], Request], Any]


def _faults(emu: Emulator, payload: dict[str, Any], request: Request) -> Any:
    if request.method == "GET":
        return emu.faults.pending()
    kind = str(payload.pop("kind", ""))
    actions: dict[str, Callable[..., None]] = {
        "fail": emu.faults.fail_next,
        "timeout": emu.faults.timeout_next,
        "lose_response": emu.faults.lose_response_next,
        "drop_deliveries": emu.faults.drop_deliveries,
        "down": emu.faults.down_for,
        "clear": emu.faults.clear,
    }
    if kind not in actions:
        raise B24Error("INVALID_ARG_VALUE", f"unknown fault kind {kind!r}; one of {sorted(actions)}", 400)
    actions[kind](**payload)
    return {"ok": True, "pending": emu.faults.pending()}


def _requests(emu: Emulator, payload: dict[str, Any], request: Request) -> Any:
    limit = int(request.args.get("limit", "200"))
    return [asdict(r) for r in emu.requests.calls()[-limit:]]


def _portals(emu: Emulator, payload: dict[str, Any], request: Request) -> Any:
    return [
        {"member_id": p.member_id, "domain": p.domain, "plan": p.plan, "rest": emu.rest_base(p)}
        for p in list(emu.portals.values())
    ]


def _stats(emu: Emulator, payload: dict[str, Any], request: Request) -> Any:
    return emu.stats().as_dict()


def _reset(emu: Emulator, payload: dict[str, Any], request: Request) -> Any:
    emu.reset_stats()
    return {"ok": True}


def _advance(emu: Emulator, payload: dict[str, Any], request: Request) -> Any:
    emu.clock.advance(float(payload.get("seconds", 0)))
    return {"now": emu.now()}


def _webhook(emu: Emulator, payload: dict[str, Any], request: Request) -> Any:
    portal = _portal(emu, str(payload.get("member_id", "")))
    return {"url": emu.add_webhook(portal, int(payload.get("user_id", 1)))}


def _tokens(emu: Emulator, payload: dict[str, Any], request: Request) -> Any:
    portal = _portal(emu, str(payload.get("member_id", "")))
    pair = emu.issue_tokens(portal, str(payload["client_id"]), int(payload.get("user_id", 1)))
    return {**asdict(pair), "client_endpoint": emu.client_endpoint(portal)}


ROUTES: dict[tuple[str, str], Action] = {
    ("GET", "stats"): _stats,
    ("POST", "reset-stats"): _reset,
    ("GET", "faults"): _faults,
    ("POST", "faults"): _faults,
    ("GET", "requests"): _requests,
    ("GET", "portals"): _portals,
    ("POST", "clock/advance"): _advance,
    ("POST", "webhook"): _webhook,
    ("POST", "tokens"): _tokens,
}


def _portal(emu: Emulator, member_id: str) -> Any:
    portal = emu.portals.get(member_id) or (next(iter(emu.portals.values())) if not member_id else None)
    if portal is None:
        raise B24Error("NOT_FOUND", f"no portal with member_id {member_id!r}", 404)
    return portal


def _drive(emu: Emulator, member_id: str, action: str, payload: dict[str, Any]) -> Response:
    """Hand the action to the portal model's ``driver.control(portal, action, payload) -> dict``."""
    portal = _portal(emu, member_id)
    control = getattr(importlib.import_module("tests.emulator.driver"), "control", None)
    if control is None:
        body = {"error": "NOT_IMPLEMENTED", "error_description": "tests.emulator.driver has no control()"}
        return json_response(body, 404)
    with emu.lock:
        return json_response(control(portal, action, payload))


def handle_control(emu: Emulator, request: Request) -> Response:
    name = request.path.removeprefix("/_emulator/").strip("/")
    payload = request.get_json(silent=True) if request.get_data() else {}
    if not isinstance(payload, dict):
        return json_response({"error": "INVALID_REQUEST", "error_description": "send a JSON object"}, 400)
    try:
        if name.startswith("portal/") and name.count("/") == 2 and request.method == "POST":
            _, member_id, action = name.split("/")
            return _drive(emu, member_id, action, payload)
        action_fn = ROUTES.get((request.method, name))
        if action_fn is None:
            body = {"error": "NOT_FOUND", "error_description": f"no control endpoint {request.method} {name}"}
            return json_response(body, 404)
        return json_response(action_fn(emu, payload, request))
    except B24Error as err:
        return json_response(err.body(), err.status)
    except (TypeError, ValueError, KeyError) as exc:
        return json_response({"error": "INVALID_ARG_VALUE", "error_description": repr(exc)}, 400)
