"""Bitrix24 posts form bodies with PHP-style keys (``auth[member_id]``); turn them into dicts."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")


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
    for key, value in pairs:
        match = _KEY.match(key)
        if not match:
            raise BadRequest(key, "malformed form key")
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
                    raise BadRequest(key, "conflicting form keys")
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
