"""The program's ``tiers``: client levels by won total, each with the percent it gives the client.

``{"basis": "won_total" | "won_total_12m", "levels": [{code, name, from, percent}], "field": UF}``:
a client's level is the last level whose ``from`` their won total reaches (all time, or the deals
won in the last 12 months); its ``percent`` replaces the percent of the program's ``percent`` rules
for that client's next deals. ``field`` (optional) is a client UF field the level's name is written
to. Errors name the JSON path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from registry.program.rules import RuleError, number
from registry.program.values import MAX_AMOUNT

BASES = ("won_total", "won_total_12m")
CODE = re.compile(r"[A-Za-z0-9_.-]{1,32}", re.ASCII)
FIELD = re.compile(r"UF_CRM_[A-Z0-9_]{1,40}", re.ASCII)
KEYS = frozenset({"basis", "levels", "field"})
LEVEL_KEYS = frozenset({"code", "name", "from", "percent"})
MAX_LEVELS = 20
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Level:
    code: str
    name: str
    start: Decimal  # the won total the level starts at (``from``)
    percent: Decimal


@dataclass(frozen=True)
class Tiers:
    basis: str
    levels: tuple[Level, ...]
    field: str | None = None

    @property
    def rolling(self) -> bool:
        """Whether the won total is the last 12 months' (a daily pass then lowers levels)."""
        return self.basis == "won_total_12m"

    def level_for(self, total: Decimal) -> Level | None:
        """The highest level the total reaches (None: below the first level's ``from``)."""
        reached = [level for level in self.levels if total >= level.start]
        return reached[-1] if reached else None

    def level(self, code: str | None) -> Level | None:
        return next((level for level in self.levels if level.code == code), None)


def parse_tiers(value: Any) -> Tiers | None:
    """The ``tiers`` section (null: no levels)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RuleError("$.tiers", "must be an object with 'basis' and 'levels', or null")
    unknown = sorted(set(value) - KEYS)
    if unknown:
        raise RuleError(f"$.tiers.{unknown[0]}", "is not a tiers setting")
    basis = value.get("basis", "won_total")
    if basis not in BASES:
        raise RuleError("$.tiers.basis", f"must be one of {', '.join(BASES)}")
    field = value.get("field")
    if field is not None and (not isinstance(field, str) or not FIELD.fullmatch(field)):
        raise RuleError("$.tiers.field", "must be a client field code like UF_CRM_BONUS_LEVEL, or null")
    levels = value.get("levels")
    if not isinstance(levels, list) or not 1 <= len(levels) <= MAX_LEVELS:
        raise RuleError("$.tiers.levels", f"must be a list of 1 to {MAX_LEVELS} levels")
    parsed = tuple(_level(item, f"$.tiers.levels[{i}]") for i, item in enumerate(levels))
    _check_order(parsed)
    return Tiers(basis, parsed, field)


def _check_order(levels: tuple[Level, ...]) -> None:
    """Codes are unique and ``from`` strictly ascends (one level per won total)."""
    for i, level in enumerate(levels):
        if any(level.code == other.code for other in levels[:i]):
            raise RuleError(f"$.tiers.levels[{i}].code", f"repeats {level.code!r}")
        if i and level.start <= levels[i - 1].start:
            raise RuleError(f"$.tiers.levels[{i}].from", "must be greater than the previous level's 'from'")


def _level(item: Any, path: str) -> Level:
    if not isinstance(item, dict):
        raise RuleError(path, "must be an object")
    unknown = sorted(set(item) - LEVEL_KEYS)
    if unknown:
        raise RuleError(f"{path}.{unknown[0]}", "is not a level setting")
    code = item.get("code")
    if not isinstance(code, str) or not CODE.fullmatch(code):
        raise RuleError(f"{path}.code", "must be 1-32 letters, digits, '_', '-' or '.'")
    name = item.get("name", code)
    if not isinstance(name, str) or not name.strip() or len(name) > 64:
        raise RuleError(f"{path}.name", "must be a text of 1 to 64 characters")
    start = Decimal(number(item, "from", path, required=True) or "0")
    if start > MAX_AMOUNT or start != start.quantize(Decimal("0.01")):
        raise RuleError(f"{path}.from", "must have at most two decimals and 12 integer digits")
    percent = Decimal(number(item, "percent", path, required=True) or "0")
    if percent > HUNDRED or percent != percent.quantize(Decimal("0.0001")):
        raise RuleError(f"{path}.percent", "must be from 0 to 100 with at most four decimals")
    return Level(code, name.strip(), start.quantize(Decimal("0.01")), percent)


def priced(rule: dict[str, Any], level: Level | None) -> dict[str, Any]:
    """The rule as it values a client at ``level``: a ``percent`` rule takes the level's percent."""
    if level is None or rule.get("kind") != "percent":
        return rule
    return {**rule, "percent": str(level.percent)}
