"""Every rule kind, scope and the manager override; bad documents are refused with their JSON path."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from registry.program.deal import DealSnapshot, ProductTotals
from registry.program.document import ProgramError, parse
from registry.program.formula import FormulaError, compile_formula
from registry.program.valuation import amount_from_snapshot, evaluate

TODAY = date(2026, 6, 1)


def deal(amount: str = "1000", **kw: Any) -> DealSnapshot:
    fields: dict[str, Any] = {
        "deal_id": 1,
        "exists": True,
        "observed_at": datetime(2026, 6, 1, tzinfo=UTC),
        "stage_semantic": "S",
        "amount": Decimal(amount),
        "currency": "RUB",
        "company_id": 7,
    }
    fields.update(kw)
    return DealSnapshot(**fields)


def bonus(rules: list[dict[str, Any]], d: DealSnapshot, **settings: Any) -> Decimal | None:
    result = evaluate(parse({"rules": rules, **settings}), d, TODAY)
    return None if result is None else result[0]


def test_default_program_is_five_percent() -> None:
    assert evaluate(parse({}), deal("1000"), TODAY) is not None
    assert bonus(parse({}).document["rules"], deal("1234.56")) == Decimal("61.73")


def test_percent_rounding_and_limits() -> None:
    rule = {"kind": "percent", "percent": "3.5", "rounding": "whole"}
    assert bonus([rule], deal("1010")) == Decimal("35.00")  # 35.35 -> whole points
    assert bonus([{**rule, "min_per_deal": 50}], deal("100")) == Decimal("50.00")
    assert bonus([{**rule, "max_per_deal": 20}], deal("10000")) == Decimal("20.00")


def test_manager_override_is_bounded() -> None:
    rules = [{"kind": "percent", "percent": 5}]
    assert bonus(rules, deal(manager_percent=Decimal("10"))) == Decimal("100.00")
    assert bonus(rules, deal(manager_percent=Decimal("50")), max_manager_percent=15) == Decimal("150.00")


def test_scope_by_pipeline_currency_and_dates_first_match_wins() -> None:
    rules = [
        {"kind": "percent", "percent": 10, "categories": [3]},
        {"kind": "percent", "percent": 2, "currencies": ["USD"]},
        {"kind": "percent", "percent": 7, "valid_from": "2026-07-01"},
        {"kind": "percent", "percent": 1, "valid_to": "2026-06-01"},
    ]
    assert bonus(rules, deal(category_id=3)) == Decimal("100.00")
    assert bonus(rules, deal(currency="USD")) == Decimal("20.00")
    assert bonus(rules, deal()) == Decimal("10.00")  # rule 3 not yet valid, rule 4 valid today
    assert bonus(rules[:3], deal()) is None


def test_tiers_by_amount_percent_or_points() -> None:
    rule = {
        "kind": "tiers",
        "tiers": [
            {"from": 0, "to": 1000, "points": 10},
            {"from": 1000, "to": 10000, "percent": 3},
            {"from": 10000, "percent": 5},
        ],
    }
    assert bonus([rule], deal("999.99")) == Decimal("10.00")
    assert bonus([rule], deal("1000")) == Decimal("30.00")
    assert bonus([rule], deal("20000")) == Decimal("1000.00")
    assert bonus([rule], deal("5000", manager_percent=Decimal("4"))) == Decimal("200.00")


def test_tiers_by_margin_skip_deals_without_margin() -> None:
    rules = [
        {"kind": "tiers", "basis": "margin", "tiers": [{"from": 0, "percent": 10}]},
        {"kind": "percent", "percent": 1},
    ]
    with_margin = deal("1000", uf={"UF_CRM_MARGIN": "300"})
    assert bonus(rules, with_margin) == Decimal("30.00")
    assert bonus(rules, deal("1000")) == Decimal("10.00")  # no margin: the next rule decides
    custom = deal("1000", uf={"UF_CRM_PROFIT": "500"})
    assert bonus(rules, custom, margin_field="UF_CRM_PROFIT") == Decimal("50.00")


def test_formula_over_deal_fields_products_and_uf() -> None:
    products = ProductTotals(Decimal("900"), Decimal("3"), 2)
    d = deal("1000", uf={"UF_CRM_VIP": "1"}, products=products, category_id=2)
    f = "amount * 0.02 + products_count * 5 + (50 if UF_CRM_VIP == 1 else 0)"
    f += ' + (10 if currency == "RUB" else 0)'
    assert bonus([{"kind": "formula", "formula": f}], d) == Decimal("90.00")
    assert bonus([{"kind": "formula", "formula": "min(amount / 3, 100)"}], d) == Decimal("100.00")
    assert bonus([{"kind": "formula", "formula": "round(amount / 7, 1)"}], d) == Decimal("142.90")
    assert bonus([{"kind": "formula", "formula": "UF_CRM_MISSING + pipeline"}], d) == Decimal("2.00")


def test_formula_failing_on_a_deal_falls_through() -> None:
    rules = [{"kind": "formula", "formula": "amount / UF_CRM_ZERO"}, {"kind": "percent", "percent": 1}]
    assert bonus(rules, deal("1000", uf={"UF_CRM_ZERO": "0"})) == Decimal("10.00")
    needs_rows = [{"kind": "formula", "formula": "products_total * 0.1"}]
    assert bonus(needs_rows, deal("1000")) is None  # product rows were not read
    assert parse({"rules": needs_rows}).needs_products


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("amount * ", "syntax error"),
        ("amount * 0.05 + bonus", "unknown name 'bonus' at position 17"),
        ("__import__('os')", "only min, max"),
        ("amount.real", "Attribute is not allowed at position 1"),
        ("[amount]", "List is not allowed"),
        ("", "empty"),
    ],
)
def test_bad_formula_is_refused_at_save_with_position(formula: str, message: str) -> None:
    with pytest.raises(ProgramError) as info:
        parse({"rules": [{"kind": "percent", "percent": 1}, {"kind": "formula", "formula": formula}]})
    assert info.value.path == "$.rules[1].formula"
    assert message in str(info.value)


def test_formula_error_column_points_at_the_fault() -> None:
    with pytest.raises(FormulaError) as info:
        compile_formula("amount * (0.05 +")
    assert info.value.column >= 10
    assert "position" in str(info.value)


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"rules": [{"kind": "bogus"}]}, "$.rules[0].kind"),
        ({"rules": [{"kind": "percent"}]}, "$.rules[0].percent"),
        ({"rules": [{"kind": "percent", "percent": -1}]}, "$.rules[0].percent"),
        ({"rules": [{"kind": "tiers", "tiers": []}]}, "$.rules[0].tiers"),
        (
            {"rules": [{"kind": "tiers", "tiers": [{"from": 5, "to": 1, "points": 1}]}]},
            "$.rules[0].tiers[0].to",
        ),
        ({"rules": [{"kind": "tiers", "tiers": [{"from": 0}]}]}, "$.rules[0].tiers[0]"),
        ({"rules": [{"kind": "tiers", "basis": "profit", "tiers": [{"points": 1}]}]}, "$.rules[0].basis"),
        ({"rules": [{"kind": "percent", "percent": 1, "valid_to": "soon"}]}, "$.rules[0].valid_to"),
        ({"lifetime_days": -1}, "$.lifetime_days"),
        ({"debt_mode": "forgive"}, "$.debt_mode"),
        ({"margin_field": "MARGIN"}, "$.margin_field"),
        ({"lifetim_days": 30}, "$.lifetim_days"),
    ],
)
def test_bad_documents_name_the_path(document: dict[str, Any], path: str) -> None:
    with pytest.raises(ProgramError) as info:
        parse(document)
    assert info.value.path == path


def test_snapshot_recomputes_with_the_original_rule() -> None:
    program = parse(
        {
            "rules": [
                {"kind": "tiers", "tiers": [{"from": 0, "to": 100, "points": 1}, {"from": 100, "percent": 2}]}
            ]
        }
    )
    result = evaluate(program, deal("50"), TODAY)
    assert result is not None and result[0] == Decimal("1.00")
    snapshot = result[1]
    assert amount_from_snapshot(snapshot, deal("500")) == Decimal("10.00")
    legacy = {"kind": "percent", "percent": "5", "rounding": "cents", "base_amount": "100"}
    assert amount_from_snapshot(legacy, deal("300")) == Decimal("15.00")
