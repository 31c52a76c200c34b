"""Parse PHP-style query strings and form pairs (``fields[TITLE]=x``) into nested dicts and lists."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

_KEY = re.compile(r"^([^\[\]]*)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _listify(v) for k, v in node.items()}
        keys = list(node)
        if keys and all(k.isdigit() for k in keys) and sorted(map(int, keys)) == list(range(len(keys))):
            return [node[str(i)] for i in range(len(keys))]
    return node


def unflatten(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.match(key)
        path = [match.group(1), *_PART.findall(match.group(2))] if match else [key]
        node = root
        for index, part in enumerate(path):
            if part == "":
                part = str(len(node))
            if index == len(path) - 1:
                node[part] = value
            else:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = node[part] = {}
                node = child
    result = _listify(root)
    return result if isinstance(result, dict) else {}


def parse_query(query: str) -> dict[str, Any]:
    return unflatten(parse_qsl(query, keep_blank_values=True))
