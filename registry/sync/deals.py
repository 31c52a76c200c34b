"""Reading deals from the portal: ``crm.deal.get`` (and product rows when a formula needs them)
in shared batches, each answer parsed into a ``DealSnapshot`` at the edge.

Events only say "deal N changed", so the lane never trusts their order: each pending deal is
re-read here and the ledger is made to match what the portal says now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from b24app.gateway import BatchResult, Command, PortalCallError, PortalClient
from registry.program.deal import DealSnapshot, ProductLine, ProductTotals
from registry.program.values import MAX_PORTAL_NUMBER, bounded_id, is_blank, portal_number


def _decimal(value: Any) -> Decimal | None:
    return portal_number(value)


def _int(value: Any) -> int | None:
    # "0" and "" mean "none" on the portal; ids beyond the id columns are treated the same way.
    return bounded_id(value)


def is_not_found(error: PortalCallError) -> bool:
    return error.code == "NOT_FOUND" or "not found" in error.description.lower()


def product_totals(rows: Any) -> ProductTotals | None:
    """Totals of ``crm.deal.productrows.get`` rows (None when they were not read)."""
    if not isinstance(rows, list):
        return None
    total, quantity = Decimal("0"), Decimal("0")
    for row in rows:
        fields = row if isinstance(row, Mapping) else {}
        price, count = (
            _decimal(fields.get("PRICE")) or Decimal("0"),
            _decimal(fields.get("QUANTITY")) or Decimal("0"),
        )
        total += price * count
        quantity += count
    if abs(total) > MAX_PORTAL_NUMBER:
        total = Decimal("0")  # nonsense rows: a formula on products_total gets nothing from them
    return ProductTotals(total.quantize(Decimal("0.01")), quantity, len(rows))


def product_lines(rows: Any) -> tuple[ProductLine, ...] | None:
    """``crm.deal.productrows.get`` rows as lines (None when they were not read); a row whose
    numbers are no sane value is left out (it can match no offer or bundle)."""
    if not isinstance(rows, list):
        return None
    lines: list[ProductLine] = []
    for row in rows:
        fields = row if isinstance(row, Mapping) else {}
        row_id, price, quantity = (
            _int(fields.get("ID")),
            _decimal(fields.get("PRICE")),
            _decimal(fields.get("QUANTITY")),
        )
        if row_id is None or price is None or quantity is None:
            continue
        lines.append(
            ProductLine(
                row_id,
                _int(fields.get("PRODUCT_ID")) or 0,
                str(fields.get("PRODUCT_NAME") or "")[:255],
                price,
                quantity,
                _int(fields.get("MEASURE_CODE")),
                _decimal(fields.get("DISCOUNT_SUM")) or Decimal("0"),
            )
        )
    return tuple(lines)


def snapshot_from_deal(
    deal_id: int, deal: Mapping[str, Any] | None, now: datetime, product_rows: Any = None
) -> DealSnapshot:
    """Our view of a deal from ``crm.deal.get`` (None: the deal is gone)."""
    if deal is None:
        return DealSnapshot(deal_id=deal_id, exists=False, observed_at=now)
    uf = {k: v for k, v in deal.items() if str(k).startswith("UF_")}
    raw_amount = deal.get("OPPORTUNITY")
    amount = _decimal(raw_amount)
    problem = None
    if amount is None and not is_blank(raw_amount):
        problem = f"bad_amount: OPPORTUNITY {str(raw_amount)[:40]!r} is not a number within ±10^15"
    return DealSnapshot(
        deal_id=deal_id,
        exists=True,
        title=str(deal.get("TITLE") or "")[:255],
        stage_semantic=str(deal.get("STAGE_SEMANTIC_ID") or "P"),
        amount=amount or Decimal("0"),
        amount_problem=problem,
        currency=str(deal.get("CURRENCY_ID") or ""),
        category_id=_int(deal.get("CATEGORY_ID")) or 0,
        company_id=_int(deal.get("COMPANY_ID")),
        contact_id=_int(deal.get("CONTACT_ID")),
        manager_percent=_decimal(deal.get("UF_CRM_BONUS_PERCENT")),
        uf=uf,
        assigned_by_id=_int(deal.get("ASSIGNED_BY_ID")),
        observed_at=now,
        products=product_totals(product_rows),
        lines=product_lines(product_rows),
    )


DealAnswer = dict[str, Any]  # what the portal said of one deal: {"deal", "rows", "seller"}, JSON


def snapshot_from_answer(deal_id: int, answer: Mapping[str, Any], observed_at: datetime) -> DealSnapshot:
    """The snapshot of a deal's answer, just read or held since (the same reading either way)."""
    snapshot = snapshot_from_deal(deal_id, answer.get("deal"), observed_at, answer.get("rows"))
    return replace(snapshot, seller_company_id=bounded_id(answer.get("seller")))


