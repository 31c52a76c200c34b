"""The bonus program: settings plus ordered rules, versioned per portal (valued: ``valuation``).

Rules (``registry.rules``: percent, tiers, formula) are tried in order and the first one in
scope that can value the deal decides. The manager's ``UF_CRM_BONUS_PERCENT`` overrides a percent
(of a percent rule or a tier), bounded by ``max_manager_percent``. Saving never edits a version:
it adds one, and every accrual keeps the normalised rule it was made with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from b24app.db import once_per_transaction
from registry.program.approvals import Definition
from registry.program.campaigns import Campaign
from registry.program.deal import DealSnapshot
from registry.program.events import CustomerEvent
from registry.program.groups import Group
from registry.program.models import ProgramVersion
from registry.program.notifications import TemplateProblem, check_settings
from registry.program.rules import RuleError, needs_products, number, parse_rule
from registry.program.sections import SECTION_DEFAULTS, parse_sections
from registry.program.tiers import Tiers
from registry.program.vetting import vet

DEFAULT_DOCUMENT: dict[str, Any] = {
    "owner_preference": "company_first",
    "lifetime_days": 365,
    "hold_days": 0,  # accruals wait this long (pending) before they can be spent
    "remind_days": 7,  # the expiring-soon reminder goes this many days before expiry (0 = none)
    "debt_mode": "debt",
    "max_manager_percent": 100,
    "margin_field": "UF_CRM_MARGIN",
    "writeoff_max_per_operation": None,  # points; None = no cap
    "writeoff_max_deal_share": None,  # percent of the deal's amount spent on it; None = no cap
    "manual_accrual_approval_above": 10000,  # bonus_accrue above this answers APPROVAL_REQUIRED
    "notifications": {"channels": {}, "templates": {}},  # see registry.notices
    "rules": [{"kind": "percent", "percent": 5, "rounding": "cents"}],
    **SECTION_DEFAULTS,  # approvals, groups, campaigns, offers, ... (registry.program.sections)
}


class ProgramError(RuleError):
    """A program document that cannot be saved; ``path`` points into the JSON."""


LIMIT_KEYS = ("writeoff_max_per_operation", "writeoff_max_deal_share", "manual_accrual_approval_above")
SETTINGS = {
    "owner_preference": ("company_first", "contact_first"),
    "debt_mode": ("debt", "negative_balance"),
}


@dataclass(frozen=True)
class Program:
    version: int
    owner_preference: str = "company_first"
    lifetime_days: int = 365
    debt_mode: str = "debt"
    max_manager_percent: Decimal = Decimal("100")
    margin_field: str = "UF_CRM_MARGIN"
    rules: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    document: dict[str, Any] = field(default_factory=dict)
    writeoff_max_per_operation: Decimal | None = None
    writeoff_max_deal_share: Decimal | None = None
    manual_accrual_approval_above: Decimal | None = None
    hold_days: int = 0
    remind_days: int = 7
    notifications: dict[str, Any] = field(default_factory=dict)
    approvals: tuple[Definition, ...] = ()
    groups: tuple[Group, ...] = ()
    campaigns: tuple[Campaign, ...] = ()
    events: tuple[CustomerEvent, ...] = ()
    offers: tuple[dict[str, Any], ...] = ()
    bundles: tuple[dict[str, Any], ...] = ()
    legal_entities: dict[str, Any] = field(default_factory=lambda: {"default": None, "companies": []})
    tiers: Tiers | None = None

    def definition(self, code: str) -> Definition | None:
        return next((d for d in self.approvals if d.code == code), None)

    @property
    def default_legal_entity(self) -> int | None:
        value = self.legal_entities.get("default")
        return int(value) if value is not None else None

    @property
    def needs_seller(self) -> bool:
        """Whether deals' own companies are read (no default legal entity; ``from_deal`` on)."""
        return self.default_legal_entity is None and bool(self.legal_entities.get("from_deal"))

    def legal_entity_of(self, deal: DealSnapshot) -> int | None:
        """The program's default legal entity, else the deal's own company (when listed, if a list)."""
        if self.default_legal_entity is not None:
            return self.default_legal_entity
        seller, listed = deal.seller_company_id, self.legal_entities.get("companies") or []
        return seller if seller is not None and (not listed or seller in listed) else None

    @property
    def needs_lines(self) -> bool:
        """Whether deals must be read with their product rows as lines (offers or bundles)."""
        return bool(self.offers or self.bundles)

    @property
    def needs_sections(self) -> bool:
        """Whether an offer or bundle names catalog sections (the catalog cache is then read)."""
        items = [o["products"] for o in self.offers] + [b["product"] for b in self.bundles]
        return any(p["sections"] for p in items)

    @property
    def allow_negative(self) -> bool:
        """Whether spending beyond what is left may push a balance below zero (else it is debt)."""
        return self.debt_mode == "negative_balance"

    @property
    def needs_products(self) -> bool:
        """Whether deals must be read with their product rows (a formula uses them)."""
        return self.needs_lines or any(needs_products(rule) for rule in self.rules)


