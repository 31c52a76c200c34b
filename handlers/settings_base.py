"""What every settings section shares: the ``Section`` it is declared as, the ``FieldProblem`` a
posted value raises, and the parsing of posted numbers (the program's parser judges the rest)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Form = Mapping[str, str]


class FieldProblem(ValueError):
    """A posted value that cannot go into the document; ``field`` is the form field's name."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Section:
    """One card of the settings page. ``errors`` maps a program error's JSON path to the form field
    it names (None: the path is not this section's)."""

    key: str
    title: str  # an English msgid
    template: str
    fields: Callable[[dict[str, Any]], dict[str, Any]]
    apply: Callable[[Form, dict[str, Any]], None]
    errors: Callable[[str, Form], str | None] | None = None


def number(form: Form, name: str) -> float | int | str | None:
    """A number as the document keeps it ("" = not set); the program's parser judges the value."""
    raw = (form.get(name) or "").strip().replace(",", ".").replace(" ", "")
    if not raw:
        return None
    if not re.fullmatch(r"-?\d{1,12}(\.\d{1,4})?", raw):
        raise FieldProblem(name, "must be a number")
    return int(raw) if raw.lstrip("-").isdigit() else raw


def whole(form: Form, name: str) -> int:
    value = number(form, name)
    if not isinstance(value, int):
        raise FieldProblem(name, "must be a whole number")
    return value
