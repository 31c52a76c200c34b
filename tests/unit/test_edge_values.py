"""Values from outside are parsed to bounded numbers; formulas and templates that could not finish
quickly are refused when saved and cannot run when stored by an older release."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from registry.bonuses.notices import render_text
from registry.bonuses.spending import Refused, parse_amount
from registry.program.deal import DealSnapshot
from registry.program.document import ProgramError, parse, save_program
from registry.program.formula import FormulaError, check_limits, compile_formula, trial
from registry.program.rules import NotComputable, compute
from registry.program.templates import TemplateRefused, render
from registry.program.values import bounded_id, plain_amount, portal_number
from registry.sync.documents import Document, parse_document

NOW = datetime(2026, 1, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "amount"),
    [
        ("150", "150.00"),
        ("1 000,50", "1000.50"),
        ("0.5", "0.50"),
        ("10.", "10.00"),
        ("999999999999.99", None),
    ],
)
def test_a_robot_amount_is_plain_decimal_notation(raw: str, amount: str | None) -> None:
    expected = Decimal(amount) if amount else Decimal("999999999999.99")
    assert parse_amount(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "1e30",
        "1e309",
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "1_0",
        "１０",
        "٣",
        "0.001",
        "1000000000000",
        "-5",
        "0",
        "",
        None,
    ],
)
def test_anything_else_is_a_bad_amount(raw: object) -> None:
    with pytest.raises(Refused) as refused:
        parse_amount(raw)
    assert refused.value.code == "BAD_AMOUNT"


def test_the_console_takes_signed_amounts_the_same_way() -> None:
    assert plain_amount("-20,5", signed=True) == Decimal("-20.50")
    assert plain_amount("-20,5") is None and plain_amount("1e3", signed=True) is None


@pytest.mark.parametrize(("raw", "value"), [("7", 7), (12, 12), ("2147483647", 2**31 - 1)])
def test_ids_fit_the_id_columns(raw: object, value: int) -> None:
    assert bounded_id(raw) == value


@pytest.mark.parametrize("raw", ["3000000000", "0", "-1", "²", "１", "1e3", "7.0", "", None, True])
def test_other_ids_are_none(raw: object) -> None:
    assert bounded_id(raw) is None


@pytest.mark.parametrize(
    ("raw", "value"), [("1000.50", "1000.50"), ("-3", "-3"), ("1.5E+3", "1500"), (12, "12"), ("1e15", "1e15")]
)
def test_portal_numbers_are_finite_and_bounded(raw: object, value: str) -> None:
    assert portal_number(raw) == Decimal(value)


@pytest.mark.parametrize("raw", ["1e30", "1.0E+16", "NaN", "Infinity", "1_0", "１０", "abc", "", None, False])
def test_other_portal_numbers_are_none(raw: object) -> None:
    assert portal_number(raw) is None


def test_documents_are_checked_against_their_type_and_the_id_columns() -> None:
    dynamic = "Bitrix\\Crm\\Integration\\BizProc\\Document\\Dynamic"
    assert parse_document(
        ["crm", "CCrmDocumentDeal", "DEAL_12"], ["crm", "CCrmDocumentDeal", "DEAL"]
    ) == Document("deal", 12)
    assert parse_document(["crm", dynamic, "DYNAMIC_1032_7"], ["crm", dynamic, "DYNAMIC_1032"]) == Document(
        "item", 7, 1032
    )
    refusals = [
        ("COMPANY_3000000000", None, "DOCUMENT_NOT_FOUND"),
        ("DEAL_12", ["crm", "CCrmDocumentCompany", "COMPANY"], "UNSUPPORTED_DOCUMENT"),
        ("LEAD_1", None, "UNSUPPORTED_DOCUMENT"),
    ]
    for name, document_type, code in refusals:
        with pytest.raises(Refused) as refused:
            parse_document(["crm", f"CCrmDocument{name.split('_')[0].title()}", name], document_type)
        assert refused.value.code == code
    with pytest.raises(Refused, match="DOCUMENT_NOT_FOUND"):
        parse_document(["crm", dynamic, "DYNAMIC_1032_99999999999"])


def test_a_formula_exponent_is_a_small_literal() -> None:
    check_limits(compile_formula("amount ** 2 + 1.05 ** -3"))
    for text, column in [("amount * 10 ** 30", 16), ("amount ** margin", 11), ("2 ** (2 ** 2)", 7)]:
        with pytest.raises(FormulaError) as refused:
            check_limits(compile_formula(text))
        assert "an exponent must be a number between -4 and 4" in str(refused.value)
        assert refused.value.column == column


def test_a_formula_overflowing_on_sample_values_is_refused_but_data_dependent_errors_are_not() -> None:
    with pytest.raises(
        FormulaError, match=r"the result 1e\+15 is beyond ±10\^12 for sample values \(amount=1000\)"
    ):
        trial(compile_formula("amount * 1000000000000"), "amount * 1000000000000")
    trial(compile_formula("amount / (UF_CRM_X - 1)"), "amount / (UF_CRM_X - 1)")  # zero only in the sample


def test_saving_a_program_runs_the_checks_and_loading_an_old_one_does_not() -> None:
    huge = {"rules": [{"kind": "formula", "formula": "amount * 10 ** 30"}]}
    with pytest.raises(ProgramError) as refused:
        save_program(None, 1, huge, "test", NOW)  # type: ignore[arg-type]  # refused before any write
    assert refused.value.path == "$.rules[0].formula" and "at position 16" in str(refused.value)
    with pytest.raises(ProgramError, match=r"\$\.rules\[0\]\.percent: must be at most 1,000"):
        save_program(None, 1, {"rules": [{"kind": "percent", "percent": 5000}]}, "test", NOW)  # type: ignore[arg-type]
    assert parse(huge).rules[0]["formula"] == "amount * 10 ** 30"  # a stored one still loads ...
    deal = DealSnapshot(deal_id=1, exists=True, observed_at=NOW, stage_semantic="S", amount=Decimal("1000"))
    with pytest.raises(NotComputable, match="an exponent must be"):  # ... and is skipped when it runs
        compute(parse(huge).rules[0], deal, "UF_CRM_MARGIN", None)


@pytest.mark.parametrize(("uf", "reason"), [("1e30", "not a number within"), ("NaN", "not a number within")])
def test_a_rule_reading_a_poison_field_is_not_computable(uf: str, reason: str) -> None:
    deal = DealSnapshot(
        deal_id=1,
        exists=True,
        observed_at=NOW,
        stage_semantic="S",
        amount=Decimal("1000"),
        uf={"UF_CRM_X": uf},
    )
    rule = parse({"rules": [{"kind": "formula", "formula": "amount * UF_CRM_X"}]}).rules[0]
    with pytest.raises(NotComputable, match=reason):
        compute(rule, deal, "UF_CRM_MARGIN", None)
    text_field = DealSnapshot(deal_id=1, exists=True, observed_at=NOW, uf={"UF_CRM_X": "gold"})
    rule = parse({"rules": [{"kind": "formula", "formula": "100 if UF_CRM_X == 'gold' else 0"}]}).rules[0]
    assert compute(rule, text_field, "UF_CRM_MARGIN", None).amount == Decimal("100.00")  # text stays text


@pytest.mark.parametrize(
    ("source", "construct"),
    [
        ("{% for i in range(10**9) %}x{% endfor %}", "loops"),
        ("{% include 'x' %}", "{% include %}"),
        ("{% import 'x' as y %}", "{% import %}"),
        ("{% from 'x' import y %}", "{% import %}"),
        ("{% extends 'x' %}", "{% extends %}"),
        ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "macros"),
        ("{% set x = 1 %}", "{% set %}"),
        ("{{ 'x' * 1000000000 }}", "arithmetic"),
        ("{{ amount | center(1000000000) }}", "the filter 'center'"),
        ("{{ amount | truncate(1000000000) }}", "above 2000"),
        ("{{ lipsum() }}", "calls"),
        ("{{ range }}", "'range'"),
        ("{% if 3 is divisibleby(0) %}x{% endif %}", "cannot render: ZeroDivisionError"),
        ("x" * 2001, "longer than 2000"),
    ],
)
def test_templates_that_could_loop_recurse_or_grow_are_refused(source: str, construct: str) -> None:
    with pytest.raises(
        TemplateRefused, match=construct.replace("{", r"\{").replace("}", r"\}").replace("'", "'")
    ):
        render(source, {"amount": "5,00"})
    text, note = render_text("accrued", "en", source, {"amount": "5,00", "balance": "5,00"})
    assert text.startswith("You earned 5,00 bonuses.") and note and construct in note  # ours is sent instead


def test_a_template_renders_values_conditions_and_safe_filters() -> None:
    source = (
        "{{ amount | upper }}{% if expires %} until {{ expires }}{% else %} for ever{% endif %}"
        " {{ client.name | default('friend') }}"
    )
    assert render(source, {"amount": "5,00", "expires": ""}) == "5,00 for ever friend"


def test_a_template_that_renders_too_much_is_refused() -> None:
    with pytest.raises(TemplateRefused, match="renders longer than 2000 characters"):
        render("{{ amount }}" * 10, {"amount": "x" * 300})
