"""Offers, bundles and legal entities in the program document: validation naming the field, and the
pure valuation (per item, per transaction, bundles by one row in the bundle's unit)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from registry.program.deal import DealSnapshot, ProductLine
from registry.program.document import ProgramError, parse
from registry.program.rewards import preview

NOW = datetime(2026, 6, 1, tzinfo=UTC)
DAY, WEEK = 359, 360


def _deal(*lines: ProductLine) -> DealSnapshot:
    total = sum((ln.total for ln in lines), Decimal("0"))
    return DealSnapshot(1, True, NOW, "S", total, contact_id=5, lines=lines)


def _line(row: int, product: int, price: str, qty: str, measure: int | None = None) -> ProductLine:
    return ProductLine(row, product, "", Decimal(price), Decimal(qty), measure)


BUNDLE = {
    "code": "b30",
    "product": {"ids": [7]},
    "unit": "day",
    "trigger_quantity": 30,
    "reward_quantity": 2,
    "type": "ontime_only",
}


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"offers": [{"code": "a", "basis": "x", "percent": 1}]}, "$.offers[0].basis"),
        ({"offers": [{"code": "a", "basis": "per_item"}]}, "$.offers[0]"),
        (
            {"offers": [{"code": "a", "basis": "per_item", "points": 1, "spend": "later"}]},
            "$.offers[0].spend",
        ),
        (
            {"offers": [{"code": "a", "basis": "per_item", "points": 1, "valid_to": "soon"}]},
            "$.offers[0].valid_to",
        ),
        ({"bundles": [{**BUNDLE, "unit": "year"}]}, "$.bundles[0].unit"),
        ({"bundles": [{**BUNDLE, "trigger_quantity": 0}]}, "$.bundles[0].trigger_quantity"),
        ({"bundles": [{**BUNDLE, "product": {}}]}, "$.bundles[0].product"),
        ({"bundles": [BUNDLE, BUNDLE]}, "$.bundles[1].code"),
        ({"legal_entities": {"default": 3, "companies": [4]}}, "$.legal_entities.default"),
        ({"bundles": [{**BUNDLE, "groups": ["nowhere"]}]}, "$.bundles[0].groups"),
        (
            {
                "offers": [
                    {"code": "a", "basis": "per_item", "points": 1, "segment": {"registered_days_min": 3}}
                ]
            },
            "$.offers[0].segment.registered_days_min",
        ),
        (
            {"legal_entities": {"companies": [4]}, "bundles": [{**BUNDLE, "legal_entity": 9}]},
            "$.bundles[0].legal_entity",
        ),
    ],
)
def test_bad_sections_name_the_field(document: dict[str, Any], path: str) -> None:
    with pytest.raises(ProgramError) as error:
        parse(document)
    assert error.value.path == path


def test_bundle_triggers_on_one_row_only() -> None:
    program = parse({"bundles": [BUNDLE]})
    one = preview(program, _deal(_line(1, 7, "10", "30", DAY)), "contact", date(2026, 6, 1))
    assert [(b.units, b.value) for b in one.bundles] == [(Decimal("2"), Decimal("20.00"))]
    split = _deal(_line(1, 7, "10", "15", DAY), _line(2, 7, "10", "15", DAY))
    assert preview(program, split, "contact", date(2026, 6, 1)).bundles == []
    weeks = _deal(_line(1, 7, "70", "5", WEEK))  # 5 weeks = 35 days
    assert [b.unit_price for b in preview(program, weeks, "contact", date(2026, 6, 1)).bundles] == [
        Decimal("10.00")
    ]
    pieces = _deal(_line(1, 7, "10", "30", 796))
    assert preview(program, pieces, "contact", date(2026, 6, 1)).bundles == []


def test_per_item_points_count_whole_units_and_instant_never_exceeds_the_rows() -> None:
    offers = [
        {"code": "p", "basis": "per_item", "points": 2},
        {"code": "i", "basis": "transaction", "points": 1000, "spend": "instant"},
    ]
    found = preview(parse({"offers": offers}), _deal(_line(1, 3, "5", "3")), "contact", date(2026, 6, 1))
    assert [(o.code, o.amount) for o in found.offers] == [("p", Decimal("6"))]
    assert [(o.code, o.amount) for o in found.instant] == [("i", Decimal("15"))]
