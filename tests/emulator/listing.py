"""Typed list filters, order, select and paging for the newer list methods (crm.item.list and friends).

Stricter than ``filters.py``: every filter and order field must be a known field of the object
(api-reference/crm/universal/crm-item-list.md documents INVALID_ARG_VALUE for both), values are
compared by the field's type (numbers as numbers, dates as dates), and a value that does not parse
as the field's type is an error rather than a silent mismatch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tests.emulator.protocol import B24Error, Page

# Longest first, so that "!=%" is not read as "!=" + "%field".
_PREFIXES = ("!=%", "!%=", "!@", "!=", ">=", "<=", "=%", "%=", "!%", "@", "=", "!", ">", "<", "%")
_NUMERIC = frozenset({"integer", "double"})
PAGE_SIZE = 50


def split_key(key: str) -> tuple[str, str]:
    for prefix in _PREFIXES:
        if key.startswith(prefix):
            return prefix, key[len(prefix) :]
    return "=", key


def parse_moment(value: Any) -> datetime:
    """ISO 8601 date or date-time, or the portal's ``DD.MM.YYYY``; naive values are UTC."""
    text = str(value).strip()
    if re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", text):
        text = f"{text[6:]}-{text[3:5]}-{text[:2]}"
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def coerce(kind: str, value: Any) -> Any:
    """A value as its field type for comparing; raises ValueError when it is not one."""
    if value is None or value == "":
        return None
    if kind in _NUMERIC or kind == "integer[]":
        try:
            return Decimal(str(value))
        except InvalidOperation as exc:
            raise ValueError(value) from exc
    if kind == "date":
        return parse_moment(value).date()
    if kind == "datetime":
        return parse_moment(value)
    if kind == "boolean":
        return {"1": "Y", "TRUE": "Y", "0": "N", "FALSE": "N"}.get(str(value).upper(), str(value).upper())
    if kind == "uf_boolean":  # a user field of type boolean: stored Y/N or 1/0, filtered by 1/0
        flag = {"1": 1, "Y": 1, "TRUE": 1, "0": 0, "N": 0, "FALSE": 0}.get(str(value).upper())
        if flag is None:
            raise ValueError(value)
        return flag
    return str(value)


def _have(kind: str, value: Any) -> list[Any]:
    """The stored value(s) of a row, coerced leniently (an unparsable stored value compares as empty)."""
    values = value if isinstance(value, list) else [value]
    out = []
    for one in values:
        try:
            out.append(coerce(kind, one))
        except ValueError:
            out.append(None)
    return out or [None]


def _like(pattern: str, text: str) -> bool:
    regex = ".*".join(re.escape(part) for part in pattern.lower().split("%"))
    return re.fullmatch(regex, text.lower(), re.S) is not None


def _options(want: Any) -> list[Any]:
    if isinstance(want, dict):
        return list(want.values())
    return list(want) if isinstance(want, list) else [want]


def _one(op: str, have: Any, want: Any) -> bool:
    if op in ("=", "@"):
        return have in want if isinstance(want, list) else have == want
    if op in ("!=", "!", "!@"):
        return not _one("=", have, want)
    if op in ("%", "!%"):
        found = str(want).lower() in str(have if have is not None else "").lower()
        return found if op == "%" else not found
    if op in ("=%", "%=", "!=%", "!%="):
        found = _like(str(want), str(have if have is not None else ""))
        return found if op in ("=%", "%=") else not found
    if have is None or want is None:
        return False
    if isinstance(have, date) and not isinstance(have, datetime) and isinstance(want, datetime):
        want = want.date()
    return bool({">": have > want, ">=": have >= want, "<": have < want, "<=": have <= want}[op])


