"""Repeatable rows of the settings page: a program part that is a list of objects (campaigns, offers,
…) edited as one fieldset per object, the blank last row adding one.

A section module declares its ``Field``s — a path inside one object (``award.points``), a kind and a
label — and ``rows_section`` makes the ``Section``: the document into rows of shown values, the
posted rows into objects (blank rows and rows marked for removal left out), and a program error's
path (``$.campaigns[1].award.points``) into the field of the row it names. Form names are
``{key}-{row}-{path with "-" for "."}``. A single object (``legal_entities``) is one row, never removed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from handlers.settings_base import FieldProblem, Form, Section, number, whole

MAX_ROWS = 200  # the program's longest list (approval definitions)
_SPLIT = re.compile(r"[,;\s]+")
_COMPARISON = re.compile(r"(\w+?)\s*(>=|<=|!=|>|<|=)\s*(.+)")
_INDEX = re.compile(r"\[\d+\]")


class Kind(StrEnum):
    TEXT = "text"  # "" = not set
    NUMBER = "number"
    WHOLE = "whole"
    DATE = "date"  # YYYY-MM-DD
    CHOICE = "choice"  # one of ``options``; "" = not set
    FLAG = "flag"  # a checkbox
    IDS = "ids"  # whole numbers separated by commas or spaces
    WORDS = "words"  # codes separated by commas or spaces
    CONDITION = "condition"  # a comparison a line: FIELD > 5, FIELD = text, FIELD > {OTHER_FIELD}
    FILTER = "filter"  # a filter a line: FIELD = value, value


@dataclass(frozen=True)
class Field:
    path: str  # inside one object: "code", "award.points"
    label: str  # an English msgid
    kind: Kind = Kind.TEXT
    hint: str = ""  # an English msgid
    options: tuple[tuple[str, str], ...] = ()  # CHOICE: (code, English msgid)
    default: Any = None  # shown in the blank row
    when: tuple[str, str] | None = None  # shown while the row's field (path) has this value

    @property
    def slug(self) -> str:
        return self.path.replace(".", "-")


@dataclass(frozen=True)
class Rows:
    key: str  # the program document's key
    fields: tuple[Field, ...]  # the first one names the object (its code): blank = no object
    legend: str = ""  # an English msgid with %(number)s, e.g. "Campaign %(number)s"
    single: bool = False  # one object, not a list

    def name(self, row: int, field: Field) -> str:
        return f"{self.key}-{row}-{field.slug}"


# The document's values as the form shows them -----------------------------------------------------


def _get(item: dict[str, Any], path: str) -> Any:
    node: Any = item
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _comparison_text(c: Any) -> str:
    if not isinstance(c, dict):
        return str(c)
    right = f"{{{c['other']}}}" if c.get("other") is not None else str(c.get("value", ""))
    return f"{c.get('field', '')} {c.get('op', '')} {right}"


def _filter_text(key: str, want: Any) -> str:
    return f"{key} = {', '.join(str(v) for v in want) if isinstance(want, list) else want}"


def shown(field: Field, value: Any) -> Any:
    """What the field shows for the document's ``value`` (a FLAG: whether it is checked)."""
    if field.kind is Kind.FLAG:
        return bool(field.default) if value is None else bool(value)
    if value is None:
        return "" if field.default is None else field.default
    if field.kind in (Kind.IDS, Kind.WORDS) and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if field.kind is Kind.CONDITION and isinstance(value, list):
        return "\n".join(_comparison_text(c) for c in value)
    if field.kind is Kind.FILTER and isinstance(value, dict):
        return "\n".join(_filter_text(k, v) for k, v in value.items())
    return str(value)


# Posted values into the document -------------------------------------------------------------------


def _lines(raw: str) -> list[str]:
    return [line.strip() for line in raw.splitlines() if line.strip()]


def _ids(raw: str, name: str, field: Field) -> list[int]:
    parts = [p for p in _SPLIT.split(raw) if p]
    if not all(p.isascii() and p.isdigit() and len(p) < 11 for p in parts):
        raise FieldProblem(name, "must be whole numbers separated by commas")
    return [int(p) for p in parts]


def _words(raw: str, name: str, field: Field) -> list[str]:
    return [p for p in _SPLIT.split(raw) if p]


def _choice(raw: str, name: str, field: Field) -> str:
    if raw not in (code for code, _ in field.options):
        raise FieldProblem(name, "is not one of the choices")
    return raw


def _conditions(raw: str, name: str, field: Field) -> list[dict[str, str]]:
    out = []
    for line_number, line in enumerate(_lines(raw), start=1):
        found = _COMPARISON.fullmatch(line)
        if found is None:
            raise FieldProblem(name, f"line {line_number}: write FIELD > 5 or FIELD > {{OTHER_FIELD}}")
        left, op, right = found.group(1), found.group(2), found.group(3).strip()
        if right.startswith("{") and right.endswith("}"):
            out.append({"field": left, "op": op, "other": right[1:-1].strip()})
        else:
            out.append({"field": left, "op": op, "value": right})
    return out


