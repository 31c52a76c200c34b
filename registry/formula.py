"""Formula rules: a safe arithmetic expression over deal facts, checked when saved, run with simpleeval.

Only arithmetic, comparisons, ``a if cond else b``, the functions in ``FUNCTIONS`` and the names
in ``VARIABLES`` (plus any ``UF_*`` field of the deal) are accepted. Numbers are Decimals, so a
formula never brings float rounding into the ledger. Errors carry a 1-based column.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
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


class FormulaError(ValueError):
    """A formula that cannot be accepted; ``column`` is 1-based."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} at position {column}")
        self.column = column


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


def uses_products(tree: ast.Expression) -> bool:
    return any(isinstance(n, ast.Name) and n.id in PRODUCT_VARIABLES for n in ast.walk(tree))


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
    """The formula's value for one deal; FormulaError when it cannot produce a number."""
    evaluator = _DecimalEval(names)
    try:
        value = evaluator.eval(text, previously_parsed=tree.body)
    except (InvalidExpression, ArithmeticError, TypeError, ValueError) as exc:
        raise FormulaError(f"cannot evaluate: {exc}", 1) from exc
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise FormulaError(f"the result {value!r} is not a number", 1)
    try:
        return Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - Decimal(int|Decimal) cannot fail
        raise FormulaError("the result is not a number", 1) from exc
