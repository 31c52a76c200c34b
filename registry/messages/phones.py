"""Phone numbers to E.164 (``+79251234567``), the form SMS gateways take; invalid ones say why."""

from __future__ import annotations

import re


class InvalidPhone(ValueError):
    """A number that cannot be an E.164 phone; the message says why (no digits are repeated)."""


def to_e164(raw: str, default_country: str = "7") -> str:
    """Normalise what managers type: spaces, brackets, dashes, a leading 8 for Russia."""
    text = raw.strip()
    if not text:
        raise InvalidPhone("empty")
    if re.search(r"[^\d\s()+\-.]", text):
        raise InvalidPhone("contains letters or symbols")
    plus = text.startswith("+")
    digits = re.sub(r"\D", "", text)
    if text.startswith("00"):
        plus, digits = True, digits[2:]
    if not plus and default_country == "7":
        if len(digits) == 11 and digits[0] in "78":
            digits = "7" + digits[1:]
        elif len(digits) == 10:
            digits = "7" + digits
    if not 8 <= len(digits) <= 15:
        raise InvalidPhone(f"{len(digits)} digits; E.164 allows 8 to 15")
    if digits[0] == "0":
        raise InvalidPhone("country code cannot start with 0")
    if digits.startswith("7") and len(digits) != 11:
        raise InvalidPhone("numbers in +7 have 11 digits")
    return "+" + digits
