"""The program's lists in the settings forms, in a real browser: for each section (campaigns, approval
definitions, groups, offers, bundles, customer events, legal entities) an invalid value is refused
with the message next to its field and no new version; corrected, the row is saved as a new program
version holding what was entered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Frame, expect

from registry.program.document import Program, current_program
from tests.browser.conftest import PortalWindow, program_versions
from tests.harness import AppHarness, portal_id_of

pytestmark = pytest.mark.browser
ADMIN = 1


@dataclass(frozen=True)
class Case:
    section: str
    good: dict[str, str | bool]  # field name -> value (a bool checks or clears a checkbox)
    bad: tuple[str, str, str]  # field, value, a part of the message shown next to it
    saved: Callable[[Program], bool]


CASES = [
    Case(
        "campaigns",
        {"campaigns-0-code": "bday", "campaigns-0-name": "Birthday", "campaigns-0-trigger-kind": "date",
         "campaigns-0-trigger-field": "BIRTHDATE", "campaigns-0-trigger-days_before": "3",
         "campaigns-0-award-points": "150", "campaigns-0-award-lifetime_days": "30",
         "campaigns-0-notify": "sms"},
        ("campaigns-0-trigger-field", "NAME", "BIRTHDATE, created or a date field"),
        lambda p: [(c.code, c.trigger.field, str(c.award.points), c.notify) for c in p.campaigns]
        == [("bday", "BIRTHDATE", "150", "sms")],
    ),
    Case(
        "approvals",
        {"approvals-0-code": "disc", "approvals-0-kind": "discount_percent", "approvals-0-range-min": "1",
         "approvals-0-range-max": "15", "approvals-0-approval-mode": "manual",
         "approvals-0-approval-approvers": "1, 3", "approvals-0-segment": "CATEGORY_ID = 0"},
        ("approvals-0-range-max", "150", "a percent is at most 100"),
        lambda p: [(d.code, str(d.maximum), sorted(d.approvers), d.segment[0].value) for d in p.approvals]
        == [("disc", "15", [1, 3], "0")],
    ),
    Case(
        "groups",
        {"groups-0-code": "shop", "groups-0-name": "Shop", "groups-0-by": "shop",
         "groups-0-companies": "3, 4"},
        ("groups-0-companies", "3, x", "must be whole numbers"),
        lambda p: [(g.code, g.by, sorted(g.companies)) for g in p.groups] == [("shop", "shop", [3, 4])],
    ),
    Case(
        "offers",
        {"offers-0-code": "o1", "offers-0-basis": "per_item", "offers-0-products-ids": "10",
         "offers-0-percent": "5", "offers-0-valid_from": "2026-01-01", "offers-0-valid_to": "2026-12-31"},
        ("offers-0-valid_to", "2025-12-31", "must not be before valid_from"),
        lambda p: [(o["code"], o["basis"], o["products"]["ids"], o["percent"]) for o in p.offers]
        == [("o1", "per_item", [10], "5")],
    ),
    Case(
        "bundles",
        {"bundles-0-code": "b1", "bundles-0-product-ids": "10", "bundles-0-unit": "week",
         "bundles-0-trigger_quantity": "4", "bundles-0-reward_quantity": "1",
         "bundles-0-type": "ontime_only"},
        ("bundles-0-trigger_quantity", "0", "must be greater than 0"),
        lambda p: [(b["code"], b["unit"], b["trigger_quantity"]) for b in p.bundles] == [("b1", "week", "4")],
    ),
    Case(
        "events",
        {"events-0-code": "review", "events-0-name": "Review", "events-0-points": "50",
         "events-0-per_client_max": "2"},
        ("events-0-per_client_max", "0", "must be a whole number from 1"),
        lambda p: [(e.code, str(e.points), e.per_client_max) for e in p.events] == [("review", "50.00", 2)],
    ),
    Case(
        "legal_entities",
        {"legal_entities-0-companies": "9, 12", "legal_entities-0-default": "9",
         "legal_entities-0-from_deal": True},
        ("legal_entities-0-default", "7", "must be one of companies"),
        lambda p: p.legal_entities == {"default": 9, "companies": [9, 12], "from_deal": True},
    ),
]  # fmt: skip


def _fill(frame: Frame, values: dict[str, str | bool]) -> None:
    for name, value in values.items():
        control = frame.locator(f"[name='{name}']")
        kind = control.evaluate("e => e.tagName === 'SELECT' ? 'select' : e.type")
        if kind == "select":
            control.select_option(str(value))
        elif kind == "checkbox":
            control.set_checked(bool(value))
        else:
            control.fill(str(value))


def _saved(frame: Frame, app: AppHarness) -> Program:
    """Save, and wait for the page that shows the new version (the old page has a notice too)."""
    version = program_versions(app) + 1
    frame.locator("#save").click()
    expect(frame.locator(".version-row").first).to_have_attribute("data-version", str(version))
    with app.db.transaction() as session:
        return current_program(session, portal_id_of(app))


@pytest.mark.parametrize("case", CASES, ids=[c.section for c in CASES])
def test_a_list_row_is_refused_naming_its_field_then_saved_as_a_new_version(
    settings_page: Callable[..., tuple[PortalWindow, Frame]],
    app: AppHarness,
    case: Case,
) -> None:
    window, frame = settings_page(ADMIN)
    before = program_versions(app)
    field, value, message = case.bad
    _fill(frame, case.good | {field: value, "channel-accrued-sms": True})
    frame.locator("#save").click()
    expect(frame.locator("#errors")).to_be_visible()
    expect(frame.locator(f"#e-{field}")).to_contain_text(message)
    expect(frame.locator(f"[data-field='{field}']")).to_have_class("field field-error")
    expect(frame.locator(f"#f-{field}")).to_have_value(value)  # what was typed stays, ticked boxes too
    expect(frame.locator("[name='channel-accrued-sms']")).to_be_checked()
    assert program_versions(app) == before
    _fill(frame, {field: str(case.good[field])})
    program = _saved(frame, app)
    assert case.saved(program) and program_versions(app) == before + 1
    expect(frame.locator(f"#section-{case.section}")).to_be_visible()
    window.screenshot(f"settings-{case.section}-en")


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_a_saved_row_is_removed_and_a_second_one_added(
    settings_page: Callable[..., tuple[PortalWindow, Frame]],
    app: AppHarness,
    lang: str,
) -> None:
    window, frame = settings_page(ADMIN, lang)
    _fill(frame, {"events-0-code": "review", "events-0-points": "50"})
    assert [e.code for e in _saved(frame, app).events] == ["review"]
    expect(frame.locator("[data-rows=events]")).to_have_count(2)  # the saved row and a blank one
    _fill(frame, {"events-0-remove": True, "events-1-code": "referral", "events-1-points": "20",
                  "events-1-referred_points": "10"})  # fmt: skip
    program = _saved(frame, app)
    assert [(e.code, str(e.referred_points)) for e in program.events] == [("referral", "10.00")]
    expect(frame.locator("#f-events-0-code")).to_have_value("referral")
    frame.locator("#section-campaigns").scroll_into_view_if_needed()
    window.screenshot(f"settings-lists-{lang}")


def test_a_rows_fields_follow_its_choices(
    settings_page: Callable[..., tuple[PortalWindow, Frame]], app: AppHarness
) -> None:
    """A campaign run once asks for its date, not the client's; approvers only for a manual approval."""
    _, frame = settings_page(ADMIN)
    expect(frame.locator("#f-campaigns-0-trigger-field")).to_be_visible()
    expect(frame.locator("#f-campaigns-0-trigger-date")).to_be_hidden()
    expect(frame.locator("#f-approvals-0-approval-approvers")).to_be_hidden()
    _fill(frame, {"campaigns-0-trigger-kind": "once", "approvals-0-approval-mode": "manual"})
    expect(frame.locator("#f-campaigns-0-trigger-field")).to_be_hidden()
    expect(frame.locator("#f-campaigns-0-trigger-date")).to_be_visible()
    expect(frame.locator("#f-approvals-0-approval-approvers")).to_be_visible()
