"""The program's ``groups`` section: customer groups by shop (every client of given companies, now
and future) or by customer (a list of ``contact:ID`` / ``company:ID``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry.program.rules import RuleError, first_repeat

CODE_LIMIT = 64


@dataclass(frozen=True)
class Group:
    code: str
    name: str
    by: str  # shop | customer
    companies: frozenset[int] = frozenset()  # by shop
    clients: frozenset[tuple[str, int]] = frozenset()  # by customer: ("contact", 5), ("company", 7)


def code_of(doc: dict[str, Any], path: str) -> str:
    code = doc.get("code")
    if not isinstance(code, str) or not code.strip() or len(code) > CODE_LIMIT:
        raise RuleError(f"{path}.code", f"is required: text of at most {CODE_LIMIT} characters")
    return code.strip()


def _ids(value: Any, path: str) -> frozenset[int]:
    if not isinstance(value, list) or not value:
        raise RuleError(path, "must be a non-empty list of company ids")
    if any(isinstance(v, bool) or not isinstance(v, int | str) or not str(v).isdigit() for v in value):
        raise RuleError(path, "must hold whole positive numbers (company ids)")
    return frozenset(int(v) for v in value)


def _clients(value: Any, path: str) -> frozenset[tuple[str, int]]:
    if not isinstance(value, list) or not value:
        raise RuleError(path, 'must be a non-empty list like ["contact:12", "company:7"]')
    out = set()
    for i, text in enumerate(value):
        kind, _, number = str(text).partition(":")
        if kind not in ("contact", "company") or not number.isdigit():
            raise RuleError(f"{path}[{i}]", 'must be "contact:ID" or "company:ID"')
        out.add((kind, int(number)))
    return frozenset(out)


def parse_group(doc: Any, path: str) -> Group:
    if not isinstance(doc, dict):
        raise RuleError(path, "must be an object")
    code, name = code_of(doc, path), str(doc.get("name") or doc.get("code"))
    if doc.get("by") == "shop":
        return Group(code, name, "shop", companies=_ids(doc.get("companies"), f"{path}.companies"))
    if doc.get("by") == "customer":
        return Group(code, name, "customer", clients=_clients(doc.get("clients"), f"{path}.clients"))
    raise RuleError(f"{path}.by", "must be 'shop' or 'customer'")


def parse_groups(value: Any) -> tuple[Group, ...]:
    """The ``groups`` section; codes are unique."""
    if not isinstance(value, list):
        raise RuleError("$.groups", "must be a list")
    groups = tuple(parse_group(doc, f"$.groups[{i}]") for i, doc in enumerate(value))
    codes = [g.code for g in groups]
    if (i := first_repeat(codes)) is not None:
        raise RuleError(f"$.groups[{i}].code", f"{codes[i]!r} is used twice")
    return groups
