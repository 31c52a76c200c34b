"""The tamper guard's comparison: values as the portal answers them (numbers as text, dates with a
time, ids as strings) equal the ledger's; the title and a stage we still owe are not differences."""

from __future__ import annotations

from decimal import Decimal

from registry.bonuses.guard import differences

EXPECTED = {
    "title": "Начисление по сделке 7",
    "contactId": 5,
    "stageId": "DT1036_9:PREPARATION",
    "UF_CRM_3_AMOUNT": Decimal("100.00"),
    "UF_CRM_3_EXPIRES_AT": "2027-01-01",
    "UF_CRM_3_REASON": "",
}
AS_READ = {
    "title": "Accrual for deal 7",  # another language: not a fact of the ledger
    "contactId": "5",
    "stageId": "DT1036_9:PREPARATION",
    "UF_CRM_3_AMOUNT": "100",
    "UF_CRM_3_EXPIRES_AT": "2027-01-01T00:00:00+03:00",
    "UF_CRM_3_REASON": None,
}


def test_values_as_the_portal_answers_them_are_the_ledgers() -> None:
    assert differences(AS_READ, EXPECTED, stage_owed=False) == []


def test_an_edited_amount_date_client_or_stage_is_a_difference() -> None:
    edited = {
        **AS_READ,
        "UF_CRM_3_AMOUNT": "99999",
        "UF_CRM_3_EXPIRES_AT": "2030-01-01T00:00:00+03:00",
        "contactId": "6",
        "stageId": "DT1036_9:SUCCESS",
    }
    assert differences(edited, EXPECTED, stage_owed=False) == [
        "contactId",
        "stageId",
        "UF_CRM_3_AMOUNT",
        "UF_CRM_3_EXPIRES_AT",
    ]


def test_a_stage_move_we_still_owe_is_not_a_difference() -> None:
    behind = {**AS_READ, "stageId": "DT1036_9:NEW"}
    assert differences(behind, EXPECTED, stage_owed=True) == []
    assert differences({**behind, "UF_CRM_3_REASON": "typed"}, EXPECTED, stage_owed=True) == [
        "UF_CRM_3_REASON"
    ]
