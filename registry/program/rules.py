"""Rule kinds of the bonus program: ``percent``, ``tiers`` and ``formula``, with scope and limits.

A rule document is validated and normalised once (``parse_rule``); the normalised document is
what an accrual keeps in its snapshot, so ``compute`` can recompute an adjusted amount later with
exactly the rule that produced the accrual, whatever the program says by then.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from registry.program.deal import DealSnapshot
from registry.program.formula import (
    FormulaError,
    check_limits,
    compile_formula,
    names_in,
    run_formula,
    uses_products,
)
from registry.program.values import MAX_AMOUNT, is_blank, portal_number

KINDS = ("percent", "tiers", "formula")
HUNDRED = Decimal("100")


class RuleError(ValueError):
    """A rule document that cannot be saved; ``path`` points into the program's JSON."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


def known_fields(raw: Any, path: str, keys: AbstractSet[str], what: str) -> dict[str, Any]:
    """``raw`` as an object whose every field is one of ``keys``; else the first stray one "is not {what}"."""
    if not isinstance(raw, dict):
        raise RuleError(path, "must be an object")
    unknown = sorted(set(raw) - keys)
    if unknown:
        raise RuleError(f"{path}.{unknown[0]}", f"is not {what}")
    return raw


def first_repeat(codes: Sequence[str]) -> int | None:
    """The index of the first code that an earlier one already uses (None: all differ)."""
    return next((i for i, code in enumerate(codes) if code in codes[:i]), None)


class NotComputable(Exception):
    """The rule cannot value this deal (no margin, a formula failing on its data)."""


def number(doc: dict[str, Any], key: str, path: str, *, required: bool = False) -> str | None:
    """A non-negative decimal as a normalised string (what snapshots store)."""
    if doc.get(key) is None:
        if required:
            raise RuleError(f"{path}.{key}", "is required")
        return None
    try:
        value = Decimal(str(doc[key]))
    except InvalidOperation as exc:
        raise RuleError(f"{path}.{key}", "must be a number") from exc
    if not value.is_finite() or value < 0:
        raise RuleError(f"{path}.{key}", "must be a non-negative number")
    return str(value)


def _day(doc: dict[str, Any], key: str, path: str) -> str | None:
    if not doc.get(key):
        return None
    try:
        return date.fromisoformat(str(doc[key])).isoformat()
    except ValueError as exc:
        raise RuleError(f"{path}.{key}", "must be a date YYYY-MM-DD") from exc


def _tiers(doc: dict[str, Any], path: str) -> list[dict[str, str | None]]:
    tiers = doc.get("tiers")
    if not isinstance(tiers, list) or not tiers:
        raise RuleError(f"{path}.tiers", "must be a non-empty list")
    out: list[dict[str, str | None]] = []
    for i, tier in enumerate(tiers):
        where = f"{path}.tiers[{i}]"
        lower = number(tier, "from", where) or "0"
        upper = number(tier, "to", where)
        if upper is not None and Decimal(upper) <= Decimal(lower):
            raise RuleError(f"{where}.to", "must be greater than 'from'")
        percent, points = number(tier, "percent", where), number(tier, "points", where)
        if (percent is None) == (points is None):
            raise RuleError(where, "needs exactly one of 'percent' or 'points'")
        out.append({"from": lower, "to": upper, "percent": percent, "points": points})
    return out


def parse_rule(doc: Any, path: str) -> dict[str, Any]:
    """Validate one rule and return its normalised document."""
    if not isinstance(doc, dict):
        raise RuleError(path, "must be an object")
    kind = doc.get("kind")
    if kind not in KINDS:
        raise RuleError(f"{path}.kind", f"unknown rule kind {kind!r}; use one of {', '.join(KINDS)}")
    rounding = doc.get("rounding", "cents")
    if rounding not in ("cents", "whole"):
        raise RuleError(f"{path}.rounding", "must be 'cents' or 'whole'")
    rule: dict[str, Any] = {
        "kind": kind,
        "rounding": rounding,
        "categories": [int(c) for c in doc.get("categories", [])],
        "currencies": [str(c) for c in doc.get("currencies", [])],
        "valid_from": _day(doc, "valid_from", path),
        "valid_to": _day(doc, "valid_to", path),
        "min_per_deal": number(doc, "min_per_deal", path),
        "max_per_deal": number(doc, "max_per_deal", path),
    }
    if kind == "percent":
        rule["percent"] = number(doc, "percent", path, required=True)
    elif kind == "tiers":
        if doc.get("basis", "amount") not in ("amount", "margin"):
            raise RuleError(f"{path}.basis", "must be 'amount' or 'margin'")
        rule["basis"] = doc.get("basis", "amount")
        rule["tiers"] = _tiers(doc, path)
    else:
        rule["formula"] = str(doc.get("formula") or "")
        try:
            compile_formula(rule["formula"])
        except FormulaError as exc:
            raise RuleError(f"{path}.formula", str(exc)) from exc
    return rule


def applies(rule: dict[str, Any], deal: DealSnapshot, today: date) -> bool:
    """Scope: pipelines, currencies and validity dates (empty lists mean any)."""
    valid_from, valid_to = rule.get("valid_from"), rule.get("valid_to")
    return (
        (not rule.get("categories") or deal.category_id in rule["categories"])
        and (not rule.get("currencies") or deal.currency in rule["currencies"])
        and (valid_from is None or today >= date.fromisoformat(valid_from))
        and (valid_to is None or today <= date.fromisoformat(valid_to))
    )


