"""Bitrix24 posts form bodies with PHP-style keys (``auth[member_id]``); turn them into dicts.

Bodies are bounded: at most ``MAX_FORM_KEYS`` fields, keys at most ``MAX_DEPTH`` levels deep,
JSON no deeper than ``MAX_DEPTH`` either, ids within the database's INTEGER. Anything else is a
400 naming the field, never a 500.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

MAX_FORM_KEYS = 300  # a robot call has ~30 fields; werkzeug's max_form_parts covers multipart only
MAX_DEPTH = 6  # data[FIELDS][ID] is 3 levels; JSON bodies get the same bound
MAX_ID = 2**31 - 1  # PostgreSQL INTEGER, the type of every id column we store
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")
_ID = re.compile(r"[0-9]{1,10}")


class BadRequest(ValueError):
    """Malformed input; ``field`` names what was wrong so the 400 can say it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _listify(node: Any) -> Any:
    # PHP turns keys 0..n-1 into a list; so do we, so document_id[0..2] reads as a list.
    if isinstance(node, dict):
        node = {k: _listify(v) for k, v in node.items()}
        keys = list(node)
        if keys and all(k.isdigit() for k in keys) and sorted(int(k) for k in keys) == list(range(len(keys))):
            return [node[str(i)] for i in range(len(keys))]
    return node


def unflatten(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """``a[b][c]=1`` → ``{"a": {"b": {"c": "1"}}}``; ``x[]=1&x[]=2`` → ``{"x": ["1", "2"]}``."""
    root: dict[str, Any] = {}
    for count, (key, value) in enumerate(pairs, start=1):
        if count > MAX_FORM_KEYS:
            raise BadRequest("body", f"more than {MAX_FORM_KEYS} form fields")
        if key.count("[") >= MAX_DEPTH:
            raise BadRequest(key[:64], f"form keys nest at most {MAX_DEPTH} levels")
        match = _KEY.match(key)
        if not match:
            raise BadRequest(key[:64], "malformed form key")
        path = [match.group(1), *_PART.findall(match.group(2))]
        node = root
        for index, part in enumerate(path):
            last = index == len(path) - 1
            if part == "":
                part = str(len(node))
            if last:
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise BadRequest(key[:64], "conflicting form keys")
                node = child
    result = _listify(root)
    assert isinstance(result, dict)
    return result


def require(data: dict[str, Any], path: str) -> str:
    """The string at ``a.b.c`` or a BadRequest naming the field in form notation."""
    node: Any = data
    parts = path.split(".")
    for part in parts:
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, str) or not node.strip():
        name = parts[0] + "".join(f"[{p}]" for p in parts[1:])
        raise BadRequest(name, "is required")
    return node.strip()


def parse_id(raw: object, field: str) -> int:
    """A positive id in ASCII digits that fits the database (``"²".isdigit()`` is True, so no isdigit)."""
    text = str(raw).strip() if isinstance(raw, str | int) else ""
    if not _ID.fullmatch(text) or not 0 < int(text) <= MAX_ID:
        raise BadRequest(field, f"must be a positive integer up to {MAX_ID}")
    return int(text)


def _depth(value: Any) -> int:
    """Nesting depth of decoded JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(node, dict):
            stack.extend((child, level + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, level + 1) for child in node)
    return deepest


def load_json(text: str | bytes, field: str) -> Any:
    """Decoded JSON no deeper than MAX_DEPTH; a BadRequest for anything else (also deep nesting)."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:  # thousands of "[" exhaust the decoder's recursion
        raise BadRequest(field, "is not valid JSON or is nested too deep") from exc
    if _depth(value) > MAX_DEPTH:
        raise BadRequest(field, f"JSON nests at most {MAX_DEPTH} levels")
    return value
