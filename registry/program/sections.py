"""The program document's sections beyond settings and rules, parsed and cross-checked together.

A new section adds its default to ``SECTION_DEFAULTS``, a field to ``Sections`` (and the same
field to ``document.Program``) and its parsing to ``parse_sections``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from registry.program.approvals import Definition, parse_approvals
from registry.program.campaigns import Campaign, parse_campaigns
from registry.program.events import CustomerEvent, parse_events
from registry.program.groups import Group, parse_groups
from registry.program.offers import (
    check_entities,
    check_groups,
    parse_bundle,
    parse_legal_entities,
    parse_list,
    parse_offer,
)
from registry.program.tiers import Tiers, parse_tiers

SECTION_DEFAULTS: dict[str, Any] = {
    "approvals": [],  # definitions of requests that need approval (registry.program.approvals)
    "groups": [],  # customer groups (registry.program.groups)
    "campaigns": [],  # date-triggered awards (registry.program.campaigns)
    "offers": [],  # registry.program.offers: awards on top of the rules, per item or per purchase
    "bundles": [],  # free units or a cash credit when one row reaches a trigger quantity
    "legal_entities": {"default": None, "companies": [], "from_deal": False},  # who owes what is awarded
    "events": [],  # customer events that earn through the API (registry.program.events)
    "tiers": None,  # client levels by won total (registry.program.tiers)
}


@dataclass(frozen=True)
class Sections:
    """The parsed sections; each field has the same name as the ``Program`` field it fills."""

    approvals: tuple[Definition, ...]
    groups: tuple[Group, ...]
    campaigns: tuple[Campaign, ...]
    offers: tuple[dict[str, Any], ...]
    bundles: tuple[dict[str, Any], ...]
    legal_entities: dict[str, Any]
    events: tuple[CustomerEvent, ...]
    tiers: Tiers | None

    def program_fields(self) -> dict[str, Any]:
        """The sections as ``Program`` keyword arguments (shallow: the parsed values themselves)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def parse_sections(doc: dict[str, Any]) -> Sections:
    """Parse the sections of a document merged with the defaults; ``RuleError`` names the JSON path.

    The order is the order errors are found in: the first section in error is the one reported.
    """
    approvals = parse_approvals(doc["approvals"])
    groups = parse_groups(doc["groups"])
    campaigns = parse_campaigns(doc["campaigns"], groups)
    offers = parse_list(doc["offers"], "offers", parse_offer)
    bundles = parse_list(doc["bundles"], "bundles", parse_bundle)
    check_groups({g.code for g in groups}, offers, bundles)
    legal = parse_legal_entities(doc["legal_entities"])
    check_entities(legal, offers, bundles)
    events = parse_events(doc["events"])
    tiers = parse_tiers(doc["tiers"])
    return Sections(approvals, groups, campaigns, offers, bundles, legal, events, tiers)
