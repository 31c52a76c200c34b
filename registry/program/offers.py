"""The program's product-aware sections: ``offers``, ``bundles`` and ``legal_entities``, validated once.

Each is normalised to plain JSON (what an accrual's snapshot keeps). Errors name the JSON path.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from registry.program.rules import RuleError, known_fields, number

BASES = ("transaction", "per_item")
SPENDS = ("accumulate", "instant")
BUNDLE_TYPES = ("ontime_only", "cash_discount")
SEGMENT_CLIENTS = ("contacts", "companies", "both")
# OKEI unit codes (b24-patterns.md §3.1: 359 day, 360 week, 362 month, 796 piece).
UNIT_CODES = {"day": 359, "week": 360, "month": 362, "piece": 796}
# How many of a bundle's unit one unit of a row holds: a week is 7 days (the seed: "Weeks*7").
UNIT_FACTORS = {("day", 360): 7}


def _code(doc: dict[str, Any], path: str, seen: set[str]) -> str:
    code = doc.get("code")
    if not isinstance(code, str) or not code.strip() or len(code) > 64:
        raise RuleError(f"{path}.code", "must be a text of 1 to 64 characters")
    if code in seen:
        raise RuleError(f"{path}.code", f"repeats {code!r}")
    seen.add(code)
    return code


def _ids(value: Any, path: str) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list) or any(
        isinstance(v, bool) or not isinstance(v, int) or v <= 0 for v in value
    ):
        raise RuleError(path, "must be a list of positive whole numbers")
    return sorted(set(value))


def _products(doc: Any, path: str) -> dict[str, list[int]]:
    if doc is None:
        return {"ids": [], "sections": []}
    if not isinstance(doc, dict):
        raise RuleError(path, "must be an object {ids, sections}")
    return {
        "ids": _ids(doc.get("ids"), f"{path}.ids"),
        "sections": _ids(doc.get("sections"), f"{path}.sections"),
    }


def _choice(
    doc: dict[str, Any], key: str, allowed: tuple[str, ...], path: str, default: str | None = None
) -> str:
    value = doc.get(key, default)
    if value not in allowed:
        raise RuleError(f"{path}.{key}", f"must be one of {', '.join(allowed)}")
    return str(value)


def _entity(doc: dict[str, Any], key: str, path: str) -> int | None:
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise RuleError(f"{path}.{key}", "must be the id of one of the portal's own companies")
    return value


def _day(doc: dict[str, Any], key: str, path: str) -> str | None:
    if doc.get(key) in (None, ""):
        return None
    try:
        return date.fromisoformat(str(doc[key])).isoformat()
    except ValueError as exc:
        raise RuleError(f"{path}.{key}", "must be a date YYYY-MM-DD") from exc


def _codes(value: Any, path: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or any(not isinstance(g, str) for g in value):
        raise RuleError(path, "must be a list of group codes")
    return list(value)


def _segment(doc: Any, path: str) -> dict[str, Any]:
    if doc is None:
        return {"clients": "both", "groups": []}
    # registration age and field filters are the campaigns' (client mirror) business
    doc = known_fields(doc, path, {"clients", "groups"}, "an offer segment setting (clients, groups)")
    groups = _codes(doc.get("groups"), f"{path}.groups")
    return {"clients": _choice(doc, "clients", SEGMENT_CLIENTS, path, "both"), "groups": groups}


def parse_offer(doc: Any, path: str, seen: set[str]) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise RuleError(path, "must be an object")
    percent, points = number(doc, "percent", path), number(doc, "points", path)
    if (percent is None) == (points is None):
        raise RuleError(path, "needs exactly one of 'percent' or 'points'")
    start, end = _day(doc, "valid_from", path), _day(doc, "valid_to", path)
    if start and end and end < start:
        raise RuleError(f"{path}.valid_to", "must not be before valid_from")
    return {
        "code": _code(doc, path, seen),
        "name": str(doc.get("name") or doc["code"])[:255],
        "basis": _choice(doc, "basis", BASES, path),
        "products": _products(doc.get("products"), f"{path}.products"),
        "percent": percent,
        "points": points,
        "spend": _choice(doc, "spend", SPENDS, path, "accumulate"),
        "legal_entity": _entity(doc, "legal_entity", path),
        "valid_from": start,
        "valid_to": end,
        "segment": _segment(doc.get("segment"), f"{path}.segment"),
    }


def _quantity(doc: dict[str, Any], key: str, path: str) -> str:
    value = number(doc, key, path, required=True)
    assert value is not None
    if float(value) <= 0:
        raise RuleError(f"{path}.{key}", "must be greater than 0")
    return value


def parse_bundle(doc: Any, path: str, seen: set[str]) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise RuleError(path, "must be an object")
    product = _products(doc.get("product"), f"{path}.product")
    if not product["ids"] and not product["sections"]:
        raise RuleError(f"{path}.product", "must name product ids or sections")
    groups = _codes(doc.get("groups"), f"{path}.groups")
    return {
        "code": _code(doc, path, seen),
        "name": str(doc.get("name") or doc["code"])[:255],
        "product": product,
        "unit": _choice(doc, "unit", tuple(UNIT_CODES), path),
        "trigger_quantity": _quantity(doc, "trigger_quantity", path),
        "reward_quantity": _quantity(doc, "reward_quantity", path),
        "type": _choice(doc, "type", BUNDLE_TYPES, path),
        "groups": groups,
        "legal_entity": _entity(doc, "legal_entity", path),
    }


def parse_list(value: Any, key: str, parse_one: Any) -> tuple[dict[str, Any], ...]:
    if not isinstance(value, list):
        raise RuleError(f"$.{key}", "must be a list")
    seen: set[str] = set()
    return tuple(parse_one(item, f"$.{key}[{i}]", seen) for i, item in enumerate(value))


def parse_legal_entities(value: Any) -> dict[str, Any]:
    """``{"default": MYCOMPANY_ID | null, "companies": [ids], "from_deal": bool}``: who owes what the
    program awards; ``from_deal``: with no default, the deal's own company (its requisite link)."""
    if not isinstance(value, dict):
        raise RuleError("$.legal_entities", "must be an object {default, companies, from_deal}")
    unknown = sorted(set(value) - {"default", "companies", "from_deal"})
    if unknown:
        raise RuleError(f"$.legal_entities.{unknown[0]}", "is not a legal_entities setting")
    companies = _ids(value.get("companies"), "$.legal_entities.companies")
    default = _entity(value, "default", "$.legal_entities")
    if default is not None and companies and default not in companies:
        raise RuleError("$.legal_entities.default", "must be one of companies")
    from_deal = value.get("from_deal", False)
    if not isinstance(from_deal, bool):
        raise RuleError("$.legal_entities.from_deal", "must be true or false")
    return {"default": default, "companies": companies, "from_deal": from_deal}


def check_groups(
    known: set[str], offers: tuple[dict[str, Any], ...], bundles: tuple[dict[str, Any], ...]
) -> None:
    """Every group an offer's segment or a bundle names is one of the program's ``groups``."""
    named = [(f"$.offers[{i}].segment.groups", o["segment"]["groups"]) for i, o in enumerate(offers)]
    named += [(f"$.bundles[{i}].groups", b["groups"]) for i, b in enumerate(bundles)]
    for path, codes in named:
        for code in codes:
            if code not in known:
                raise RuleError(path, f"names no group of the program: {code!r}")


def check_entities(
    legal: dict[str, Any], offers: tuple[dict[str, Any], ...], bundles: tuple[dict[str, Any], ...]
) -> None:
    """An offer's or bundle's legal entity must be one the program lists (when it lists any)."""
    allowed = set(legal["companies"])
    for key, items in (("offers", offers), ("bundles", bundles)):
        for i, item in enumerate(items):
            if allowed and item["legal_entity"] is not None and item["legal_entity"] not in allowed:
                raise RuleError(f"$.{key}[{i}].legal_entity", "must be one of legal_entities.companies")