def _whole(doc: dict[str, Any], key: str) -> int:
    value = doc[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProgramError(f"$.{key}", "must be a whole number of days, 0 or more")
    return value


def parse(document: dict[str, Any], version: int = 0) -> Program:
    """Validate a program document; errors name the JSON path."""
    doc = _merged(document)
    try:
        rules = tuple(parse_rule(r, f"$.rules[{i}]") for i, r in enumerate(doc["rules"]))
        max_percent = Decimal(number(doc, "max_manager_percent", "$", required=True) or "0")
        limits = {key: Decimal(v) if (v := number(doc, key, "$")) is not None else None for key in LIMIT_KEYS}
        sections = parse_sections(doc)
    except RuleError as exc:
        raise _program_error(exc) from exc
    return Program(
        version,
        doc["owner_preference"],
        _whole(doc, "lifetime_days"),
        doc["debt_mode"],
        max_percent,
        str(doc["margin_field"]),
        rules,
        doc,
        writeoff_max_per_operation=limits["writeoff_max_per_operation"],
        writeoff_max_deal_share=limits["writeoff_max_deal_share"],
        manual_accrual_approval_above=limits["manual_accrual_approval_above"],
        hold_days=_whole(doc, "hold_days"),
        remind_days=_whole(doc, "remind_days"),
        notifications=_notifications(doc["notifications"]),
        **sections.program_fields(),
    )


def _merged(document: dict[str, Any]) -> dict[str, Any]:
    """The document over the defaults, its settings checked (the sections are parsed apart)."""
    if not isinstance(document, dict):
        raise ProgramError("$", "must be a JSON object")
    unknown = sorted(set(document) - set(DEFAULT_DOCUMENT))
    if unknown:
        raise ProgramError(f"$.{unknown[0]}", "is not a program setting")
    doc = {**DEFAULT_DOCUMENT, **document}
    for key, allowed in SETTINGS.items():
        if doc[key] not in allowed:
            raise ProgramError(f"$.{key}", f"must be one of {', '.join(allowed)}")
    if not str(doc["margin_field"]).startswith("UF_"):
        raise ProgramError("$.margin_field", "must be a deal field code starting with UF_")
    if not isinstance(doc["rules"], list):
        raise ProgramError("$.rules", "must be a list")
    return doc


def _program_error(exc: RuleError) -> ProgramError:
    return ProgramError(exc.path, str(exc).split(": ", 1)[1])


def _notifications(value: Any) -> dict[str, Any]:
    try:
        return check_settings(value)
    except TemplateProblem as exc:
        raise ProgramError("$.notifications", str(exc)) from exc


# Built once with a bound parameter (read for every lane run and deal batch): building it and its
# cache key per call cost more than running it. The latest version only: every version's document
# was loaded and parsed as JSON.
_LATEST = (
    select(ProgramVersion)
    .where(ProgramVersion.portal_id == bindparam("portal_id"))
    .order_by(ProgramVersion.version.desc())
    .limit(1)
)


def current_program(session: Session, portal_id: int) -> Program:
    row = session.execute(_LATEST, {"portal_id": portal_id}).scalars().first()
    return parse(row.document, row.version) if row else parse({}, 0)


def save_program(
    session: Session, portal_id: int, document: dict[str, Any], actor: str, now: datetime
) -> Program:
    """Validate and store a new version; history and accruals keep the version they were made with.

    Beyond being well-formed, it must pass ``registry.vetting`` (formulas and templates that
    finish quickly, bounded numbers).
    """
    _vet(parse(document))
    latest = session.execute(
        select(func.max(ProgramVersion.version)).where(ProgramVersion.portal_id == portal_id)
    ).scalar_one()
    version = (latest or 0) + 1
    session.add(
        ProgramVersion(
            portal_id=portal_id, version=version, document=document, created_by=actor, created_at=now
        )
    )
    return parse(document, version)


def _vet(program: Program) -> None:
    try:
        vet(program.rules, program.document, program.notifications)
    except RuleError as exc:
        raise _program_error(exc) from exc


def debt_mode_of(session: Session, portal_id: int) -> str:
    """The current program's ``debt_mode`` alone (no parsing; read once per transaction: the
    mirror asks it for every balance it writes)."""
    return once_per_transaction(
        session, ("debt_mode", portal_id), lambda: _read_debt_mode(session, portal_id)
    )


def _read_debt_mode(session: Session, portal_id: int) -> str:
    document = session.execute(
        select(ProgramVersion.document)
        .where(ProgramVersion.portal_id == portal_id)
        .order_by(ProgramVersion.version.desc())
        .limit(1)
    ).scalar_one_or_none()
    mode = (document or {}).get("debt_mode")
    return str(mode) if mode in SETTINGS["debt_mode"] else "debt"