def _condition(row: Mapping[str, Any], key: str, want: Any, types: Mapping[str, str]) -> bool:
    op, field = split_key(key)
    if field not in types:
        raise B24Error("INVALID_ARG_VALUE", f"Invalid filter: field '{field}' is not allowed in filter")
    kind = types[field]
    if kind == "uf_boolean" and str(want).upper() in ("Y", "N"):
        # crm-item-list.md: "Format Y or N in the filter for custom fields of type boolean is not
        # supported" -- refused loudly rather than matching nothing (stricter).
        raise B24Error("INVALID_ARG_VALUE", f"Invalid filter: field '{field}' has invalid value")
    text_op = op in ("%", "!%", "=%", "%=", "!=%", "!%=")
    try:
        if text_op:
            wanted: Any = str(want)
        elif isinstance(want, list | dict) or op in ("@", "!@"):
            wanted = [coerce(kind, w) for w in _options(want)]
        else:
            wanted = coerce(kind, want)
    except ValueError as exc:
        raise B24Error("INVALID_ARG_VALUE", f"Invalid filter: field '{field}' has invalid value") from exc
    haves = [str(h) if text_op and h is not None else h for h in _have(kind, row.get(field))]
    if op in ("!=", "!", "!@", "!%", "!=%", "!%="):
        return all(_one(op, h, wanted) for h in haves)
    return any(_one(op, h, wanted) for h in haves)


def matches(row: Mapping[str, Any], filter_: Mapping[str, Any], types: Mapping[str, str]) -> bool:
    """AND of the conditions; a nested map is a sub-filter, combined by its own ``logic`` (AND/OR)."""
    results = []
    for key, want in filter_.items():
        if key == "logic":
            continue
        if isinstance(want, dict) and ("logic" in want or split_key(str(key))[1] not in types):
            results.append(matches(row, want, types))
        else:
            results.append(_condition(row, str(key), want, types))
    if str(filter_.get("logic", "AND")).upper() == "OR":
        return any(results) if results else True
    return all(results)


def _sort(rows: list[dict[str, Any]], order: Any, types: Mapping[str, str]) -> list[dict[str, Any]]:
    if not isinstance(order, dict):
        return rows
    for field, direction in reversed(list(order.items())):
        if field not in types:
            raise B24Error("INVALID_ARG_VALUE", f"Invalid order: field '{field}' is not allowed in order")
        if str(direction).upper() not in ("ASC", "DESC"):
            allowed = "Invalid order: allowed sort directions are ASC, DESC."
            raise B24Error("INVALID_ARG_VALUE", f"{allowed} But got '{direction}' for field '{field}'")
        kind = types[field]
        rows.sort(key=lambda r: _sort_key(kind, r.get(field)), reverse=str(direction).upper() == "DESC")
    return rows


def _sort_key(kind: str, value: Any) -> tuple[int, Any]:
    have = _have(kind, value)[0]
    if have is None:
        return (0, "")
    return (1, have if not isinstance(have, list) else str(have))


def select_fields(row: dict[str, Any], select: Any, id_field: str) -> dict[str, Any]:
    if not isinstance(select, list) or not select or "*" in select:
        return row
    keep = {str(s) for s in select} | {id_field}
    return {k: v for k, v in row.items() if k in keep}


def page(
    rows: list[dict[str, Any]],
    params: Mapping[str, Any],
    types: Mapping[str, str],
    *,
    result_key: str | None,
    id_field: str = "id",
    size: int = 50,
    default_order: dict[str, str] | None = None,
) -> Page:
    """Filter, order, cut one page; ``start=-1`` gives the first page without ``total`` and ``next``."""
    filter_ = params.get("filter") or {}
    if not isinstance(filter_, dict):
        raise B24Error("INVALID_ARG_VALUE", "Invalid filter: an object is expected")
    matches({}, filter_, types)  # every condition is checked once, even when there are no rows
    picked = [r for r in rows if matches(r, filter_, types)]
    picked = _sort(picked, params.get("order") or default_order or {id_field: "ASC"}, types)
    picked = [select_fields(r, params.get("select"), id_field) for r in picked]
    try:
        start = int(str(params.get("start") or 0))
    except ValueError as exc:
        raise B24Error("INVALID_ARG_VALUE", "start must be an integer") from exc
    if start == -1:
        return Page({result_key: picked[:size]} if result_key else picked[:size], None, None)
    chunk = picked[max(start, 0) : max(start, 0) + size]
    more = start + size if start + size < len(picked) else None
    return Page({result_key: chunk} if result_key else chunk, len(picked), more)
