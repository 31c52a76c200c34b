"""What a request needs from the portal: the deal, its product rows (``crm.item.productrow.list``),
the catalog sections of their products, and who the approvers are (``department.get`` heads,
``user.get`` members of a department) — reads only, parsed at the edge into ``DealFacts``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from b24app.gateway import BatchResult, Command, PortalClient
from registry.bonuses.deals import owner_of
from registry.bonuses.requests import DealFacts, Row
from registry.program.approvals import Definition
from registry.program.document import Program
from registry.program.values import bounded_id, portal_number
from registry.sync.deals import snapshot_from_deal

ZERO = Decimal("0")


def deal_reads(deal_id: int) -> dict[str, Command]:
    """The deal and its product rows (the first 50: a request's deal is a job, not a catalog)."""
    rows = {"filter": {"=ownerType": "D", "=ownerId": deal_id}}
    return {
        f"d{deal_id}": Command("crm.deal.get", {"id": deal_id}),
        f"p{deal_id}": Command("crm.item.productrow.list", rows),
    }


def _number(value: Any) -> Decimal:
    return portal_number(value) or ZERO


def parse_rows(result: Any, sections: dict[int, int | None]) -> tuple[Row, ...]:
    listed = result.get("productRows") if isinstance(result, dict) else result
    rows = []
    for raw in listed if isinstance(listed, list) else []:
        row_id = bounded_id(raw.get("id")) if isinstance(raw, dict) else None
        if row_id is None:
            continue
        product_id = bounded_id(raw.get("productId")) or 0
        rows.append(
            Row(
                id=row_id,
                product_id=product_id,
                section_id=sections.get(product_id),
                name=str(raw.get("productName") or "")[:200],
                price=_number(raw.get("price")),
                quantity=_number(raw.get("quantity")),
                netto=_number(raw.get("priceNetto")),
                tax_rate=_number(raw.get("taxRate")),
            )
        )
    return tuple(rows)


def product_ids(result: Any) -> set[int]:
    listed = result.get("productRows") if isinstance(result, dict) else None
    rows = listed if isinstance(listed, list) else []
    return {pid for raw in rows if isinstance(raw, dict) and (pid := bounded_id(raw.get("productId")))}


def facts(
    deal_id: int, deal: Any, rows: Any, sections: dict[int, int | None], program: Program, now: datetime
) -> DealFacts:
    """The deal as a request sees it: its client (as the program says), fields and rows."""
    if not isinstance(deal, dict):
        return DealFacts(deal_id, None)
    snapshot = snapshot_from_deal(deal_id, deal, now)
    return DealFacts(deal_id, owner_of(snapshot, program), dict(deal), parse_rows(rows, sections))


def section_reads(ids: Iterable[int]) -> dict[str, Command]:
    return {f"cp{pid}": Command("catalog.product.get", {"id": pid}) for pid in sorted(ids)}


def sections_from(result: BatchResult, ids: Iterable[int]) -> dict[int, int | None]:
    found: dict[int, int | None] = {}
    for pid in ids:
        product = (result.results.get(f"cp{pid}") or {}).get("product")
        found[pid] = bounded_id(product.get("iblockSectionId")) if isinstance(product, dict) else None
    return found


def people_reads(definitions: Iterable[Definition]) -> dict[str, Command]:
    """Heads (``department.get``) and active members (``user.get``) of the approving departments."""
    reads: dict[str, Command] = {}
    for department in sorted({dep for d in definitions for dep in d.departments}):
        reads[f"dep{department}"] = Command("department.get", {"ID": department})
        reads[f"mem{department}"] = Command(
            "user.get", {"FILTER": {"UF_DEPARTMENT": department, "ACTIVE": True}}
        )
    return reads


def approvers_of(definition: Definition, result: BatchResult) -> list[int]:
    """The definition's users, plus each department's head and active members."""
    found = set(definition.approvers)
    for department in definition.departments:
        for head in result.results.get(f"dep{department}") or []:
            if isinstance(head, dict) and (uid := bounded_id(head.get("UF_HEAD"))):
                found.add(uid)
        for user in result.results.get(f"mem{department}") or []:
            if isinstance(user, dict) and (uid := bounded_id(user.get("ID"))):
                found.add(uid)
    return sorted(found)


def read_more(client: PortalClient, reads: dict[str, Command]) -> BatchResult:
    """Second-round reads with the app's own token, 50 to a request."""
    return client.batch_all(reads) if reads else BatchResult()
