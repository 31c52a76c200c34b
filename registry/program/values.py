"""Values from outside (robot properties, portal fields, ids) parsed to bounded numbers at the edge.

A workflow or a portal can put anything in a field: ``1e30``, ``NaN``, ``Infinity``, ``1_0``,
full-width digits, an id beyond the database's INTEGER. Python's ``Decimal`` and ``int`` accept
most of these, so nothing from outside is converted with them directly: these parsers admit
ASCII notation only and bound the result, and answer None for anything else.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_ID = 2**31 - 1  # every id column is an INTEGER (PostgreSQL's is 32-bit)
MAX_AMOUNT = Decimal("999999999999.99")  # 12 integer digits: above any bonus, below Numeric(18, 2)
MAX_PORTAL_NUMBER = Decimal("1e15")  # deal amounts, margins, UF_* numbers, product prices
CENTS = Decimal("0.01")

_ID = re.compile(r"[0-9]{1,10}", re.ASCII)
# Plain decimal notation as a person types it: digits, one "." or "," and at most two decimals.
_AMOUNT = re.compile(r"([0-9]{1,12})(?:[.,]([0-9]{0,2}))?", re.ASCII)
# What a portal sends for a number field: "1000", "1000.50", "-3", "1.0E+30" (PHP floats).
_PORTAL_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?", re.ASCII)
_SEPARATORS = str.maketrans("", "", " \xa0\u202f")  # "1 000,50": thousands separators a form may carry


def bounded_id(raw: Any) -> int | None:
    """A positive id that fits the id columns, else None (``3000000000``, ``²``, ``1e3``, ``-1``)."""
    if isinstance(raw, bool):
        return None
    text = str(raw).strip() if raw is not None else ""
    if not _ID.fullmatch(text):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def plain_amount(raw: Any, *, signed: bool = False) -> Decimal | None:
    """An amount typed by a person: ``150``, ``1 000,50``, ``0.5`` (and ``-20`` when ``signed``).

    Refused (None): exponents, ``NaN``/``Infinity``, underscores, non-ASCII digits, more than two
    decimals or twelve integer digits, and zero.
    """
    text = str(raw if raw is not None else "").translate(_SEPARATORS)
    negative = signed and text.startswith("-")
    match = _AMOUNT.fullmatch(text[1:] if negative else text)
    if match is None:
        return None
    amount = Decimal(f"{match.group(1)}.{match.group(2) or '0'}").quantize(CENTS)
    if amount == 0:
        return None
    return -amount if negative else amount


def portal_number(raw: Any) -> Decimal | None:
    """A number the portal sent (``OPPORTUNITY``, ``UF_*``, ``PRICE``): finite and within ±10^15.

    None for an empty value and for anything that is not such a number; callers tell the two
    apart with ``is_blank`` when it matters.
    """
    if isinstance(raw, bool) or raw is None:
        return None
    text = str(raw).strip()
    if len(text) > 40 or not _PORTAL_NUMBER.fullmatch(text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only what Decimal reads
        return None
    return value if abs(value) <= MAX_PORTAL_NUMBER else None


def is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())