@dataclass
class DealReads:
    """What one round of reads found: snapshots of the deals read (and the answers they were read
    from), and why the others failed."""

    snapshots: dict[int, DealSnapshot] = field(default_factory=dict)
    failures: dict[int, str] = field(default_factory=dict)
    answers: dict[int, DealAnswer] = field(default_factory=dict)


def _sellers(client: PortalClient, links: BatchResult, ids: list[int]) -> dict[int, int]:
    """Deal id -> its own company: the link's MC_REQUISITE_ID read with ``crm.requisite.get``
    (api-reference/crm/requisites/links/crm-requisite-link-get.md); a deal with no link has none."""
    requisites: dict[int, int] = {}
    for deal_id in ids:
        link = links.results.get(f"r{deal_id}")
        requisite = bounded_id(link.get("MC_REQUISITE_ID")) if isinstance(link, Mapping) else None
        if requisite is not None:
            requisites[deal_id] = requisite
    if not requisites:
        return {}
    reads = {f"q{r}": Command("crm.requisite.get", {"id": r}) for r in set(requisites.values())}
    found = client.batch_all(reads)
    sellers: dict[int, int] = {}
    for deal_id, requisite in requisites.items():
        fields = found.results.get(f"q{requisite}")
        if isinstance(fields, Mapping) and str(fields.get("ENTITY_TYPE_ID")) == "4":  # a company's
            company = bounded_id(fields.get("ENTITY_ID"))
            if company is not None:
                sellers[deal_id] = company
    return sellers


def read_deals(
    client: PortalClient,
    deal_ids: Iterable[int],
    with_products: bool,
    now: datetime,
    *,
    with_seller: bool = False,
) -> DealReads:
    """Every deal (a deleted one becomes a snapshot that does not exist), 50 reads to a request;
    ``with_seller``: each deal's own company too (its requisite link, in the same batches)."""
    ids = list(deal_ids)
    reads = {f"d{deal_id}": Command("crm.deal.get", {"id": deal_id}) for deal_id in ids}
    if with_products:  # a formula uses product rows: read them in the same batches
        reads.update({f"p{d}": Command("crm.deal.productrows.get", {"id": d}) for d in ids})
    if with_seller:
        link = "crm.requisite.link.get"
        reads.update({f"r{d}": Command(link, {"entityTypeId": 2, "entityId": d}) for d in ids})
    result = client.batch_all(reads)
    limit = result.limited()
    if limit is not None:  # not the deals' fault: the lane waits for the portal's reset
        raise limit
    found = DealReads()
    sellers = _sellers(client, result, ids) if with_seller else {}
    for deal_id in ids:
        label = f"d{deal_id}"
        error = result.errors.get(label)
        if error is not None and not is_not_found(error):
            found.failures[deal_id] = f"{error.code}: {error.description}"
            continue
        answer = {
            "deal": None if error else result.results.get(label),
            "rows": result.results.get(f"p{deal_id}"),
            "seller": sellers.get(deal_id),
        }
        try:
            found.snapshots[deal_id] = snapshot_from_answer(deal_id, answer, now)
            found.answers[deal_id] = answer
        except Exception as exc:  # noqa: BLE001 - an answer we cannot read fails this deal alone
            found.failures[deal_id] = f"{type(exc).__name__}: {exc}"
    return found