def _filters(raw: str, name: str, field: Field) -> dict[str, list[str]]:
    out = {}
    for line_number, line in enumerate(_lines(raw), start=1):
        key, equals, values = line.partition("=")
        if not equals or not key.strip() or not values.strip():
            raise FieldProblem(name, f"line {line_number}: write FIELD = value, value")
        out[key.strip()] = [v.strip() for v in values.split(",") if v.strip()]
    return out


_READERS: dict[Kind, Callable[[str, str, Field], Any]] = {
    Kind.IDS: _ids,
    Kind.WORDS: _words,
    Kind.CHOICE: _choice,
    Kind.CONDITION: _conditions,
    Kind.FILTER: _filters,
}


def posted(form: Form, name: str, field: Field) -> Any:
    """The posted value as the document keeps it; None: not set (the key is left out)."""
    raw = (form.get(name) or "").strip()
    if field.kind is Kind.FLAG:
        return bool(raw)
    if field.kind is Kind.NUMBER:
        return number(form, name)
    if not raw:
        return None
    if field.kind is Kind.WHOLE:
        return whole(form, name)
    reader = _READERS.get(field.kind)
    return raw if reader is None else reader(raw, name, field)


def _put(item: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node = item
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _filled(spec: Rows, form: Form, row: int) -> bool:
    """Whether a row holds more than the blank row shows (choices and checkboxes aside)."""
    for field in spec.fields[1:]:
        if field.kind in (Kind.FLAG, Kind.CHOICE):
            continue
        raw = (form.get(spec.name(row, field)) or "").strip()
        if raw and raw != str(shown(field, None)):
            return True
    return False


def kept_rows(spec: Rows, form: Form) -> list[int]:
    """The posted rows that become objects: named (first field not blank), not marked for removal.
    A row with values but no name is refused, not dropped without a word."""
    if spec.single:
        return [0]
    kept = []
    for row in range(MAX_ROWS + 1):
        name = spec.name(row, spec.fields[0])
        if name not in form:
            break
        if form.get(f"{spec.key}-{row}-remove"):
            continue
        if (form.get(name) or "").strip():
            kept.append(row)
        elif _filled(spec, form, row):
            raise FieldProblem(name, "is required: the row has other values (or tick Remove)")
    return kept


def _item(spec: Rows, form: Form, row: int) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for field in spec.fields:
        value = posted(form, spec.name(row, field), field)
        if value is not None:
            _put(item, field.path, value)
    return item


# Program errors next to their field --------------------------------------------------------------


def _field_at(spec: Rows, inner: str) -> Field:
    """The field an error's path inside one object names: itself, its parent or its first child."""
    inner = _INDEX.sub("", inner).strip(".")
    by_length = sorted(spec.fields, key=lambda f: -len(f.path))
    for field in by_length:
        if inner == field.path or inner.startswith(field.path + "."):
            return field
    children = [f for f in spec.fields if inner and f.path.startswith(inner + ".")]
    return children[0] if children else spec.fields[0]


def field_for(spec: Rows, path: str, form: Form) -> str | None:
    """``$.campaigns[1].award.points`` -> ``campaigns-{posted row of object 1}-award-points``."""
    found = re.fullmatch(rf"\$\.{re.escape(spec.key)}(?:\[(\d+)\])?([.\[].*)?", path)
    if found is None:
        return None
    rows = kept_rows(spec, form)
    index = int(found.group(1) or 0)
    row = rows[index] if index < len(rows) else index
    return spec.name(row, _field_at(spec, found.group(2) or ""))


def rows_section(spec: Rows, title: str, template: str) -> Section:
    """The settings section editing ``spec.key`` as rows of ``spec.fields``."""

    def fields(doc: dict[str, Any]) -> dict[str, Any]:
        raw = doc.get(spec.key)
        items = [raw] if spec.single else list(raw or [])
        rows = [
            {f.slug: shown(f, _get(i, f.path)) for f in spec.fields} for i in items if isinstance(i, dict)
        ]
        blank = {f.slug: shown(f, None) for f in spec.fields}
        return {"spec": spec, "rows": (rows or [blank]) if spec.single else [*rows, blank]}

    def apply(form: Form, doc: dict[str, Any]) -> None:
        if spec.name(0, spec.fields[0]) not in form:
            return  # a form without this part (an older page) leaves it as it is
        items = [_item(spec, form, row) for row in kept_rows(spec, form)]
        doc[spec.key] = items[0] if spec.single else items

    def errors(path: str, form: Form) -> str | None:
        return field_for(spec, path, form)

    return Section(spec.key, title, template, fields, apply, errors)
