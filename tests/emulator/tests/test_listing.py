"""The typed list filter behind crm.item.list and the other newer list methods (crm-item-list.md)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator import listing
from tests.emulator.protocol import B24Error

TYPES = {
    "id": "integer",
    "name": "string",
    "amount": "double",
    "birthdate": "date",
    "updatedTime": "datetime",
    "flag": "uf_boolean",
    "ids": "integer[]",
}
ROWS = [
    {
        "id": 1,
        "name": "Molly",
        "amount": "10.50",
        "birthdate": "1990-05-17",
        "updatedTime": "2024-01-02T10:00:00+00:00",
        "flag": "Y",
        "ids": [1, 2],
    },
    {
        "id": 2,
        "name": "Tom",
        "amount": 9,
        "birthdate": "1985-05-17T00:00:00+00:00",
        "updatedTime": "2024-01-03T12:00:00+03:00",
        "flag": "N",
        "ids": [3],
    },
    {"id": 10, "name": None, "amount": None, "birthdate": None, "updatedTime": None, "flag": None, "ids": []},
]


def _ids(filter_: dict[str, Any]) -> list[int]:
    return [r["id"] for r in ROWS if listing.matches(r, filter_, TYPES)]


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ({">id": 1}, [2, 10]),
        ({">id": "2"}, [10]),  # numbers compare as numbers, not as text ("10" < "2")
        ({">=amount": 10}, [1]),
        ({"<amount": "10.5"}, [2]),
        ({"@id": [1, 10]}, [1, 10]),
        ({"!@id": [1, 10]}, [2]),
        ({"=name": "Tom"}, [2]),
        ({"name": "Tom"}, [2]),
        ({"!name": "Tom"}, [1, 10]),
        ({"!=name": "Tom"}, [1, 10]),
        ({"%name": "oll"}, [1]),
        ({"=%name": "mol%"}, [1]),
        ({"%=name": "%m"}, [2]),
        ({"!%name": "o"}, [10]),
        ({"!=%name": "mol%"}, [2, 10]),
        ({"!%=name": "%m"}, [1, 10]),
        ({"@birthdate": ["1990-05-17", "1985-05-17"]}, [1, 2]),
        ({">=updatedTime": "2024-01-03T10:00:00+01:00"}, [2]),
        ({"<=updatedTime": "2024-01-02"}, []),
        ({"flag": 1}, [1]),
        ({"flag": 0}, [2]),
        ({"ids": 2}, [1]),
        ({"logic": "OR", "0": {"name": "Tom"}, "1": {">id": 5}}, [2, 10]),
        ({"0": {"logic": "OR", "a": {"id": 1}, "b": {"id": 2}}, "name": "Tom"}, [2]),
    ],
)
def test_operators_compare_by_the_fields_type(filter_: dict[str, Any], expected: list[int]) -> None:
    assert _ids(filter_) == expected


@pytest.mark.parametrize(
    "filter_",
    [{"unknown": 1}, {">id": "many"}, {">=updatedTime": "soon"}, {"flag": "Y"}, {"@birthdate": ["17.05."]}],
)
def test_unknown_fields_and_unparsable_values_are_refused(filter_: dict[str, Any]) -> None:
    with pytest.raises(B24Error) as refused:
        listing.page(ROWS, {"filter": filter_}, TYPES, result_key=None)
    assert refused.value.code == "INVALID_ARG_VALUE"


def test_orders_sort_by_type_and_empty_values_first() -> None:
    page = listing.page([dict(r) for r in ROWS], {"order": {"amount": "desc"}}, TYPES, result_key="items")
    assert [r["id"] for r in page.result["items"]] == [1, 2, 10]
    assert (page.total, page.next) == (3, None)
