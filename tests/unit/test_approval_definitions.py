"""Approval definitions: validated with the JSON path named; conditions over deal fields; discounts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from registry.bonuses.discounts import amount_off, percent_off
from registry.bonuses.requests import Row
from registry.program.approvals import holds, parse_condition
from registry.program.document import ProgramError, parse

GOOD = {
    "code": "x",
    "kind": "discount_amount",
    "range": {"min": 5, "max": 20},
    "approval": {"mode": "manual", "approvers": [3]},
}


def _with(**change: Any) -> dict[str, Any]:
    return {"approvals": [{**GOOD, **change}]}


def test_a_good_definition_is_parsed() -> None:
    [d] = parse(_with(per_month_max=20, per_year_count=3, products={"sections": [13]})).approvals
    assert (d.minimum, d.maximum, d.per_month_max, d.per_year_count) == (5, 20, 20, 3)
    assert d.manual and d.approvers == {3} and d.sections == {13}


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"kind": "cash"}, "$.approvals[0].kind"),
        ({"range": {"min": 30, "max": 20}}, "$.approvals[0].range"),
        ({"range": {"min": "a", "max": 20}}, "$.approvals[0].range.min"),
        ({"kind": "discount_percent", "range": {"min": 1, "max": 150}}, "$.approvals[0].range.max"),
        ({"valid_to": "31/12/2015"}, "$.approvals[0].valid_to"),
        ({"per_year_count": 2.5}, "$.approvals[0].per_year_count"),
        ({"approval": {"mode": "manual"}}, "$.approvals[0].approval"),
        ({"approval": {"mode": "vote"}}, "$.approvals[0].approval.mode"),
        ({"products": {"ids": ["a"]}}, "$.approvals[0].products.ids"),
        ({"segment": [{"field": "UF_X", "op": "~", "value": 1}]}, "$.approvals[0].segment[0].op"),
        ({"auto_apply": True}, "$.approvals[0].range"),  # an automatic one has one amount
        ({"colour": "red"}, "$.approvals[0].colour"),
        ({"code": ""}, "$.approvals[0].code"),
    ],
)
def test_a_bad_definition_names_its_field(change: dict[str, Any], path: str) -> None:
    with pytest.raises(ProgramError) as refused:
        parse(_with(**change))
    assert refused.value.path == path


def test_codes_are_unique() -> None:
    with pytest.raises(ProgramError) as refused:
        parse({"approvals": [GOOD, GOOD]})
    assert refused.value.path == "$.approvals[1].code"


def test_conditions_compare_dates_numbers_and_text() -> None:
    later = parse_condition([{"field": "UF_DONE", "op": ">", "other": "UF_DUE"}], "$")
    assert holds(later, {"UF_DONE": "2026-01-20T10:00:00+03:00", "UF_DUE": "2026-01-14"})
    assert not holds(later, {"UF_DONE": "2026-01-10", "UF_DUE": "2026-01-14"})
    assert not holds(later, {"UF_DUE": "2026-01-14"})  # a missing field never satisfies
    big = parse_condition([{"field": "OPPORTUNITY", "op": ">=", "value": 100}], "$")
    assert holds(big, {"OPPORTUNITY": "100.00"}) and not holds(big, {"OPPORTUNITY": "99.5"})


def _row(row_id: int, price: str, quantity: str = "1", tax: str = "0") -> Row:
    netto = Decimal(price) / (1 + Decimal(tax) / 100)
    return Row(
        row_id,
        row_id,
        None,
        "p",
        Decimal(price),
        Decimal(quantity),
        netto.quantize(Decimal("0.01")),
        Decimal(tax),
    )


def test_discounts_lower_the_price_and_keep_the_list_price() -> None:
    assert percent_off([_row(1, "100")], Decimal("50")) == {
        1: {"price": "50.00", "discountTypeId": 1, "discountSum": "50.00"}
    }
    taxed = percent_off([_row(1, "120", tax="20")], Decimal("50"))[1]
    assert taxed == {"price": "60.00", "discountTypeId": 1, "discountSum": "50.00"}  # per unit, without tax
    spread = amount_off([_row(1, "30"), _row(2, "10")], Decimal("20"))
    assert spread == {
        1: {"price": "15.00", "discountTypeId": 1, "discountSum": "15.00"},
        2: {"price": "5.00", "discountTypeId": 1, "discountSum": "5.00"},
    }
    assert amount_off([_row(1, "10")], Decimal("50"))[1]["price"] == "0.00"  # never below zero