def needs_products(rule: dict[str, Any]) -> bool:
    return rule.get("kind") == "formula" and uses_products(compile_formula(rule["formula"]))


def margin_of(deal: DealSnapshot, margin_field: str) -> Decimal | None:
    """The deal's margin; None when the field is empty, NotComputable when it is no sane number."""
    raw = deal.uf.get(margin_field)
    if is_blank(raw):
        return None
    margin = portal_number(raw)
    if margin is None:
        raise NotComputable(_not_a_number(margin_field, raw))
    return margin


def _not_a_number(name: str, raw: Any) -> str:
    return f"{name} {str(raw)[:40]!r} is not a number within ±10^15"


@dataclass(frozen=True)
class Valuation:
    amount: Decimal
    percent: Decimal | None  # for the comment "5% of 1 000,00 ₽"
    base: Decimal


def compute(
    rule: dict[str, Any], deal: DealSnapshot, margin_field: str, override: Decimal | None
) -> Valuation:
    """What the rule gives this deal: rounded, then clamped to the per-deal minimum and maximum."""
    if rule["kind"] == "formula":
        raw, percent, base = _formula(rule, deal, margin_field), None, deal.amount
    else:
        base = deal.amount
        if rule["kind"] == "tiers" and rule.get("basis") == "margin":
            margin = margin_of(deal, margin_field)
            if margin is None:
                raise NotComputable(f"the deal has no {margin_field}")
            base = margin
        percent, points = _percent_or_points(rule, base)
        if percent is not None and override is not None:
            percent = override
        raw = base * percent / HUNDRED if percent is not None else points
    amount = _bounded(raw, rule.get("rounding", "cents"))
    if rule.get("min_per_deal") is not None and amount > 0:
        amount = max(amount, Decimal(rule["min_per_deal"]))
    if rule.get("max_per_deal") is not None:
        amount = min(amount, Decimal(rule["max_per_deal"]))
    return Valuation(max(amount, Decimal("0")), percent, base)


def _bounded(raw: Decimal, rounding: str) -> Decimal:
    """The rounded bonus; one that no ledger amount can hold skips the rule instead."""
    try:
        amount = quantize(raw, rounding)
    except ArithmeticError as exc:  # InvalidOperation: more digits than the precision holds
        raise NotComputable(f"the bonus {raw.normalize():.3g} is beyond ±10^12") from exc
    if abs(amount) > MAX_AMOUNT:
        raise NotComputable(f"the bonus {amount.normalize():.3g} is beyond ±10^12")
    return amount


def _percent_or_points(rule: dict[str, Any], base: Decimal) -> tuple[Decimal | None, Decimal]:
    if rule["kind"] == "percent":
        return Decimal(rule["percent"]), Decimal("0")
    for tier in rule["tiers"]:  # ordered ranges [from, to); the first match wins
        if base >= Decimal(tier["from"]) and (tier["to"] is None or base < Decimal(tier["to"])):
            if tier["percent"] is not None:
                return Decimal(tier["percent"]), Decimal("0")
            return None, Decimal(tier["points"])
    raise NotComputable("no tier matches the deal")


def _formula(rule: dict[str, Any], deal: DealSnapshot, margin_field: str) -> Decimal:
    tree = compile_formula(rule["formula"])
    try:
        check_limits(tree)  # a program saved before the limits existed may still hold such a formula
    except FormulaError as exc:
        raise NotComputable(str(exc)) from exc
    if uses_products(tree) and deal.products is None:
        raise NotComputable("the deal's product rows were not read")
    names = {name: _variable(name, deal, margin_field) for name in names_in(tree)}
    try:
        return run_formula(tree, rule["formula"], names)
    except FormulaError as exc:
        raise NotComputable(exc.reason) from exc


def _variable(name: str, deal: DealSnapshot, margin_field: str) -> Any:
    """One name a formula reads, from the deal; only the names it uses are looked at."""
    products = deal.products
    facts: dict[str, Any] = {
        "amount": deal.amount,
        "currency": deal.currency,
        "pipeline": Decimal(deal.category_id),
        "manager_percent": deal.manager_percent or Decimal("0"),
        "products_total": products.total if products else Decimal("0"),
        "products_quantity": products.quantity if products else Decimal("0"),
        "products_count": Decimal(products.count) if products else Decimal("0"),
    }
    if name in facts:
        return facts[name]
    if name == "margin":
        return margin_of(deal, margin_field) or Decimal("0")
    return _uf_value(name, deal.uf.get(name))


def _uf_value(name: str, raw: Any) -> Any:
    """A ``UF_*`` field: empty or missing counts as 0, a number is a bounded Decimal, text stays text.

    Text that only looks like a number to Python (``1e30``, ``NaN``, ``Infinity``, ``1_0``,
    full-width digits) skips the rule with the reason rather than feeding it a poison value.
    """
    if is_blank(raw):
        return Decimal("0")
    number = portal_number(raw)
    if number is not None:
        return number
    try:
        Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return str(raw)
    raise NotComputable(_not_a_number(name, raw))


def quantize(value: Decimal, rounding: str) -> Decimal:
    step = Decimal("1") if rounding == "whole" else Decimal("0.01")
    return value.quantize(step, rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))
