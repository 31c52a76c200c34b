"""Checks a program must pass to be saved, beyond being well-formed (``registry.program.parse``).

What could not finish quickly, or could not give a bonus a ledger amount holds, is refused here
with the JSON path: a formula with an exponent beyond the limit or that overflows on sample values
(``registry.formula``), a template that can loop, recurse, reach other templates or render too
much (``registry.templates``), a number beyond its bound. Programs saved before these checks
existed still load; their formulas and templates meet the same limits when they run.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from registry.program.formula import FormulaError, check_limits, compile_formula, trial
from registry.program.rules import RuleError
from registry.program.templates import TemplateRefused
from registry.program.templates import vet as vet_template
from registry.program.values import MAX_AMOUNT

MAX_PERCENT = Decimal("1000")
PERCENT_KEYS = frozenset({"percent", "max_manager_percent", "writeoff_max_deal_share"})
BOUNDED_KEYS = PERCENT_KEYS | {
    "points",
    "from",
    "to",
    "min_per_deal",
    "max_per_deal",
    "writeoff_max_per_operation",
    "manual_accrual_approval_above",
}


def vet(rules: Sequence[dict[str, Any]], settings: dict[str, Any], notifications: dict[str, Any]) -> None:
    """RuleError (with the JSON path) for the first thing that cannot be saved."""
    _numbers(settings, "$")
    for index, rule in enumerate(rules):
        path = f"$.rules[{index}]"
        _numbers(rule, path)
        for tier_index, tier in enumerate(rule.get("tiers") or []):
            _numbers(tier, f"{path}.tiers[{tier_index}]")
        if rule["kind"] == "formula":
            _formula(rule["formula"], f"{path}.formula")
    for event, by_language in (notifications.get("templates") or {}).items():
        for language, source in (by_language or {}).items():
            try:
                vet_template(str(source))
            except TemplateRefused as exc:
                raise RuleError("$.notifications", f"template {event}.{language}: {exc}") from exc


def _formula(text: str, path: str) -> None:
    try:
        tree = compile_formula(text)
        check_limits(tree)
        trial(tree, text)
    except FormulaError as exc:
        raise RuleError(path, str(exc)) from exc


def _numbers(doc: dict[str, Any], path: str) -> None:
    """Percents up to 1000, amounts (points, limits, per-deal bounds) up to 10^12.

    ``parse`` has already made each of these a finite, non-negative number (or left it unset).
    """
    for key in BOUNDED_KEYS:
        value = doc.get(key)
        bound = MAX_PERCENT if key in PERCENT_KEYS else MAX_AMOUNT
        if value is not None and Decimal(str(value)) > bound:
            raise RuleError(f"{path}.{key}", f"must be at most {bound:,}")
