"""Campaign documents, triggers and segments: validation with the JSON path, yearly occurrences
(29 February on 28 February in common years, days_before), registration days in the portal's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from registry.bonuses.audience import ClientRecord
from registry.bonuses.segments import fires, in_segment, occurrence, yearly
from registry.program.campaigns import Segment, Trigger
from registry.program.document import ProgramError, parse
from registry.program.groups import Group

MOSCOW = timezone(timedelta(hours=3))
CAMPAIGN = {
    "code": "bd",
    "trigger": {"kind": "date", "field": "BIRTHDATE"},
    "award": {"points": 100, "lifetime_days": 30},
}


def _client(**fields: Any) -> ClientRecord:
    values = {"client_type": "contact", "client_id": 1, "company_ids": [], "uf": {}, **fields}
    return ClientRecord(**values)


def test_29_february_is_celebrated_on_28_february_in_common_years() -> None:
    leap = _client(birthdate=date(2000, 2, 29))
    birthday = Trigger("date", "BIRTHDATE")
    assert occurrence(birthday, leap, date(2027, 2, 28), UTC) == date(2027, 2, 28)
    assert occurrence(birthday, leap, date(2027, 3, 1), UTC) is None
    assert occurrence(birthday, leap, date(2028, 2, 28), UTC) is None  # a leap year has the day itself
    assert occurrence(birthday, leap, date(2028, 2, 29), UTC) == date(2028, 2, 29)
    assert yearly(date(2000, 2, 29), 2027) == date(2027, 2, 28)


def test_days_before_and_the_birth_year_itself() -> None:
    ann = _client(birthdate=date(1990, 6, 10))
    assert occurrence(Trigger("date", "BIRTHDATE", 3), ann, date(2026, 6, 7), UTC) == date(2026, 6, 10)
    assert occurrence(Trigger("date", "BIRTHDATE", 3), ann, date(2026, 6, 10), UTC) is None
    newborn = _client(birthdate=date(2026, 6, 10))
    assert occurrence(Trigger("date", "BIRTHDATE"), newborn, date(2026, 6, 10), UTC) is None


def test_created_and_registration_days_are_portal_days() -> None:
    # 22:30 UTC on 31 May is already 1 June in Moscow: registered on 1 June there.
    late = _client(created_time=datetime(2025, 5, 31, 22, 30, tzinfo=UTC))
    anniversary = Trigger("date", "created")
    assert occurrence(anniversary, late, date(2026, 6, 1), MOSCOW) == date(2026, 6, 1)
    assert occurrence(anniversary, late, date(2026, 5, 31), UTC) == date(2026, 5, 31)
    year = Segment(registered_days_min=365)
    assert in_segment(year, late, date(2026, 6, 1), MOSCOW, [])
    assert not in_segment(year, late, date(2026, 5, 31), MOSCOW, [])


def test_segment_filters_types_and_groups() -> None:
    shop = Group("shop", "Shop", "shop", companies=frozenset({9}))
    vip = Group("vip", "VIP", "customer", clients=frozenset({("company", 4)}))
    linked = _client(company_ids=[9], type_id="CLIENT", uf={"UF_CRM_TIER": "gold"})
    day = date(2026, 1, 1)
    assert in_segment(Segment(groups=("shop",)), linked, day, UTC, [shop, vip])
    assert not in_segment(Segment(groups=("vip",)), linked, day, UTC, [shop, vip])
    assert in_segment(
        Segment(types=("contact", "company"), groups=("vip",)),
        _client(client_type="company", client_id=4),
        day,
        UTC,
        [vip],
    )
    assert in_segment(
        Segment(filter={"TYPE_ID": ("CLIENT",), "UF_CRM_TIER": ("gold", "silver")}), linked, day, UTC, []
    )
    assert not in_segment(Segment(filter={"UF_CRM_TIER": ("silver",)}), linked, day, UTC, [])
    assert not in_segment(Segment(types=("company",)), linked, day, UTC, [])


def test_once_dated_campaign_fires_on_its_date_only() -> None:
    program = parse({"campaigns": [{**CAMPAIGN, "trigger": {"kind": "once", "date": "2026-03-08"}}]})
    [campaign] = program.campaigns
    anyone = _client()
    assert fires(campaign, anyone, date(2026, 3, 8), UTC, []) == date(2026, 3, 8)
    assert fires(campaign, anyone, date(2026, 3, 9), UTC, []) is None


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"campaigns": [{**CAMPAIGN, "trigger": {"kind": "weekly"}}]}, "$.campaigns[0].trigger.kind"),
        (
            {"campaigns": [{**CAMPAIGN, "trigger": {"kind": "date", "field": "NAME"}}]},
            "$.campaigns[0].trigger.field",
        ),
        (
            {"campaigns": [{**CAMPAIGN, "award": {"points": 0, "lifetime_days": 1}}]},
            "$.campaigns[0].award.points",
        ),
        ({"campaigns": [{**CAMPAIGN, "award": {"points": 5}}]}, "$.campaigns[0].award.lifetime_days"),
        ({"campaigns": [{**CAMPAIGN, "segment": {"groups": ["nope"]}}]}, "$.campaigns[0].segment.groups[0]"),
        ({"campaigns": [{**CAMPAIGN, "segment": {"clients": "leads"}}]}, "$.campaigns[0].segment.clients"),
        ({"campaigns": [CAMPAIGN, CAMPAIGN]}, "$.campaigns[1].code"),
        ({"groups": [{"code": "g", "by": "shop", "companies": []}]}, "$.groups[0].companies"),
        ({"groups": [{"code": "g", "by": "customer", "clients": ["lead:5"]}]}, "$.groups[0].clients[0]"),
        ({"groups": [{"code": "g", "by": "city"}]}, "$.groups[0].by"),
    ],
)
def test_bad_documents_name_the_field(document: dict[str, Any], path: str) -> None:
    with pytest.raises(ProgramError) as caught:
        parse(document)
    assert caught.value.path == path
