"""Standalone control endpoints under /_emulator/: stats, faults and driving a portal."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from tests.emulator.server import Emulator


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, default=str), status, content_type="application/json")


def handle(emu: Emulator, request: Request) -> Response:
    from tests.emulator import driver

    parts = request.path.strip("/").split("/")[1:]
    payload = request.get_json(silent=True) or {}
    if parts == ["stats"]:
        return _json(emu.stats.as_dict())
    if parts == ["faults"] and request.method == "POST":
        kind = payload.pop("kind", "")
        actions = {
            "fail": emu.faults.fail_next,
            "timeout": emu.faults.timeout_next,
            "lose_response": emu.faults.lose_response_next,
            "drop_deliveries": emu.faults.drop_deliveries,
        }
        if kind not in actions:
            return _json({"error": f"unknown fault kind {kind!r}"}, 400)
        actions[kind](**payload)
        return _json({"ok": True})
    if len(parts) == 3 and parts[0] == "portal" and parts[1] in emu.portals:
        portal, action = emu.portals[parts[1]], parts[2]
        drive = {
            "create_deal": lambda: driver.create_deal(emu, portal, **payload),
            "update_deal": lambda: driver.update_deal(emu, portal, **payload),
            "delete_deal": lambda: driver.delete_deal(emu, portal, **payload),
            "create_contact": lambda: driver.create_contact(emu, portal, **payload),
            "create_company": lambda: driver.create_company(emu, portal, **payload),
            "install_api": lambda: driver.install_api(emu, portal, **payload).status,
            "install_ui": lambda: driver.install_ui(emu, portal, **payload).status,
            "install_finish": lambda: driver.install_finish(emu, portal, **payload),
        }
        if action in drive:
            return _json({"result": drive[action]()})
    return _json({"error": "unknown control endpoint"}, 404)
