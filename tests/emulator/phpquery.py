"""PHP-style query strings and form pairs (``fields[TITLE]=x``, ``select[]=ID``) to nested data and back."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote

_SEGMENT = re.compile(r"\[([^\]]*)\]")
_NO_LISTIFY = frozenset({"filter"})  # filter[0][logic]=OR is an OR-group map, never a list


def split_key(key: str) -> list[str] | None:
    """``a[b][]`` -> ``["a", "b", ""]`` the way PHP's parse_str reads it; None when PHP drops the pair."""
    head, bracket, tail = key.partition("[")
    if bracket and "]" not in tail:
        head, tail = key.replace("[", "_", 1), ""  # PHP: an unclosed "[" in the name becomes "_"
    head = head.replace(".", "_").replace(" ", "_")  # PHP mangles dots and spaces in the base name
    if not head:
        return None
    parts = [head]
    position = 0
    rest = "[" + tail if bracket and tail else ""
    while True:
        match = _SEGMENT.match(rest, position)
        if match is None:
            break  # PHP ignores whatever trails the last well-formed [segment]
        parts.append(match.group(1))
        position = match.end()
    return parts


def _next_index(node: dict[str, Any]) -> str:
    numbers = [int(k) for k in node if k.lstrip("-").isdigit()]
    return str(max(numbers) + 1 if numbers else 0)


def _place(root: dict[str, Any], parts: list[str], value: str) -> None:
    node = root
    for depth, part in enumerate(parts):
        if part == "":
            part = _next_index(node)
        if depth == len(parts) - 1:
            node[part] = value
            return
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}  # PHP: a later a[b]=.. replaces an earlier scalar a=..
        node = child


def _listify(node: Any, key: str = "") -> Any:
    """Maps with keys exactly 0..n-1 in order become lists (what json_encode does with PHP arrays)."""
    if not isinstance(node, dict):
        return node
    node = {k: _listify(v, k) for k, v in node.items()}
    if key.lower() in _NO_LISTIFY or not node:
        return node
    if list(node) == [str(i) for i in range(len(node))]:
        return list(node.values())
    return node


def unflatten(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Ordered (key, value) pairs with PHP-style keys -> nested dicts and lists (values stay strings)."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = split_key(key)
        if parts is not None:
            _place(root, parts, value)
    return {k: _listify(v, k) for k, v in root.items()}


def parse_query(query: str) -> dict[str, Any]:
    """``fields[TITLE]=A%20B&select[]=ID`` -> ``{"fields": {"TITLE": "A B"}, "select": ["ID"]}``."""
    return unflatten(parse_qsl(query.lstrip("?"), keep_blank_values=True))


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"  # PHP's http_build_query
    return str(value)


def flatten(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Nested params -> PHP-style pairs (``fields[TITLE]``); None values are skipped like PHP does."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, Mapping):
            pairs += flatten(value, name)
        elif isinstance(value, list | tuple):
            pairs += flatten({str(i): v for i, v in enumerate(value)}, name)
        elif value is not None:
            pairs.append((name, _scalar(value)))
    return pairs


def build_query(params: Mapping[str, Any]) -> str:
    """Nested params -> a URL-encoded PHP-style query string (for batch commands)."""
    return "&".join(f"{quote(k, safe='[]')}={quote(v, safe='')}" for k, v in flatten(params))
