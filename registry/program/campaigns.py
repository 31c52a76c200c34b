"""The program's ``campaigns`` section: a trigger (a client's date every year, or one fixed date),
a segment (which clients) and an award (points with their own lifetime, legal entity, description).

A date trigger fires on the field's month and day each year, ``days_before`` earlier; a 29 February
fires on 28 February in common years. Fields: ``BIRTHDATE`` (contacts), ``created`` (any client's
registration) or a date UF of the client (``UF_CRM_...``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from registry.program.groups import Group, code_of
from registry.program.notifications import CHANNELS
from registry.program.rules import RuleError, first_repeat, number
from registry.program.values import MAX_AMOUNT

CLIENTS = {"contacts": ("contact",), "companies": ("company",), "both": ("contact", "company")}
FIXED_FIELDS = ("BIRTHDATE", "created")
FILTER_FIELDS = ("TYPE_ID", "SOURCE_ID", "ASSIGNED_BY_ID")  # and any UF_ of the client
MAX_DAYS = 36600  # a hundred years
TEXT_LIMIT = 255


@dataclass(frozen=True)
class Trigger:
    kind: str  # date | once
    field: str = ""  # date: BIRTHDATE | created | UF_...
    days_before: int = 0
    on: date | None = None  # once


@dataclass(frozen=True)
class Segment:
    types: tuple[str, ...] = ("contact",)
    registered_days_min: int | None = None
    registered_days_max: int | None = None
    filter: dict[str, tuple[str, ...]] = field(default_factory=dict)
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Award:
    points: Decimal
    lifetime_days: int  # its own, not the program's; 0 = never expires
    legal_entity: int | None = None
    description: str | None = None


@dataclass(frozen=True)
class Campaign:
    code: str
    name: str
    active: bool
    trigger: Trigger
    segment: Segment
    award: Award
    notify: str | None = None  # a channel to use first, "none" for silence, None: the program's


def _days(doc: dict[str, Any], key: str, path: str, *, required: bool = False) -> int | None:
    value = doc.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
        raise RuleError(f"{path}.{key}", f"must be a whole number of days from 0 to {MAX_DAYS}")
    return value


def _trigger(doc: Any, path: str) -> Trigger:
    if not isinstance(doc, dict):
        raise RuleError(path, "must be an object")
    if doc.get("kind") == "once":
        try:
            return Trigger("once", on=date.fromisoformat(str(doc.get("date"))))
        except ValueError as exc:
            raise RuleError(f"{path}.date", "must be a date YYYY-MM-DD") from exc
    if doc.get("kind") != "date":
        raise RuleError(f"{path}.kind", "must be 'date' or 'once'")
    name = str(doc.get("field") or "")
    if name not in FIXED_FIELDS and not name.startswith("UF_"):
        raise RuleError(f"{path}.field", "must be BIRTHDATE, created or a date field UF_...")
    return Trigger("date", name, _days(doc, "days_before", path) or 0)


def _filter(value: Any, path: str) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RuleError(path, "must be an object {field: value}")
    out = {}
    for key, want in value.items():
        if key not in FILTER_FIELDS and not str(key).startswith("UF_"):
            raise RuleError(f"{path}.{key}", f"filters {', '.join(FILTER_FIELDS)} or a UF_ field")
        options = want if isinstance(want, list) else [want]
        out[str(key)] = tuple(str(v) for v in options)
    return out


def _segment(doc: Any, path: str, groups: set[str]) -> Segment:
    doc = {} if doc is None else doc
    if not isinstance(doc, dict):
        raise RuleError(path, "must be an object")
    clients = doc.get("clients", "contacts")
    if clients not in CLIENTS:
        raise RuleError(f"{path}.clients", "must be contacts, companies or both")
    low, high = _days(doc, "registered_days_min", path), _days(doc, "registered_days_max", path)
    if low is not None and high is not None and high < low:
        raise RuleError(f"{path}.registered_days_max", "must not be less than registered_days_min")
    codes = doc.get("groups") or []
    if not isinstance(codes, list):
        raise RuleError(f"{path}.groups", "must be a list of group codes")
    for i, code in enumerate(codes):
        if code not in groups:
            raise RuleError(f"{path}.groups[{i}]", f"no group {code!r} in $.groups")
    return Segment(CLIENTS[clients], low, high, _filter(doc.get("filter"), f"{path}.filter"), tuple(codes))


def _award(doc: Any, path: str) -> Award:
    if not isinstance(doc, dict):
        raise RuleError(path, "must be an object")
    points = Decimal(number(doc, "points", path, required=True) or "0")
    if points <= 0 or points > MAX_AMOUNT or points != points.quantize(Decimal("0.01")):
        raise RuleError(f"{path}.points", "must be more than 0, at most 10^12, with at most 2 decimals")
    entity = doc.get("legal_entity")
    if entity is not None and (isinstance(entity, bool) or not str(entity).isdigit()):
        raise RuleError(f"{path}.legal_entity", "must be the id of one of the portal's own companies")
    text = doc.get("description")
    if text is not None and (not isinstance(text, str) or len(text) > TEXT_LIMIT):
        raise RuleError(f"{path}.description", f"must be text of at most {TEXT_LIMIT} characters")
    lifetime = _days(doc, "lifetime_days", path, required=True) or 0
    return Award(points, lifetime, int(entity) if entity is not None else None, text or None)


def parse_campaign(doc: Any, path: str, groups: set[str]) -> Campaign:
    if not isinstance(doc, dict):
        raise RuleError(path, "must be an object")
    notify = doc.get("notify")
    if notify is not None and notify not in (*CHANNELS, "none"):
        raise RuleError(f"{path}.notify", f"must be one of {', '.join((*CHANNELS, 'none'))}")
    return Campaign(
        code_of(doc, path),
        str(doc.get("name") or doc.get("code")),
        doc.get("active", True) is not False,
        _trigger(doc.get("trigger"), f"{path}.trigger"),
        _segment(doc.get("segment"), f"{path}.segment", groups),
        _award(doc.get("award"), f"{path}.award"),
        notify,
    )


def parse_campaigns(value: Any, groups: tuple[Group, ...]) -> tuple[Campaign, ...]:
    """The ``campaigns`` section; codes are unique, groups named must exist."""
    if not isinstance(value, list):
        raise RuleError("$.campaigns", "must be a list")
    codes = {g.code for g in groups}
    campaigns = tuple(parse_campaign(doc, f"$.campaigns[{i}]", codes) for i, doc in enumerate(value))
    used = [c.code for c in campaigns]
    if (i := first_repeat(used)) is not None:
        raise RuleError(f"$.campaigns[{i}].code", f"{used[i]!r} is used twice")
    return campaigns


def uf_fields(campaigns: tuple[Campaign, ...]) -> frozenset[str]:
    """The client UF fields the campaigns read (the mirror keeps these)."""
    names = {c.trigger.field for c in campaigns if c.trigger.field.startswith("UF_")}
    for c in campaigns:
        names.update(k for k in c.segment.filter if k.startswith("UF_"))
    return frozenset(names)
