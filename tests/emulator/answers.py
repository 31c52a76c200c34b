"""The shapes of portal answers: JSON responses, the ``time`` block and the result envelope."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response

from tests.emulator.clock import Clock
from tests.emulator.protocol import Page

BAD_GATEWAY = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"


def json_response(body: Any, status: int = 200) -> Response:
    text = json.dumps(body, ensure_ascii=False, default=str)
    return Response(text, status, content_type="application/json; charset=utf-8")


def time_block(started: float, finished: float) -> dict[str, Any]:
    return {
        "start": started,
        "finish": finished,
        "duration": finished - started,
        "processing": finished - started,
        "date_start": Clock.iso(started),
        "date_finish": Clock.iso(finished),
    }


def envelope(result: Any, timing: dict[str, Any]) -> dict[str, Any]:
    """``{"result": ..., "next"?, "total"?, "time": ...}``; a Page adds total and next when not None."""
    if not isinstance(result, Page):
        return {"result": result, "time": timing}
    body: dict[str, Any] = {"result": result.result}
    if result.next is not None:
        body["next"] = result.next
    if result.total is not None:
        body["total"] = result.total
    body["time"] = timing
    return body
