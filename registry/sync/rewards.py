"""Bundle rewards on the portal: the free row on the deal, and the credit on the client's latest
unpaid smart invoice (b24-patterns.md §3).

Free units: ``crm.item.productrow.add`` of the bundle's product at price 0 with the list price as
an absolute discount (``discountTypeId`` 1), so the deal shows what was given. A retry first looks
for the row by its product, zero price and name, so a lost answer never adds a twin.

Cash discount: the client's invoices (``crm.item.list``, entityTypeId 31, newest first) and their
pipelines' stages (``crm.status.list``, ``SMART_INVOICE_STAGE_{categoryId}``); the newest one whose
stage is in progress (no S/F semantics) gets the credit spread over its rows by their totals, each
row's unit price lowered by its share (absolute discount added), never below 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from b24app.gateway import PortalCallError, PortalClient
from registry.program.values import bounded_id, portal_number

INVOICE = 31
CENT = Decimal("0.01")
ZERO = Decimal("0")
ROW_FIELDS = ("productId", "productName", "quantity", "taxRate", "taxIncluded", "measureCode", "sort")


@dataclass(frozen=True)
class RewardTask:
    """What the rewards step needs of one ``deal_rewards`` row, read in a short transaction."""

    id: int
    code: str
    deal_id: int
    status: str
    owner: tuple[str, int]
    units: Decimal
    value: Decimal
    product_id: int
    measure_code: int
    unit_price: Decimal
    name: str
    row_id: int | None = None
    invoice_id: int | None = None
    expected_total: Decimal | None = None


@dataclass(frozen=True)
class CreditPlan:
    invoice_id: int
    rows: list[dict[str, Any]]  # the invoice's rows as they will be written
    credited: Decimal
    total_after: Decimal


def row_name(task: RewardTask) -> str:
    return f"{task.name} ({task.code})"[:255]


def add_free_row(client: PortalClient, task: RewardTask) -> int:
    """The free row's id: found from an earlier attempt, else added now."""
    listed = client.call(
        "crm.item.productrow.list", {"filter": {"=ownerType": "D", "=ownerId": task.deal_id}}
    )
    for row in listed.get("productRows", []) if isinstance(listed, Mapping) else []:
        if (
            bounded_id(row.get("productId")) == task.product_id
            and portal_number(row.get("price")) == ZERO
            and row.get("productName") == row_name(task)
        ):
            return int(row["id"])
    fields = {
        "ownerType": "D",
        "ownerId": task.deal_id,
        "productId": task.product_id,
        "productName": row_name(task),
        "price": 0,
        "quantity": str(task.units),
        "discountTypeId": 1,
        "discountSum": str(task.unit_price),
        "measureCode": task.measure_code,
    }
    added = client.call("crm.item.productrow.add", {"fields": fields})
    return int(added["productRow"]["id"])


def remove_free_row(client: PortalClient, task: RewardTask) -> None:
    if task.row_id is None:
        return
    try:
        client.call("crm.item.productrow.delete", {"id": task.row_id})
    except PortalCallError as error:
        if error.code != "NOT_FOUND":  # already gone (by hand, or with the deal): nothing to undo
            raise


def _open_stages(client: PortalClient, categories: set[int]) -> set[str]:
    stages: set[str] = set()
    for category in sorted(categories):
        params = {"filter": {"ENTITY_ID": f"SMART_INVOICE_STAGE_{category}"}}
        for status in client.call("crm.status.list", params) or []:
            if not status.get("SEMANTICS"):  # in progress: neither paid (S) nor failed (F)
                stages.add(str(status["STATUS_ID"]))
    return stages


def latest_unpaid(client: PortalClient, owner: tuple[str, int]) -> Mapping[str, Any] | None:
    """The client's newest smart invoice still in progress (None: every one is paid or failed)."""
    field = "=companyId" if owner[0] == "company" else "=contactId"
    params = {
        "entityTypeId": INVOICE,
        "filter": {field: owner[1]},
        "order": {"id": "DESC"},
        "select": ["id", "stageId", "categoryId", "opportunity"],
    }
    invoices = client.call("crm.item.list", params).get("items", [])
    stages = _open_stages(client, {int(i["categoryId"]) for i in invoices})
    return next((i for i in invoices if str(i.get("stageId")) in stages), None)


def invoice_total(client: PortalClient, invoice_id: int) -> Decimal | None:
    try:
        item = client.call("crm.item.get", {"entityTypeId": INVOICE, "id": invoice_id})["item"]
    except PortalCallError as error:
        if error.code == "NOT_FOUND":
            return None
        raise
    return portal_number(item.get("opportunity"))


def plan_credit(client: PortalClient, task: RewardTask) -> CreditPlan | None:
    """The credit spread over the latest unpaid invoice's rows (None: no unpaid invoice)."""
    invoice = latest_unpaid(client, task.owner)
    if invoice is None:
        return None
    invoice_id = int(invoice["id"])
    listed = client.call("crm.item.productrow.list", {"filter": {"=ownerType": "SI", "=ownerId": invoice_id}})
    rows = listed.get("productRows", []) if isinstance(listed, Mapping) else []
    return spread_credit(invoice_id, rows, task.value)


def spread_credit(invoice_id: int, rows: list[Mapping[str, Any]], credit: Decimal) -> CreditPlan | None:
    """Each row's unit price lowered by its share of the credit (by row totals, cents rounded down)."""
    totals = [
        (portal_number(r.get("price")) or ZERO) * (portal_number(r.get("quantity")) or ZERO) for r in rows
    ]
    base = sum(totals, ZERO)
    if base <= ZERO:
        return None  # nothing on the invoice to reduce: the credit waits for the next one
    credit = min(credit, base)
    written, credited = [], ZERO
    for row, total in zip(rows, totals, strict=True):
        price = portal_number(row.get("price")) or ZERO
        quantity = portal_number(row.get("quantity")) or ZERO
        per_unit = ZERO if quantity <= ZERO else (credit * total / base / quantity).quantize(CENT, ROUND_DOWN)
        per_unit = min(per_unit, price)
        credited += per_unit * quantity
        discount = portal_number(row.get("discountSum")) or ZERO  # per unit, whichever type set it
        written.append(
            {k: row.get(k) for k in ROW_FIELDS}
            | {"price": str(price - per_unit), "discountTypeId": 1, "discountSum": str(discount + per_unit)}
        )
    return CreditPlan(invoice_id, written, credited, base - credited)


def write_credit(client: PortalClient, plan: CreditPlan) -> None:
    client.call(
        "crm.item.productrow.set", {"ownerType": "SI", "ownerId": plan.invoice_id, "productRows": plan.rows}
    )
