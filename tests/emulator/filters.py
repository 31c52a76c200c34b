"""List filters, ordering and paging with the documented prefixes (=, !, >, >=, <, <=, @, !@, %)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.emulator.protocol import B24Error, Page

PAGE = 50
_PREFIXES = ("!@", "!=", ">=", "<=", "=%", "%=", "!%", "@", "=", "!", ">", "<", "%")


def _split(key: str) -> tuple[str, str]:
    for prefix in _PREFIXES:
        if key.startswith(prefix):
            return prefix, key[len(prefix) :]
    return "=", key


def _num(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def _compare(op: str, have: Any, want: Any) -> bool:
    if op in ("@", "!@"):
        options = want if isinstance(want, list) else [want]
        found = str(have) in {str(o) for o in options}
        return found if op == "@" else not found
    if op in ("%", "=%", "%="):
        return str(want).strip("%").lower() in str(have or "").lower()
    if op == "!%":
        return str(want).strip("%").lower() not in str(have or "").lower()
    if op in ("=",):
        return str(have if have is not None else "") == str(want)
    if op in ("!", "!="):
        return str(have if have is not None else "") != str(want)
    a, b = _num(have), _num(want)
    if type(a) is not type(b):
        a, b = str(have), str(want)
    return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]


def matches(row: Mapping[str, Any], filter_: Mapping[str, Any], allowed: set[str] | None = None) -> bool:
    for key, want in filter_.items():
        if isinstance(want, dict) and str(want.get("logic", "")).upper() == "OR":
            subs = [v for k, v in want.items() if k != "logic" and isinstance(v, dict)]
            if not any(matches(row, sub, allowed) for sub in subs):
                return False
            continue
        op, field = _split(str(key))
        if allowed is not None and field not in allowed:
            raise B24Error("INVALID_ARG_VALUE", f"Invalid filter: field '{field}' is not allowed in filter")
        if not _compare(op, row.get(field), want):
            return False
    return True


def page(
    rows: list[dict[str, Any]],
    params: Mapping[str, Any],
    *,
    id_field: str = "ID",
    allowed: set[str] | None = None,
) -> tuple[list[dict[str, Any]], int | None, int | None]:
    """Filter, order, select and cut one page of 50; total is None when start=-1."""
    filter_ = params.get("filter") or {}
    picked = [r for r in rows if matches(r, filter_ if isinstance(filter_, dict) else {}, allowed)]
    order = params.get("order") or {id_field: "ASC"}
    for field, direction in reversed(list(order.items()) if isinstance(order, dict) else []):
        picked.sort(key=lambda r: _num(r.get(field)), reverse=str(direction).upper() == "DESC")
    select = params.get("select")
    if isinstance(select, list) and select and "*" not in select:
        keep = set(select) | {id_field}
        picked = [{k: v for k, v in r.items() if k in keep} for r in picked]
    start = int(params.get("start") or 0)
    if start == -1:
        return picked[:PAGE], None, None
    chunk = picked[start : start + PAGE]
    more = start + PAGE if start + PAGE < len(picked) else None
    return chunk, len(picked), more


def as_page(result_key: str | None, rows: list[dict[str, Any]], params: Mapping[str, Any], **kw: Any) -> Page:
    chunk, total, more = page(rows, params, **kw)
    return Page({result_key: chunk} if result_key else chunk, total, more)
