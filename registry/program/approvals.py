"""Approval definitions of the program (``approvals``): what an agent may request, within which
bounds, for whom, approved by whom; and the conditions (segment, ``auto_condition``) over deal fields.

A condition is a list of comparisons that must all hold: ``{"field": "UF_CRM_DONE", "op": ">",
"other": "UF_CRM_DUE"}`` (another field of the deal) or ``{"field": "CATEGORY_ID", "op": "=",
"value": "0"}``. Two values that both read as dates compare as dates, as numbers when both are
numbers, else as text; a missing field never satisfies a comparison.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from registry.program.rules import RuleError, first_repeat, known_fields


class ApprovalKind(StrEnum):
    BONUS_POINTS = "bonus_points"
    DISCOUNT_AMOUNT = "discount_amount"
    DISCOUNT_PERCENT = "discount_percent"
    FREE_PERIOD = "free_period"


OPERATORS = (">", ">=", "<", "<=", "=", "!=")
_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
KEYS = frozenset(
    {
        "code", "name", "kind", "range", "valid_from", "valid_to", "per_month_max", "per_year_count",
        "products", "segment", "approval", "auto_apply", "auto_condition",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Comparison:
    field: str
    op: str
    other: str | None = None  # another field of the deal
    value: str | None = None  # or a fixed value


@dataclass(frozen=True)
class Definition:
    code: str
    name: str
    kind: ApprovalKind
    minimum: Decimal
    maximum: Decimal
    valid_from: date | None = None
    valid_to: date | None = None
    per_month_max: Decimal | None = None
    per_year_count: int | None = None
    product_ids: frozenset[int] = frozenset()
    sections: frozenset[int] = frozenset()
    segment: tuple[Comparison, ...] = ()
    manual: bool = False
    approvers: frozenset[int] = frozenset()
    departments: frozenset[int] = frozenset()
    auto_apply: bool = False
    auto_condition: tuple[Comparison, ...] = field(default_factory=tuple)

    @property
    def is_discount(self) -> bool:
        return self.kind in (ApprovalKind.DISCOUNT_AMOUNT, ApprovalKind.DISCOUNT_PERCENT)

    @property
    def has_products(self) -> bool:
        return bool(self.product_ids or self.sections)

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or day >= self.valid_from) and (
            self.valid_to is None or day <= self.valid_to
        )


def _number(raw: Any, path: str, *, whole: bool = False) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise RuleError(path, "must be a number")
    try:
        value = Decimal(str(raw))
    except InvalidOperation as exc:
        raise RuleError(path, "must be a number") from exc
    if not value.is_finite() or value < 0 or value > Decimal("1e12"):
        raise RuleError(path, "must be a number from 0 to 10^12")
    if whole and value != value.to_integral_value():
        raise RuleError(path, "must be a whole number")
    return value


def _date(raw: Any, path: str) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError as exc:
        raise RuleError(path, "must be a date YYYY-MM-DD") from exc


def _ids(raw: Any, path: str) -> frozenset[int]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in raw):
        raise RuleError(path, "must be a list of ids")
    if any(i <= 0 or i >= 2**31 for i in raw):
        raise RuleError(path, "ids are positive whole numbers")
    return frozenset(raw)


def parse_condition(raw: Any, path: str) -> tuple[Comparison, ...]:
    """A list of comparisons that must all hold (None or [] holds always)."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > 20:
        raise RuleError(path, "must be a list of at most 20 comparisons")
    found = []
    for i, item in enumerate(raw):
        where = f"{path}[{i}]"
        if not isinstance(item, dict) or set(item) - {"field", "op", "other", "value"}:
            raise RuleError(where, "must be {field, op, other | value}")
        if not isinstance(item.get("field"), str) or not _FIELD.fullmatch(item["field"]):
            raise RuleError(f"{where}.field", "must be a deal field code")
        if item.get("op") not in OPERATORS:
            raise RuleError(f"{where}.op", f"must be one of {' '.join(OPERATORS)}")
        other, value = item.get("other"), item.get("value")
        if (other is None) == (value is None):
            raise RuleError(where, "needs exactly one of other and value")
        if other is not None and (not isinstance(other, str) or not _FIELD.fullmatch(other)):
            raise RuleError(f"{where}.other", "must be a deal field code")
        if value is not None and (not isinstance(value, str | int | float) or isinstance(value, bool)):
            raise RuleError(f"{where}.value", "must be text or a number")
        found.append(Comparison(item["field"], item["op"], other, None if value is None else str(value)))
    return tuple(found)


