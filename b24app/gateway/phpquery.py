"""PHP-style query strings, the encoding of commands inside a Bitrix24 ``batch``."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import quote


def _scalar(value: Any) -> str:
    # fast-bitrix24 would send True as "True" and None as "None"; the portal wants Y/N and "".
    if value is None:
        return ""
    if value is True:
        return "Y"
    if value is False:
        return "N"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _pairs(prefix: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, list | tuple):
        items = list(enumerate(value))
    else:
        return [(prefix, _scalar(value))]
    if not items:
        return [(prefix, "")]
    out: list[tuple[str, str]] = []
    for key, inner in items:
        out.extend(_pairs(f"{prefix}[{key}]", inner))
    return out


@lru_cache(maxsize=4096)
def _quoted_key(key: str) -> str:
    # Keys repeat across commands (``fields[UF_CRM_BONUS_BALANCE]``): quoted once, not per command.
    return quote(key, safe="[]")


def build_query(params: Mapping[str, Any]) -> str:
    """Encode nested params as ``a[b][0]=x&c=y`` with every key and value URL-quoted."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        pairs.extend(_pairs(str(key), value))
    return "&".join(f"{_quoted_key(k)}={quote(v, safe='')}" for k, v in pairs)
