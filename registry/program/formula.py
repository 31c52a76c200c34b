"""Formula rules: a safe arithmetic expression over deal facts, checked when saved, run with simpleeval.

Only arithmetic, comparisons, ``a if cond else b``, the functions in ``FUNCTIONS`` and the names
in ``VARIABLES`` (plus any ``UF_*`` field of the deal) are accepted. Numbers are Decimals, so a
formula never brings float rounding into the ledger. Errors carry a 1-based column.

Limits: an exponent is a number literal within ±``MAX_EXPONENT`` (checked when saved and again
before every run, for programs saved before the limit), a result beyond ``MAX_RESULT`` is not a
bonus; ``trial`` runs a formula on sample values when it is saved, so one that overflows or takes
time on ordinary numbers is refused then rather than at a deal.
"""

from __future__ import annotations

import ast
import math
import time
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation, Overflow
from typing import Any

from simpleeval import InvalidExpression, SimpleEval

VARIABLES = (
    "amount",
    "margin",
    "currency",
    "pipeline",
    "manager_percent",
    "products_total",
    "products_quantity",
    "products_count",
)
PRODUCT_VARIABLES = frozenset({"products_total", "products_quantity", "products_count"})


def _round(value: Decimal, digits: int = 0) -> Decimal:
    return round(Decimal(value), int(digits))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "min": min,
    "max": max,
    "abs": abs,
    "round": _round,
    "floor": lambda v: Decimal(math.floor(v)),
    "ceil": lambda v: Decimal(math.ceil(v)),
}
_ALLOWED_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.operator,
    ast.unaryop,
    ast.boolop,
    ast.cmpop,
)
MAX_LENGTH = 500
MAX_EXPONENT = 4
MAX_RESULT = Decimal("999999999999.99")  # what a ledger amount holds (registry.values.MAX_AMOUNT)
TRIAL_SECONDS = 0.05
SAMPLE = {
    "amount": Decimal("1000"),
    "margin": Decimal("300"),
    "currency": "RUB",
    "pipeline": Decimal("0"),
    "manager_percent": Decimal("5"),
    "products_total": Decimal("1000"),
    "products_quantity": Decimal("2"),
    "products_count": Decimal("2"),
}
SAMPLE_UF = Decimal("1")


class FormulaError(ValueError):
    """A formula that cannot be accepted; ``column`` is 1-based."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} at position {column}")
        self.column = column
        self.reason = message  # without the position, for failures that have none


class FormulaOutOfRange(FormulaError):
    """The formula's value is too large to be a bonus (or its arithmetic overflowed)."""


def compile_formula(text: str) -> ast.Expression:
    """Parse and check a formula; raises FormulaError naming what is wrong and where."""
    if not text.strip():
        raise FormulaError("the formula is empty", 1)
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is longer than {MAX_LENGTH} characters", MAX_LENGTH)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"syntax error ({exc.msg})", exc.offset or 1) from exc
    for node in ast.walk(tree):
        _check_node(node)
    return tree


def _check_node(node: ast.AST) -> None:
    column = getattr(node, "col_offset", 0) + 1
    if not isinstance(node, _ALLOWED_NODES):
        raise FormulaError(f"{type(node).__name__} is not allowed", column)
    if isinstance(node, ast.Name) and node.id not in VARIABLES and node.id not in FUNCTIONS:
        if not node.id.startswith("UF_"):
            raise FormulaError(f"unknown name {node.id!r}", column)
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords:
            raise FormulaError("only min, max, abs, round, floor and ceil can be called", column)
    if isinstance(node, ast.Constant) and not isinstance(node.value, int | float | str):
        raise FormulaError(f"the constant {node.value!r} is not allowed", column)


def check_limits(tree: ast.Expression) -> None:
    """Exponents are number literals within ±MAX_EXPONENT (``amount * 10 ** 30`` is refused)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            exponent = _literal(node.right)
            if exponent is None or abs(exponent) > MAX_EXPONENT:
                raise FormulaError(
                    f"an exponent must be a number between -{MAX_EXPONENT} and {MAX_EXPONENT}",
                    node.right.col_offset + 1,
                )


def _literal(node: ast.expr) -> Decimal | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _literal(node.operand)
        return None if inner is None else -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return Decimal(str(node.value))
    return None


def names_in(tree: ast.Expression) -> set[str]:
    """The variables a formula reads (function names excluded)."""
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in FUNCTIONS}


def uses_products(tree: ast.Expression) -> bool:
    return bool(names_in(tree) & PRODUCT_VARIABLES)


def trial(tree: ast.Expression, text: str) -> None:
    """Run the formula on sample values; refuse it when it overflows or takes time on them.

    Other failures (a division by a field that is zero in the sample) depend on the deal, so
    they are left to the run, where they skip the rule with a reason.
    """
    names = {name: SAMPLE.get(name, SAMPLE_UF) for name in names_in(tree)}
    started = time.monotonic()
    try:
        run_formula(tree, text, names)
    except FormulaOutOfRange as exc:
        raise FormulaError(f"{exc.reason} for sample values {_shown(names)}", 1) from exc
    except FormulaError:
        pass
    if time.monotonic() - started > TRIAL_SECONDS:
        raise FormulaError(f"took longer than {TRIAL_SECONDS * 1000:.0f} ms on sample values", 1)


def _shown(names: Mapping[str, Any]) -> str:
    return "(" + ", ".join(f"{k}={v}" for k, v in sorted(names.items())) + ")"


class _DecimalEval(SimpleEval):  # type: ignore[misc]
    """simpleeval with Decimal literals (0.05 must not become a float)."""

    def __init__(self, names: Mapping[str, Any]) -> None:
        super().__init__(functions=dict(FUNCTIONS), names=dict(names))
        self.nodes[ast.Constant] = self._decimal_constant

    @staticmethod
    def _decimal_constant(node: ast.Constant) -> Any:
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            return node.value
        return Decimal(str(node.value))


def run_formula(tree: ast.Expression, text: str, names: Mapping[str, Any]) -> Decimal:
    """The formula's value for one deal; FormulaError when it cannot produce a bounded number."""
    evaluator = _DecimalEval(names)
    try:
        value = evaluator.eval(text, previously_parsed=tree.body)
    except Overflow as exc:
        raise FormulaOutOfRange("the arithmetic overflows", 1) from exc
    except (InvalidExpression, ArithmeticError, TypeError, ValueError) as exc:
        raise FormulaError(f"cannot evaluate: {exc}", 1) from exc
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise FormulaError(f"the result {value!r} is not a number", 1)
    try:
        result = Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - Decimal(int|Decimal) cannot fail
        raise FormulaError("the result is not a number", 1) from exc
    if not result.is_finite() or abs(result) > MAX_RESULT:
        raise FormulaOutOfRange(f"the result {result.normalize():.3g} is beyond ±10^12", 1)
    return result
