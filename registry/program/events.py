"""The program's ``events``: customer events that earn (a review, a referral), posted through the API.

``{code, name, points, per_client_max, referred_points}``: ``points`` go to the client the event is
for (the referrer, for a referral), ``referred_points`` to the client it names as referred (each
referred client gets them once); ``per_client_max`` bounds how often one client earns from the
event (null: no bound). Errors name the JSON path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from registry.program.rules import RuleError, first_repeat, known_fields, number
from registry.program.values import MAX_AMOUNT

CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}", re.ASCII)
KEYS = frozenset({"code", "name", "points", "per_client_max", "referred_points"})


@dataclass(frozen=True)
class CustomerEvent:
    code: str
    name: str
    points: Decimal
    per_client_max: int | None = None
    referred_points: Decimal = Decimal("0")


def parse_events(value: Any) -> tuple[CustomerEvent, ...]:
    if not isinstance(value, list):
        raise RuleError("$.events", "must be a list")
    events = tuple(_event(item, f"$.events[{i}]") for i, item in enumerate(value))
    codes = [e.code for e in events]
    if (i := first_repeat(codes)) is not None:
        raise RuleError(f"$.events[{i}].code", f"repeats {codes[i]!r}")
    return events


def _event(item: Any, path: str) -> CustomerEvent:
    item = known_fields(item, path, KEYS, "an event setting")
    code = item.get("code")
    if not isinstance(code, str) or not CODE.fullmatch(code):
        raise RuleError(f"{path}.code", "must be 1-64 letters, digits, '_', '-' or '.'")
    name = item.get("name", code)
    if not isinstance(name, str) or len(name) > 255:
        raise RuleError(f"{path}.name", "must be a text of at most 255 characters")
    points = _points(item, "points", path, required=True)
    referred = _points(item, "referred_points", path, required=False)
    if points + referred <= 0:
        raise RuleError(f"{path}.points", "the event must give the client or the referred something")
    cap = item.get("per_client_max")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= 1_000_000):
        raise RuleError(f"{path}.per_client_max", "must be a whole number from 1, or null for no bound")
    return CustomerEvent(code, name, points, cap, referred)


def _points(item: dict[str, Any], key: str, path: str, *, required: bool) -> Decimal:
    raw = number(item, key, path, required=required)
    value = Decimal(raw) if raw is not None else Decimal("0")
    if value > MAX_AMOUNT or value != value.quantize(Decimal("0.01")):
        raise RuleError(f"{path}.{key}", "must have at most two decimals and 12 integer digits")
    return value.quantize(Decimal("0.01"))
