"""The bonus program: settings plus ordered rules, versioned per portal; evaluation of a deal.

Rules are tried in order and the first one whose scope (pipelines, currencies, validity dates)
matches the deal decides. This version knows ``percent`` rules; the manager's
``UF_CRM_BONUS_PERCENT`` overrides a rule's percent, bounded by ``max_manager_percent``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.models import ProgramVersion

if TYPE_CHECKING:
    from registry.deals import DealSnapshot

DEFAULT_DOCUMENT: dict[str, Any] = {
    "owner_preference": "company_first",
    "lifetime_days": 365,
    "debt_mode": "debt",
    "max_manager_percent": 100,
    "rules": [{"kind": "percent", "percent": 5, "rounding": "cents"}],
}


class ProgramError(ValueError):
    """A program document that cannot be saved; ``path`` points into the JSON."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


@dataclass(frozen=True)
class Rule:
    percent: Decimal
    rounding: str = "cents"
    categories: tuple[int, ...] = ()
    currencies: tuple[str, ...] = ()
    valid_from: date | None = None
    valid_to: date | None = None
    min_per_deal: Decimal | None = None
    max_per_deal: Decimal | None = None

    def applies(self, deal: DealSnapshot, today: date) -> bool:
        return (
            (not self.categories or deal.category_id in self.categories)
            and (not self.currencies or deal.currency in self.currencies)
            and (self.valid_from is None or today >= self.valid_from)
            and (self.valid_to is None or today <= self.valid_to)
        )


@dataclass(frozen=True)
class Program:
    version: int
    owner_preference: str = "company_first"
    lifetime_days: int = 365
    debt_mode: str = "debt"
    max_manager_percent: Decimal = Decimal("100")
    rules: tuple[Rule, ...] = field(default_factory=tuple)


def _decimal(doc: dict[str, Any], key: str, path: str) -> Decimal | None:
    if doc.get(key) is None:
        return None
    try:
        value = Decimal(str(doc[key]))
    except ArithmeticError as exc:
        raise ProgramError(f"{path}.{key}", "must be a number") from exc
    if value < 0:
        raise ProgramError(f"{path}.{key}", "must not be negative")
    return value


def _rule(doc: dict[str, Any], path: str) -> Rule:
    if doc.get("kind") != "percent":
        raise ProgramError(f"{path}.kind", f"unknown rule kind {doc.get('kind')!r}")
    percent = _decimal(doc, "percent", path)
    if percent is None:
        raise ProgramError(f"{path}.percent", "is required")
    if doc.get("rounding", "cents") not in ("cents", "whole"):
        raise ProgramError(f"{path}.rounding", "must be 'cents' or 'whole'")
    dates = {k: date.fromisoformat(doc[k]) if doc.get(k) else None for k in ("valid_from", "valid_to")}
    return Rule(
        percent,
        doc.get("rounding", "cents"),
        tuple(int(c) for c in doc.get("categories", [])),
        tuple(str(c) for c in doc.get("currencies", [])),
        dates["valid_from"],
        dates["valid_to"],
        _decimal(doc, "min_per_deal", path),
        _decimal(doc, "max_per_deal", path),
    )


def parse(document: dict[str, Any], version: int = 0) -> Program:
    """Validate a program document; errors name the JSON path."""
    doc = {**DEFAULT_DOCUMENT, **document}
    if doc["owner_preference"] not in ("company_first", "contact_first"):
        raise ProgramError("$.owner_preference", "must be company_first or contact_first")
    if doc["debt_mode"] not in ("debt", "negative_balance"):
        raise ProgramError("$.debt_mode", "must be debt or negative_balance")
    rules = tuple(_rule(r, f"$.rules[{i}]") for i, r in enumerate(doc["rules"]))
    return Program(
        version,
        doc["owner_preference"],
        int(doc["lifetime_days"]),
        doc["debt_mode"],
        _decimal(doc, "max_manager_percent", "$") or Decimal("0"),
        rules,
    )


def current_program(session: Session, portal_id: int) -> Program:
    row = (
        session.execute(
            select(ProgramVersion)
            .where(ProgramVersion.portal_id == portal_id)
            .order_by(ProgramVersion.version.desc())
        )
        .scalars()
        .first()
    )
    return parse(row.document, row.version) if row else parse({}, 0)


def save_program(
    session: Session, portal_id: int, document: dict[str, Any], actor: str, now: datetime
) -> Program:
    """Validate and store a new version; history and accruals keep the version they were made with."""
    parse(document)
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


def quantize(value: Decimal, rounding: str) -> Decimal:
    step = Decimal("1") if rounding == "whole" else Decimal("0.01")
    return value.quantize(step, rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))


def evaluate(program: Program, deal: DealSnapshot, today: date) -> tuple[Decimal, dict[str, Any]] | None:
    """The bonus a won deal earns and the snapshot of what produced it; None when no rule applies."""
    for index, rule in enumerate(program.rules):
        if not rule.applies(deal, today):
            continue
        percent = rule.percent
        if deal.manager_percent is not None:
            percent = min(deal.manager_percent, program.max_manager_percent)
        snapshot = {
            "program_version": program.version,
            "rule_index": index,
            "kind": "percent",
            "percent": str(percent),
            "rounding": rule.rounding,
            "base_amount": str(deal.amount),
            "currency": deal.currency,
            "min_per_deal": None if rule.min_per_deal is None else str(rule.min_per_deal),
            "max_per_deal": None if rule.max_per_deal is None else str(rule.max_per_deal),
        }
        return amount_from_snapshot(snapshot, deal.amount), snapshot
    return None


def amount_from_snapshot(snapshot: dict[str, Any], base: Decimal) -> Decimal:
    """Recompute with the ORIGINAL rule (amount edits while won never use a newer program)."""
    amount = quantize(base * Decimal(snapshot["percent"]) / Decimal("100"), snapshot["rounding"])
    if snapshot.get("min_per_deal") is not None:
        amount = max(amount, Decimal(snapshot["min_per_deal"]))
    if snapshot.get("max_per_deal") is not None:
        amount = min(amount, Decimal(snapshot["max_per_deal"]))
    return amount
