"""The bonus program: settings plus ordered rules, versioned per portal; evaluation of a deal.

Rules (``registry.rules``: percent, tiers, formula) are tried in order and the first one in
scope that can value the deal decides. The manager's ``UF_CRM_BONUS_PERCENT`` overrides a percent
(of a percent rule or a tier), bounded by ``max_manager_percent``. Saving never edits a version:
it adds one, and every accrual keeps the normalised rule it was made with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from b24app.db import once_per_transaction
from registry.program.approvals import Definition, parse_approvals
from registry.program.campaigns import Campaign, parse_campaigns
from registry.program.deal import DealSnapshot
from registry.program.events import CustomerEvent, parse_events
from registry.program.groups import Group, parse_groups
from registry.program.models import ProgramVersion
from registry.program.notifications import TemplateProblem, check_settings
from registry.program.offers import (
    check_entities,
    check_groups,
    parse_bundle,
    parse_legal_entities,
    parse_list,
    parse_offer,
)
from registry.program.rules import (
    NotComputable,
    RuleError,
    applies,
    compute,
    needs_products,
    number,
    parse_rule,
)
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
    "approvals": [],  # definitions of requests that need approval (registry.program.approvals)
    "groups": [],  # customer groups (registry.program.groups)
    "campaigns": [],  # date-triggered awards (registry.program.campaigns)
    "offers": [],  # registry.program.offers: awards on top of the rules, per item or per purchase
    "bundles": [],  # free units or a cash credit when one row reaches a trigger quantity
    "legal_entities": {"default": None, "companies": [], "from_deal": False},  # who owes what is awarded
    "events": [],  # customer events that earn through the API (registry.program.events)
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
    try:
        rules = tuple(parse_rule(r, f"$.rules[{i}]") for i, r in enumerate(doc["rules"]))
        max_percent = Decimal(number(doc, "max_manager_percent", "$", required=True) or "0")
        limits = {key: Decimal(v) if (v := number(doc, key, "$")) is not None else None for key in LIMIT_KEYS}
        approvals = parse_approvals(doc["approvals"])
        groups = parse_groups(doc["groups"])
        campaigns = parse_campaigns(doc["campaigns"], groups)
        offers = parse_list(doc["offers"], "offers", parse_offer)
        bundles = parse_list(doc["bundles"], "bundles", parse_bundle)
        check_groups({g.code for g in groups}, offers, bundles)
        legal = parse_legal_entities(doc["legal_entities"])
        check_entities(legal, offers, bundles)
        events = parse_events(doc["events"])
    except RuleError as exc:
        raise ProgramError(exc.path, str(exc).split(": ", 1)[1]) from exc
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
        approvals=approvals,
        groups=groups,
        campaigns=campaigns,
        offers=offers,
        bundles=bundles,
        legal_entities=legal,
        events=events,
    )


def _notifications(value: Any) -> dict[str, Any]:
    try:
        return check_settings(value)
    except TemplateProblem as exc:
        raise ProgramError("$.notifications", str(exc)) from exc


def current_program(session: Session, portal_id: int) -> Program:
    row = (
        session.execute(
            select(ProgramVersion)
            .where(ProgramVersion.portal_id == portal_id)
            .order_by(ProgramVersion.version.desc())
            .limit(1)  # the latest only: every version's document was loaded and parsed as JSON
        )
        .scalars()
        .first()
    )
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
        raise ProgramError(exc.path, str(exc).split(": ", 1)[1]) from exc


def evaluate(
    program: Program, deal: DealSnapshot, today: date, skipped: list[str] | None = None
) -> tuple[Decimal, dict[str, Any]] | None:
    """The bonus a won deal earns and the snapshot of what produced it; None when no rule applies.

    Rules are tried in order; the first in scope that can value the deal decides. A rule in scope
    that cannot (no margin, a field that is no sane number, a bonus out of range) is skipped, and
    why goes into ``skipped``.
    """
    override = None
    if deal.manager_percent is not None:
        override = min(deal.manager_percent, program.max_manager_percent)
    for index, rule in enumerate(program.rules):
        if not applies(rule, deal, today):
            continue
        try:
            valuation = compute(rule, deal, program.margin_field, override)
        except NotComputable as exc:
            if skipped is not None:
                skipped.append(f"rules[{index}]: {exc}")
            continue
        snapshot = {
            "program_version": program.version,
            "rule_index": index,
            "kind": rule["kind"],
            "rule": rule,
            "margin_field": program.margin_field,
            "override": None if override is None else str(override),
            "percent": None if valuation.percent is None else str(valuation.percent),
            "base_amount": str(valuation.base),
            "deal_amount": str(deal.amount),
            "currency": deal.currency,
        }
        return valuation.amount, snapshot
    return None


def amount_from_snapshot(snapshot: dict[str, Any], deal: DealSnapshot) -> Decimal | None:
    """Recompute with the ORIGINAL rule (amount edits while won never use a newer program).

    None when the rule cannot value the deal now (e.g. its product rows were not read).
    """
    override = Decimal(snapshot["override"]) if snapshot.get("override") is not None else None
    rule = snapshot.get("rule") or {  # accruals made before rule kinds were stored whole
        "kind": "percent",
        "percent": snapshot["percent"],
        "rounding": snapshot.get("rounding", "cents"),
        "min_per_deal": snapshot.get("min_per_deal"),
        "max_per_deal": snapshot.get("max_per_deal"),
    }
    try:
        return compute(rule, deal, snapshot.get("margin_field", "UF_CRM_MARGIN"), override).amount
    except NotComputable:
        return None


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
