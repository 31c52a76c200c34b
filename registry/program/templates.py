"""Notification templates: Jinja2 (sandboxed) limited to what renders in linear time, bounded renders.

A notification is one sentence with a few values in it, so a template may hold text, values
(``{{ amount }}``, ``{{ client.name }}``), conditions (``{% if %}``, ``a if c else b``, ``and``,
``or``, ``not``, comparisons, tests), concatenation (``~``) and the filters in ``SAFE_FILTERS``
with literal arguments. Everything that can loop, recurse, reach other templates or build a large
string is refused by walking the parsed template: ``{% for %}``, ``range``, macros and calls,
``{% include %}``/``{% import %}``/``{% extends %}``, ``{% set %}``, arithmetic (``'x' * 10**9``)
and filters such as ``center(10**9)``. What is left renders in time linear in its size; a render
still stops at ``MAX_OUTPUT`` characters and ``RENDER_SECONDS``.

The same check runs when a program is saved (with a trial render on sample values) and before
every render, so a template stored before these limits existed cannot run either.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from jinja2 import ChainableUndefined, Template, TemplateError, nodes
from jinja2.sandbox import SandboxedEnvironment

MAX_SOURCE = 2000
MAX_OUTPUT = 2000  # characters: a long SMS is 1,000, a WhatsApp message 4,096
MAX_LITERAL = 200
RENDER_SECONDS = 0.5
TRIAL_SECONDS = 0.1
SAFE_FILTERS = frozenset(
    {"default", "d", "upper", "lower", "capitalize", "title", "trim", "e", "escape", "string", "truncate"}
)
_ALLOWED = (
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.If,
    nodes.CondExpr,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Concat,
    nodes.Filter,
    nodes.Test,
    nodes.Getattr,
    nodes.Getitem,
    nodes.Keyword,
)
_WHAT = {
    nodes.For: "loops ({% for %})",
    nodes.Macro: "macros",
    nodes.CallBlock: "macros",
    nodes.Call: "calls",
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% import %}",
    nodes.Extends: "{% extends %}",
    nodes.Assign: "{% set %}",
    nodes.AssignBlock: "{% set %}",
    nodes.BinExpr: "arithmetic",
    nodes.UnaryExpr: "arithmetic",
}
SAMPLE_VALUES = {"amount": "1 000 000,00", "balance": "1 000 000,00", "expires": "31 декабря 2026 г."}
_ENV = SandboxedEnvironment(undefined=ChainableUndefined, autoescape=False)


class TemplateRefused(ValueError):
    """A template that could not render quickly or briefly; the message says what to change."""


def check(source: str) -> Template:
    """Parse and vet a template; the compiled template, or TemplateRefused naming the construct."""
    if len(source) > MAX_SOURCE:
        raise TemplateRefused(f"is longer than {MAX_SOURCE} characters")
    try:
        tree = _ENV.parse(source)
    except TemplateError as exc:
        raise TemplateRefused(str(exc)) from exc
    for node in tree.find_all(nodes.Node):
        _vet(node)
    return _ENV.from_string(tree)


def _vet(node: nodes.Node) -> None:
    if not isinstance(node, _ALLOWED):
        what = next((text for kind, text in _WHAT.items() if isinstance(node, kind)), type(node).__name__)
        raise TemplateRefused(f"{what} cannot be used in a notification")
    if isinstance(node, nodes.Name) and node.name in _ENV.globals:
        raise TemplateRefused(f"'{node.name}' cannot be used in a notification")
    if isinstance(node, nodes.Filter) and node.name not in SAFE_FILTERS:
        allowed = ", ".join(sorted(SAFE_FILTERS))
        raise TemplateRefused(f"the filter '{node.name}' cannot be used; use one of {allowed}")
    if isinstance(node, nodes.Filter | nodes.Test):
        for argument in [*node.args, *(k.value for k in node.kwargs)]:
            _vet_argument(argument)


def _vet_argument(node: nodes.Expr) -> None:
    if isinstance(node, nodes.Name):
        return
    if not isinstance(node, nodes.Const):
        raise TemplateRefused("filter and test arguments must be literals or values")
    value = node.value
    if isinstance(value, str) and len(value) > MAX_LITERAL:
        raise TemplateRefused(f"a filter argument is longer than {MAX_LITERAL} characters")
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > MAX_OUTPUT:
        raise TemplateRefused(f"a filter argument is above {MAX_OUTPUT}")


def render(source: str, values: Mapping[str, Any], seconds: float = RENDER_SECONDS) -> str:
    """The text, rendered within ``MAX_OUTPUT`` characters and ``seconds``; else TemplateRefused."""
    template = check(source)
    deadline = time.monotonic() + seconds
    parts: list[str] = []
    size = 0
    try:
        for part in template.generate(**values):
            parts.append(part)
            size += len(part)
            if size > MAX_OUTPUT:
                raise TemplateRefused(f"renders longer than {MAX_OUTPUT} characters")
            if time.monotonic() > deadline:
                raise TemplateRefused(f"took longer than {seconds * 1000:.0f} ms to render")
    except TemplateRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - a sandbox refusal, a type error, a division by zero ...
        raise TemplateRefused(f"cannot render: {type(exc).__name__}: {exc}") from exc
    return "".join(parts).strip()


def vet(source: str) -> None:
    """What a program's save runs: the checks, then a trial render on sample values."""
    render(source, SAMPLE_VALUES, TRIAL_SECONDS)
