"""Valuing a won deal with the program's rules, and re-valuing it with the rule an accrual kept.

Rules are tried in order; the first in scope that can value the deal decides (``registry.program.rules``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from registry.program.deal import DealSnapshot
from registry.program.document import Program
from registry.program.rules import NotComputable, Valuation, applies, compute
from registry.program.tiers import Level, priced


def evaluate(
    program: Program,
    deal: DealSnapshot,
    today: date,
    skipped: list[str] | None = None,
    level: Level | None = None,
) -> tuple[Decimal, dict[str, Any]] | None:
    """The bonus a won deal earns and the snapshot of what produced it; None when no rule applies.

    Rules are tried in order; the first in scope that can value the deal decides. A rule in scope
    that cannot (no margin, a field that is no sane number, a bonus out of range) is skipped, and
    why goes into ``skipped``. The client's ``level`` (tiers) gives ``percent`` rules its percent.
    """
    override = None
    if deal.manager_percent is not None:
        override = min(deal.manager_percent, program.max_manager_percent)
    for index, rule in enumerate(priced(r, level) for r in program.rules):
        if not applies(rule, deal, today):
            continue
        try:
            valuation = compute(rule, deal, program.margin_field, override)
        except NotComputable as exc:
            if skipped is not None:
                skipped.append(f"rules[{index}]: {exc}")
            continue
        return valuation.amount, _snapshot(program, (index, rule), override, valuation, deal, level)
    return None


def _snapshot(
    program: Program,
    indexed_rule: tuple[int, dict[str, Any]],
    override: Decimal | None,
    valuation: Valuation,
    deal: DealSnapshot,
    level: Level | None,
) -> dict[str, Any]:
    """What produced an accrual, kept with it: amount edits re-value with this rule, not a newer one."""
    index, rule = indexed_rule
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
    if level is not None:  # the client's tier that priced it
        snapshot["level"] = level.code
    return snapshot


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
