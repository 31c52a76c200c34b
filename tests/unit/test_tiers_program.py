"""The program's ``tiers`` section: validated with the field named; levels by won total."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from registry.program.document import ProgramError, parse
from registry.program.tiers import Level, priced

LEVELS = [
    {"code": "base", "from": 0, "percent": 5},
    {"code": "gold", "name": "Gold", "from": "1000.50", "percent": 7.5},
]


def _tiers(**changes: Any) -> dict[str, Any]:
    return {"tiers": {"basis": "won_total", "levels": LEVELS, **changes}}


def test_levels_are_parsed_with_decimals_and_found_by_won_total() -> None:
    tiers = parse(_tiers()).tiers
    assert tiers is not None and not tiers.rolling
    assert tiers.levels[1] == Level("gold", "Gold", Decimal("1000.50"), Decimal("7.5"))
    assert tiers.level_for(Decimal("1000.49")).code == "base"  # type: ignore[union-attr]
    assert tiers.level_for(Decimal("1000.50")).code == "gold"  # type: ignore[union-attr]
    assert parse({}).tiers is None and parse({"tiers": None}).tiers is None


@pytest.mark.parametrize(
    ("tiers", "path", "words"),
    [
        ({"basis": "won", "levels": LEVELS}, "$.tiers.basis", "won_total, won_total_12m"),
        ({"levels": []}, "$.tiers.levels", "1 to 20"),
        ({"levels": [LEVELS[1], LEVELS[0]]}, "$.tiers.levels[1].from", "greater than the previous"),
        ({"levels": [LEVELS[0], {**LEVELS[1], "code": "base"}]}, "$.tiers.levels[1].code", "repeats"),
        ({"levels": [{**LEVELS[0], "percent": 101}]}, "$.tiers.levels[0].percent", "from 0 to 100"),
        ({"levels": [{**LEVELS[0], "percent": "x"}]}, "$.tiers.levels[0].percent", "must be a number"),
        ({"levels": [{**LEVELS[0], "from": -1}]}, "$.tiers.levels[0].from", "non-negative"),
        ({"levels": [{**LEVELS[0], "from": "1e30"}]}, "$.tiers.levels[0].from", "12 integer digits"),
        ({"levels": [{"from": 0, "percent": 5}]}, "$.tiers.levels[0].code", "letters"),
        ({"levels": [{**LEVELS[0], "colour": "red"}]}, "$.tiers.levels[0].colour", "not a level setting"),
        ({"levels": LEVELS, "field": "BALANCE"}, "$.tiers.field", "UF_CRM_BONUS_LEVEL"),
        ([], "$.tiers", "must be an object"),
    ],
)
def test_bad_tiers_name_the_field(tiers: Any, path: str, words: str) -> None:
    with pytest.raises(ProgramError) as caught:
        parse({"tiers": tiers})
    assert caught.value.path == path and words in str(caught.value)


def test_a_level_prices_percent_rules_only() -> None:
    gold = Level("gold", "Gold", Decimal("1000"), Decimal("7.5"))
    assert priced({"kind": "percent", "percent": "5"}, gold)["percent"] == "7.5"
    assert priced({"kind": "formula", "formula": "amount"}, gold) == {"kind": "formula", "formula": "amount"}
    assert priced({"kind": "percent", "percent": "5"}, None)["percent"] == "5"
