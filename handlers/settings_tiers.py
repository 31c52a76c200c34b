"""The settings page's client levels (the program's ``tiers``): basis, level field and one row of
fields per level, turned into the document's ``tiers`` and back.

Values go into the document as typed; the program's own validation judges them, and ``field_of``
turns its error's JSON path (``$.tiers.levels[1].from``) into the form field it names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from b24app.i18n import N_, t
from registry.program.tiers import BASES, MAX_LEVELS

Form = Mapping[str, str]
PARTS = ("code", "name", "from", "percent")
_PATH = re.compile(r"\$\.tiers(?:\.levels\[(\d+)\]\.?(\w+)?|\.(\w+))?")


def tiers_fields(doc: dict[str, Any]) -> dict[str, Any]:
    tiers = doc.get("tiers") or {}
    levels = [{part: _shown(level.get(part)) for part in PARTS} for level in tiers.get("levels") or []]
    return {
        "basis": tiers.get("basis", "won_total"),
        "field": tiers.get("field") or "",
        "levels": levels,
        "bases": BASES,
    }


def _shown(value: Any) -> str:
    return "" if value is None else str(value)


def kept_levels(form: Form) -> list[int]:
    """The form's level rows that go into the document (those with a code)."""
    return [i for i in range(MAX_LEVELS + 1) if (form.get(f"tiers-{i}-code") or "").strip()]


def _number(raw: str | None) -> str | None:
    """A number as typed ("1 000,5" -> "1000.5"); empty = not set (the program says it is required)."""
    text = (raw or "").strip().replace(",", ".").replace(" ", "").replace("\xa0", "")
    return text or None


def tiers_apply(form: Form, doc: dict[str, Any]) -> None:
    if "tiers-basis" not in form:
        return  # a form without this part (an older page) leaves it as it is
    rows = kept_levels(form)
    if not rows:
        doc["tiers"] = None
        return
    levels = [_level(form, i) for i in rows]
    tiers: dict[str, Any] = {"basis": form.get("tiers-basis") or "", "levels": levels}
    if (form.get("tiers-field") or "").strip():
        tiers["field"] = (form.get("tiers-field") or "").strip()
    doc["tiers"] = tiers


def _level(form: Form, i: int) -> dict[str, Any]:
    code = (form.get(f"tiers-{i}-code") or "").strip()
    return {
        "code": code,
        "name": (form.get(f"tiers-{i}-name") or "").strip() or code,
        "from": _number(form.get(f"tiers-{i}-from")),
        "percent": _number(form.get(f"tiers-{i}-percent")),
    }


def tiers_field(path: str, form: Form) -> str | None:
    """The form field a ``$.tiers…`` error names (None: the error is about another part)."""
    match = _PATH.fullmatch(path)
    if match is None:
        return None
    index, part, setting = match.groups()
    if index is not None:
        rows = kept_levels(form)
        row = rows[int(index)] if int(index) < len(rows) else int(index)
        return f"tiers-{row}-{part if part in PARTS else 'code'}"
    return "tiers-field" if setting == "field" else "tiers-basis"


def sample_level(language: str) -> dict[str, str]:
    """What a level-change preview shows (the notifications form renders every event)."""
    return {"level": t(language, N_("Gold")), "percent": "7", "previous": t(language, N_("Silver"))}
