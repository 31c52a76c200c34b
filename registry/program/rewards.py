"""What a deal earns from offers and bundles, from its product rows (pure: no session, no portal).

Order (the Open Loyalty practice): the general rules first (``valuation.evaluate``: the first rule in
scope values the deal), then every offer in scope adds its own award on top, then bundles. Offers
never change what the general rule gives, and each award snapshots the offer or bundle behind it.

Offers: ``transaction`` values the total of the matching rows once (percent of it, or the points
once); ``per_item`` values each matching row (percent of the row, each rounded to cents) or each
unit (points x whole units). Rows priced 0 (free units, gifts) match nothing.

Bundles: the trigger is met by ONE row holding at least ``trigger_quantity`` in the bundle's unit
(a week row counts 7 days toward a day bundle); two rows of 15 days in one deal, like two deals of
15, trigger nothing. A deal earns a bundle at most once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from registry.program.deal import DealSnapshot, ProductLine
from registry.program.document import Program
from registry.program.offers import UNIT_CODES, UNIT_FACTORS
from registry.program.tiers import Level
from registry.program.valuation import evaluate

ZERO = Decimal("0")
CENT = Decimal("0.01")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class OfferAward:
    code: str
    name: str
    spend: str  # accumulate: bonuses on win; instant: a discount on the deal's rows now
    amount: Decimal  # points (accumulate) or money off (instant)
    legal_entity: int | None
    lines: dict[int, Decimal]  # row id -> its share of the amount
    snapshot: dict[str, Any]


@dataclass(frozen=True)
class BundleAward:
    code: str
    name: str
    type: str  # ontime_only | cash_discount
    row_id: int  # the row that triggered it
    product_id: int
    units: Decimal  # free units
    measure_code: int
    unit_price: Decimal  # the triggering row's price of one bundle unit
    legal_entity: int | None
    snapshot: dict[str, Any]

    @property
    def value(self) -> Decimal:
        return (self.units * self.unit_price).quantize(CENT, ROUND_HALF_UP)


@dataclass
class Preview:
    """What a deal earns now: the general rule, each offer and bundle, and any instant discount."""

    rule: Decimal = ZERO
    rule_snapshot: dict[str, Any] | None = None
    offers: list[OfferAward] = field(default_factory=list)
    instant: list[OfferAward] = field(default_factory=list)
    bundles: list[BundleAward] = field(default_factory=list)

    @property
    def points(self) -> Decimal:
        return self.rule + sum((o.amount for o in self.offers), ZERO)

    @property
    def discount(self) -> Decimal:
        return sum((o.amount for o in self.instant), ZERO)


def matches(products: dict[str, list[int]], line: ProductLine) -> bool:
    """A row matches by product id or by any of its sections; no condition matches every row."""
    if line.price <= ZERO:
        return False
    ids, sections = products["ids"], products["sections"]
    if not ids and not sections:
        return True
    return line.product_id in ids or any(s in sections for s in line.sections)


def in_validity(item: dict[str, Any], today: date) -> bool:
    start, end = item.get("valid_from"), item.get("valid_to")
    return (start is None or today.isoformat() >= start) and (end is None or today.isoformat() <= end)


def in_segment(segment: dict[str, Any], owner_type: str | None, client_groups: frozenset[str] | None) -> bool:
    """Contacts, companies or both; and, when it names groups, a member of one of them."""
    wanted = segment.get("clients", "both")
    if wanted != "both" and (owner_type is None or wanted != f"{owner_type}s"):
        return False
    groups = segment.get("groups") or []
    return not groups or client_groups is None or bool(client_groups & set(groups))


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def _line_values(offer: dict[str, Any], lines: list[ProductLine]) -> dict[int, Decimal]:
    percent = Decimal(offer["percent"]) if offer["percent"] is not None else None
    points = Decimal(offer["points"]) if offer["points"] is not None else None
    if offer["basis"] == "per_item":
        if percent is not None:
            return {ln.row_id: _cents(ln.total * percent / HUNDRED) for ln in lines}
        assert points is not None
        return {ln.row_id: points * int(ln.quantity) for ln in lines}
    base = sum((ln.total for ln in lines), ZERO)
    total = _cents(base * percent / HUNDRED) if percent is not None else (points or ZERO)
    return _spread(total, lines)


def _spread(total: Decimal, lines: list[ProductLine]) -> dict[int, Decimal]:
    """A transaction's award shared over its rows by their totals (the last row takes the rounding)."""
    base = sum((ln.total for ln in lines), ZERO)
    out: dict[int, Decimal] = {}
    left = total
    for i, ln in enumerate(lines):
        share = left if i == len(lines) - 1 else _cents(total * ln.total / base)
        out[ln.row_id], left = share, left - share
    return out


