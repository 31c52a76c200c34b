"""What a wave cost and whether it was done exactly once, read from outside the app.

Requests per portal come from the emulator's request log (a batch is one HTTP request; a
``QUERY_LIMIT_EXCEEDED`` answer is one too). Exactly once is read from the database and the
portal: every won deal has one accrual entry in the ledger, and every such entry one registry
item on the portal (``xmlId`` = ``entry:{id}``). A deal or entry seen twice is a duplicate, one
never seen is missing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from b24app.models import Portal as PortalRow
from bench.fleet import Fleet
from bench.waves import Share, Wave
from registry.ledger.models import LedgerEntry
from tests.emulator.observe import CallRecord
from tests.emulator.portal import Portal

LIMIT_EXCEEDED = "QUERY_LIMIT_EXCEEDED"


@dataclass(frozen=True)
class PortalRequests:
    requests: int  # HTTP requests to the portal's REST API
    limit_exceeded: int  # of them answered QUERY_LIMIT_EXCEEDED


def requests_by_portal(records: list[CallRecord]) -> dict[str, PortalRequests]:
    """HTTP requests (not the commands inside batches) per ``member_id``."""
    sent: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    for record in records:
        if record.via_batch is not None or record.member_id is None:
            continue
        sent[record.member_id] += 1
        if record.error == LIMIT_EXCEEDED:
            refused[record.member_id] += 1
    return {member: PortalRequests(sent[member], refused[member]) for member in sent}


@dataclass(frozen=True)
class ExactlyOnce:
    deals: int
    duplicate_accruals: int  # accrual entries beyond the first, over all deals
    missing_accruals: int  # won deals without an accrual entry
    duplicate_items: int  # registry items beyond the first, over all accrual entries
    missing_items: int  # accrual entries without a registry item on the portal

    @property
    def exact(self) -> bool:
        return not (
            self.duplicate_accruals or self.missing_accruals or self.duplicate_items or self.missing_items
        )


def exactly_once(database_url: str, shares: list[Share]) -> ExactlyOnce:
    """Count accrual entries per won deal and registry items per accrual entry."""
    entries = _accrual_entries(database_url)
    dup_accruals = missing_accruals = dup_items = missing_items = 0
    for share in shares:
        per_deal = entries.get(share.portal.member_id, {})
        items = _items_by_xml_id(share.portal)
        for deal_id in share.deal_ids:
            found = per_deal.get(deal_id, [])
            missing_accruals += not found
            dup_accruals += max(0, len(found) - 1)
            for entry_id in found:
                mirrored = items[f"entry:{entry_id}"]
                missing_items += not mirrored
                dup_items += max(0, mirrored - 1)
    deals = sum(len(share.deal_ids) for share in shares)
    return ExactlyOnce(deals, dup_accruals, missing_accruals, dup_items, missing_items)


def _accrual_entries(database_url: str) -> dict[str, dict[int, list[int]]]:
    """Accrual entry ids by ``member_id`` and deal id."""
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(PortalRow.member_id, LedgerEntry.deal_id, LedgerEntry.id)
                .join(PortalRow, PortalRow.id == LedgerEntry.portal_id)
                .where(LedgerEntry.kind == "accrual")
            ).all()
    finally:
        engine.dispose()
    found: dict[str, dict[int, list[int]]] = {}
    for member_id, deal_id, entry_id in rows:
        if deal_id is not None:
            found.setdefault(member_id, {}).setdefault(deal_id, []).append(entry_id)
    return found


def _items_by_xml_id(portal: Portal) -> Counter[str]:
    counted: Counter[str] = Counter()
    for store in list(portal.items.values()):
        for item in list(store.values()):
            if item.get("xmlId"):
                counted[str(item["xmlId"])] += 1
    return counted


def wave_figures(fleet: Fleet, wave: Wave, wall: float) -> dict[str, Any]:
    """A finished wave's figures; the slowest portal's minimum alone is ``(requests − burst) / drain``."""
    profile = fleet.emu.limiter.basic
    sent = requests_by_portal(fleet.emu.requests.calls())
    slowest = max(wave.shares, key=lambda share: share.finished_s or 0.0)
    slowest_requests = sent.get(slowest.portal.member_id, PortalRequests(0, 0)).requests
    alone = max(0.0, slowest_requests - profile.burst) / profile.drain
    total = sum(r.requests for r in sent.values())
    audit = exactly_once(fleet.url, wave.shares)
    return {
        "portals": len(wave.shares),
        "deals": wave.deals,
        "burst": profile.burst,
        "events_delivered_s": wave.delivered_s,
        "wall_s": wall,
        "finish_s": sorted(share.finished_s or 0.0 for share in wave.shares),
        "slowest_requests": slowest_requests,
        "slowest_alone_minimum_s": round(alone, 2),
        "wall_vs_alone": round(wall / alone, 3) if alone else None,
        "requests": total,
        "requests_per_deal": round(total / wave.deals, 3),
        "query_limit_exceeded": sum(r.limit_exceeded for r in sent.values()),
        "exactly_once": {**asdict(audit), "exact": audit.exact},
        "emulator_internal_errors": fleet.emu.stats().internal_errors,
    }