def _approval(raw: Any, path: str) -> tuple[bool, frozenset[int], frozenset[int]]:
    if not isinstance(raw, dict) or raw.get("mode") not in ("automatic", "manual"):
        raise RuleError(f"{path}.mode", "must be automatic or manual")
    if raw["mode"] == "automatic":
        return False, frozenset(), frozenset()
    users = _ids(raw.get("approvers"), f"{path}.approvers")
    departments = _ids(raw.get("departments"), f"{path}.departments")
    if not users and not departments:
        raise RuleError(path, "a manual approval needs approvers or departments")
    return True, users, departments


def _code(raw: Any, path: str) -> str:
    """The definition's code, once it is an object of known fields with a known kind."""
    known_fields(raw, path, KEYS, "a field of an approval definition")
    code = raw.get("code")
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise RuleError(f"{path}.code", "must be 1-64 letters, digits, _ . -")
    if raw.get("kind") not in tuple(ApprovalKind):
        raise RuleError(f"{path}.kind", f"must be one of {', '.join(ApprovalKind)}")
    return code


def _range(raw: dict[str, Any], path: str) -> tuple[Decimal, Decimal]:
    bounds = raw.get("range")
    if not isinstance(bounds, dict) or "min" not in bounds or "max" not in bounds:
        raise RuleError(f"{path}.range", "must be {min, max}")
    low, high = _number(bounds["min"], f"{path}.range.min"), _number(bounds["max"], f"{path}.range.max")
    if low > high or high <= 0:
        raise RuleError(f"{path}.range", "min must not exceed max, and max must be above 0")
    if raw["kind"] == ApprovalKind.DISCOUNT_PERCENT and high > 100:
        raise RuleError(f"{path}.range.max", "a percent is at most 100")
    return low, high


def parse_definition(raw: Any, path: str) -> Definition:
    code = _code(raw, path)
    low, high = _range(raw, path)
    products = raw.get("products") or {}
    if not isinstance(products, dict) or set(products) - {"ids", "sections"}:
        raise RuleError(f"{path}.products", "must be {ids, sections}")
    manual, approvers, departments = _approval(raw.get("approval"), f"{path}.approval")
    month = raw.get("per_month_max")
    year = raw.get("per_year_count")
    if not isinstance(raw.get("auto_apply", False), bool):
        raise RuleError(f"{path}.auto_apply", "must be true or false")
    definition = Definition(
        code=code,
        name=str(raw.get("name") or code)[:255],
        kind=ApprovalKind(raw["kind"]),
        minimum=low,
        maximum=high,
        valid_from=_date(raw.get("valid_from"), f"{path}.valid_from"),
        valid_to=_date(raw.get("valid_to"), f"{path}.valid_to"),
        per_month_max=None if month is None else _number(month, f"{path}.per_month_max"),
        per_year_count=None if year is None else int(_number(year, f"{path}.per_year_count", whole=True)),
        product_ids=_ids(products.get("ids"), f"{path}.products.ids"),
        sections=_ids(products.get("sections"), f"{path}.products.sections"),
        segment=parse_condition(raw.get("segment"), f"{path}.segment"),
        manual=manual,
        approvers=approvers,
        departments=departments,
        auto_apply=bool(raw.get("auto_apply", False)),
        auto_condition=parse_condition(raw.get("auto_condition"), f"{path}.auto_condition"),
    )
    if definition.auto_apply and definition.minimum != definition.maximum:
        raise RuleError(f"{path}.range", "an auto_apply definition has one amount (min = max)")
    return definition


def parse_approvals(raw: Any, path: str = "$.approvals") -> tuple[Definition, ...]:
    if not isinstance(raw, list) or len(raw) > 200:
        raise RuleError(path, "must be a list of at most 200 definitions")
    found = tuple(parse_definition(item, f"{path}[{i}]") for i, item in enumerate(raw))
    codes = [d.code for d in found]
    if (i := first_repeat(codes)) is not None:
        raise RuleError(f"{path}[{i}].code", f"{codes[i]!r} is used twice")
    return found


def _comparable(raw: Any) -> date | Decimal | str | None:
    if raw is None or raw == "" or isinstance(raw, list | dict):
        return None
    text = str(raw).strip()
    match = _DATE.match(text)
    if match:
        try:
            return date.fromisoformat(match.group(1))
        except ValueError:
            return text
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    return number if number.is_finite() else text


def _compare(left: Any, op: str, right: Any) -> bool:
    if left is None or right is None:
        return False
    if type(left) is not type(right):
        left, right = str(left), str(right)
    result: bool = {
        ">": left > right,
        ">=": left >= right,
        "<": left < right,
        "<=": left <= right,
        "=": left == right,
        "!=": left != right,
    }[op]
    return result


def holds(condition: tuple[Comparison, ...], fields: dict[str, Any]) -> bool:
    """Whether every comparison holds over the deal's fields (``crm.deal.get`` keys)."""
    for c in condition:
        left = _comparable(fields.get(c.field))
        right = _comparable(fields.get(c.other) if c.other is not None else c.value)
        if not _compare(left, c.op, right):
            return False
    return True