def offer_award(
    offer: dict[str, Any],
    deal: DealSnapshot,
    owner_type: str | None,
    today: date,
    default_entity: int | None,
    client_groups: frozenset[str] | None = None,
) -> OfferAward | None:
    """The offer's award on this deal, or None (out of validity or segment, no matching row)."""
    if deal.lines is None or not in_validity(offer, today):
        return None
    if not in_segment(offer["segment"], owner_type, client_groups):
        return None
    lines = [ln for ln in deal.lines if matches(offer["products"], ln)]
    if not lines:
        return None
    values = {row: v for row, v in _line_values(offer, lines).items() if v > ZERO}
    amount = sum(values.values(), ZERO)
    if offer["spend"] == "instant":  # money off can never exceed what the rows cost
        amount = min(amount, sum((ln.total for ln in lines), ZERO))
    if amount <= ZERO:
        return None
    entity = offer["legal_entity"] or default_entity
    snapshot = {
        "kind": "offer",
        "offer": offer,
        "percent": offer["percent"],
        "base_amount": str(sum((ln.total for ln in lines), ZERO)),
        "currency": deal.currency,
        "lines": {str(k): str(v) for k, v in values.items()},
    }
    return OfferAward(offer["code"], offer["name"], offer["spend"], amount, entity, values, snapshot)


def units_in(bundle: dict[str, Any], line: ProductLine) -> Decimal:
    """How many of the bundle's units one row holds (0 when its unit is another kind)."""
    unit = bundle["unit"]
    if line.measure_code == UNIT_CODES[unit]:
        return line.quantity
    factor = UNIT_FACTORS.get((unit, line.measure_code or 0))
    return line.quantity * factor if factor else ZERO


def bundle_award(
    bundle: dict[str, Any], deal: DealSnapshot, default_entity: int | None
) -> BundleAward | None:
    """The bundle's reward: the first row that alone reaches the trigger (None: no row does)."""
    trigger = Decimal(bundle["trigger_quantity"])
    for line in deal.lines or ():
        units = units_in(bundle, line)
        if not matches(bundle["product"], line) or units < trigger:
            continue
        unit_price = _cents(line.total / units)
        snapshot = {"kind": "bundle", "bundle": bundle, "row_id": line.row_id, "row_units": str(units)}
        return BundleAward(
            bundle["code"],
            bundle["name"],
            bundle["type"],
            line.row_id,
            line.product_id,
            Decimal(bundle["reward_quantity"]),
            UNIT_CODES[bundle["unit"]],
            unit_price,
            bundle["legal_entity"] or default_entity,
            snapshot,
        )
    return None


def in_groups(bundle: dict[str, Any], client_groups: frozenset[str] | None) -> bool:
    """A bundle naming groups is for their members; ``None`` means membership is not known here."""
    if not bundle["groups"] or client_groups is None:
        return True
    return bool(client_groups & set(bundle["groups"]))


def preview(
    program: Program,
    deal: DealSnapshot,
    owner_type: str | None,
    today: date,
    *,
    client_groups: frozenset[str] | None = None,
    done_instant: frozenset[str] = frozenset(),
    skipped: list[str] | None = None,
    level: Level | None = None,
) -> Preview:
    """What the deal earns if won now: the rule, then each offer, then each bundle (in that order).

    ``done_instant``: instant offers already written onto the deal (they give nothing more);
    ``client_groups``: the groups (of those bundles and offers name) the client belongs to — None
    when not known, then group conditions are not checked (a pure preview of a basket); ``level``:
    the client's tier, which prices ``percent`` rules.
    """
    found = Preview()
    result = evaluate(program, deal, today, skipped, level)
    if result is not None and result[0] > ZERO:
        found.rule, found.rule_snapshot = result
    default = program.legal_entity_of(deal)
    for offer in program.offers:
        award = offer_award(offer, deal, owner_type, today, default, client_groups)
        if award is None:
            continue
        if award.spend == "accumulate":
            found.offers.append(award)
        elif award.code not in done_instant:
            found.instant.append(award)
    for bundle in program.bundles:
        if in_groups(bundle, client_groups):
            got = bundle_award(bundle, deal, default)
            if got is not None:
                found.bundles.append(got)
    return found
