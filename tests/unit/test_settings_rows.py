"""The settings forms of the program's lists: a document shown in the forms and posted back unchanged
is the same program; blank and removed rows are left out; errors name the row's field."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from handlers.settings_base import FieldProblem
from handlers.settings_rows import Kind
from handlers.settings_sections import SECTIONS, apply_all, field_of
from registry.program.document import DEFAULT_DOCUMENT, ProgramError, parse

DOCUMENT: dict[str, Any] = {
    **DEFAULT_DOCUMENT,
    "groups": [
        {"code": "vip", "name": "VIP", "by": "customer", "clients": ["contact:5", "company:7"]},
        {"code": "shop", "name": "Shop", "by": "shop", "companies": [3, 4]},
    ],
    "campaigns": [
        {
            "code": "bday",
            "name": "Birthday",
            "active": False,
            "trigger": {"kind": "date", "field": "BIRTHDATE", "days_before": 3},
            "segment": {"clients": "both", "groups": ["vip"], "filter": {"TYPE_ID": ["CLIENT", "VIP"]}},
            "award": {"points": "150.5", "lifetime_days": 30, "legal_entity": 9, "description": "Gift"},
            "notify": "sms",
        }
    ],
    "approvals": [
        {
            "code": "disc",
            "name": "Discount",
            "kind": "discount_percent",
            "range": {"min": 1, "max": 15},
            "valid_from": "2026-01-01",
            "per_year_count": 2,
            "products": {"ids": [10, 11], "sections": [4]},
            "segment": [{"field": "CATEGORY_ID", "op": "=", "value": "0"}],
            "approval": {"mode": "manual", "approvers": [1], "departments": [2]},
            "auto_condition": [{"field": "UF_CRM_DONE", "op": ">", "other": "UF_CRM_DUE"}],
        }
    ],
    "offers": [
        {
            "code": "o1",
            "basis": "per_item",
            "products": {"ids": [10]},
            "percent": "5",
            "spend": "instant",
            "valid_to": "2027-01-01",
            "segment": {"clients": "contacts", "groups": ["vip"]},
        }
    ],
    "bundles": [
        {
            "code": "b1",
            "product": {"sections": [4]},
            "unit": "week",
            "trigger_quantity": "4",
            "reward_quantity": "1",
            "type": "ontime_only",
            "groups": ["shop"],
        }
    ],
    "events": [{"code": "review", "name": "Review", "points": "50", "per_client_max": 1}],
    "legal_entities": {"default": 9, "companies": [9, 12], "from_deal": True},
}


def _form(doc: dict[str, Any]) -> dict[str, str]:
    """What the page posts back untouched: every section's shown values under their field names."""
    form: dict[str, str] = {}
    for section in SECTIONS:
        data = section.fields(doc)
        if "spec" not in data:
            continue
        spec = data["spec"]
        for i, row in enumerate(data["rows"]):
            for f in spec.fields:
                value = row[f.slug]
                if f.kind is not Kind.FLAG:
                    form[spec.name(i, f)] = str(value)
                elif value:
                    form[spec.name(i, f)] = "1"
    return form


def _apply(form: dict[str, str]) -> dict[str, Any]:
    """The other sections' fields (rules, lifetime, …) as the defaults, then every section applied."""
    scalars = {key: str(value) for key, value in DEFAULT_DOCUMENT.items() if isinstance(value, int | str)}
    rule = {f"rules-0-{key}": str(value) for key, value in DEFAULT_DOCUMENT["rules"][0].items()}
    return apply_all(scalars | rule | form, {**DEFAULT_DOCUMENT})


def test_a_document_shown_and_posted_back_is_the_same_program() -> None:
    again = _apply(_form(DOCUMENT))
    # The same program; its raw document differs only in how numbers are written ("1" for 1).
    assert replace(parse(again), document={}) == replace(parse(DOCUMENT), document={})
    assert again["campaigns"][0]["active"] is False and again["legal_entities"]["from_deal"] is True


def test_a_new_row_adds_an_object_and_a_removed_row_is_left_out() -> None:
    form = _form(DOCUMENT) | {"events-0-remove": "1", "events-1-code": "ref", "events-1-points": "20"}
    form |= {"events-1-referred_points": "10"}
    events = parse(_apply(form)).events
    assert [(e.code, str(e.points), str(e.referred_points)) for e in events] == [("ref", "20.00", "10.00")]


def test_a_program_error_names_the_field_of_the_posted_row() -> None:
    form = _form(DOCUMENT) | {"events-0-remove": "1", "events-1-code": "ref", "events-1-points": "x1"}
    with pytest.raises(FieldProblem) as problem:
        _apply(form)
    assert problem.value.field == "events-1-points"
    form = _form(DOCUMENT) | {"campaigns-0-segment-groups": "vip, nobody"}
    with pytest.raises(ProgramError) as error:
        parse(_apply(form))
    assert field_of(error.value.path, str(error.value), form) == "campaigns-0-segment-groups"
    form = _form(DOCUMENT) | {"approvals-0-range-max": "0"}
    with pytest.raises(ProgramError) as error:
        parse(_apply(form))
    assert field_of(error.value.path, str(error.value), form) == "approvals-0-range-min"
    assert field_of("$.legal_entities.default", "", form) == "legal_entities-0-default"


def test_a_row_with_values_but_no_code_is_refused_not_dropped() -> None:
    with pytest.raises(FieldProblem) as problem:
        _apply(_form(DOCUMENT) | {"events-1-points": "20"})
    assert problem.value.field == "events-1-code"
    with pytest.raises(FieldProblem) as problem:
        _apply(_form(DOCUMENT) | {"events-0-code": ""})  # cleared, the rest still there
    assert problem.value.field == "events-0-code"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("approvals-0-segment", "CATEGORY_ID ~ 0"),
        ("campaigns-0-segment-filter", "TYPE_ID"),
        ("groups-1-companies", "3, x"),
        ("offers-0-spend", "later"),
        ("events-0-per_client_max", "1.5"),
    ],
)
def test_a_malformed_value_is_refused_naming_its_field(field: str, value: str) -> None:
    with pytest.raises(FieldProblem) as problem:
        _apply(_form(DOCUMENT) | {field: value})
    assert problem.value.field == field
