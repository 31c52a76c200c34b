"""The one store of product rows (deals, smart invoices, smart processes) behind both method families.

``crm.deal.productrows.*`` (methods_crm.py) and ``crm.item.productrow.*`` (methods_products.py) read
and write the same rows in ``portal.rows``; the owner's amount is recomputed from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tests.emulator import rowcalc
from tests.emulator.protocol import B24Error

if TYPE_CHECKING:
    from tests.emulator.portal import Portal

SMART_PROCESS_CODE = re.compile(r"T([0-9a-f]+)")  # data-types.md#object_type: T + lower-case hex


@dataclass(frozen=True)
class Owner:
    """The CRM object product rows belong to: a deal (upper-case store) or an item (camelCase store)."""

    code: str
    owner_id: int
    record: dict[str, Any]

    @property
    def is_deal(self) -> bool:
        return self.code == "D"


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in ("y", "true", "1")


def _smart_process_record(portal: Portal, etid: int, owner_id: int) -> dict[str, Any]:
    info = next((t for t in portal.types.values() if int(t["entityTypeId"]) == etid), None)
    # crm-item-add.md: opportunity and products exist only when isLinkWithProductsEnabled is on.
    if info is None or not _flag(info.get("isLinkWithProductsEnabled")):
        raise B24Error("ENTITY_TYPE_NOT_SUPPORTED", "Working with this type of objects is not supported")
    record = portal.items.get(etid, {}).get(owner_id)
    if record is None:
        raise B24Error("OWNER_NOT_FOUND", "Owner was not found")
    return record


def resolve_owner(portal: Portal, code: Any, owner_id: Any) -> Owner:
    """``ownerType`` + ``ownerId`` -> the owner; errors as product-rows/crm-item-productrow-add.md."""
    code, number = str(code or ""), _owner_id(owner_id)
    if code == "D":
        record = portal.deals.get(number)
    elif code == "SI":
        record = portal.items[31].get(number)
    elif SMART_PROCESS_CODE.fullmatch(code):
        return Owner(code, number, _smart_process_record(portal, int(code[1:], 16), number))
    elif code in ("L", "Q"):  # rows exist there on a portal, but the emulator has no leads or quotes
        record = None
    else:  # contacts, companies, old invoices (index.md: "do not work with old invoices"), junk
        raise B24Error("ENTITY_TYPE_NOT_SUPPORTED", "Working with this type of objects is not supported")
    if record is None:
        raise B24Error("OWNER_NOT_FOUND", "Owner was not found")
    return Owner(code, number, record)


def _owner_id(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError as exc:
        raise B24Error("INVALID_ARG_VALUE", "Invalid value for field 'ownerId'") from exc


def owner_of(portal: Portal, row: dict[str, Any]) -> Owner | None:
    """The row's owner, or None once the owner is gone (its rows went with it)."""
    try:
        return resolve_owner(portal, row["ownerType"], row["ownerId"])
    except B24Error:
        return None


def rows_of(portal: Portal, owner: Owner) -> list[dict[str, Any]]:
    rows = [
        r for r in portal.rows.values() if r["ownerType"] == owner.code and r["ownerId"] == owner.owner_id
    ]
    return sorted(rows, key=lambda r: (r["sort"], r["id"]))


def _catalog_defaults(portal: Portal, row: dict[str, Any], strict: bool) -> None:
    """productName and measure from the catalog product (index.md "Product Catalog")."""
    product = portal.catalog.products.get(row["productId"]) if row["productId"] else None
    if row["productId"] and product is None and strict:
        # Undocumented; a row naming a product the catalog does not have is refused (stricter).
        raise B24Error("INVALID_ARG_VALUE", f"Product {row['productId']} is not in the catalog")
    if product is not None and not row.get("productName"):
        row["productName"] = product["name"]
    if row.get("measureCode") is None:
        measure = (
            portal.catalog.measures.get(product["measure"]) if product and product.get("measure") else None
        )
        row["measureCode"] = (measure or portal.catalog.default_measure())["code"]
    measure = portal.catalog.measure_by_code(row["measureCode"])
    if measure is None and strict:  # undocumented; an unknown unit code is refused (stricter)
        raise B24Error("INVALID_ARG_VALUE", f"Unit of measure {row['measureCode']} is not in the catalog")
    row["measureName"] = measure["symbol"] if measure else ""
    row["type"] = int(product["type"]) if product else 1


def build_row(portal: Portal, owner: Owner, fields: dict[str, Any], strict: bool) -> dict[str, Any]:
    row = {**rowcalc.DEFAULTS, "measureCode": None, **{k: v for k, v in fields.items() if v is not None}}
    row.update(
        id=portal.seq.next("productrow"),
        ownerId=owner.owner_id,
        ownerType=owner.code,
        customized="Y",
        xmlId="",
    )
    _catalog_defaults(portal, row, strict)
    rowcalc.derive(row)
    return row


def recalculate(owner: Owner, rows: list[dict[str, Any]]) -> None:
    """The owner's amount = sum of price x quantity, unless its amount is manual.

    [inferred] crm-item-add.md: isManualOpportunity "Y — manual, N — automatic", default N; the
    product-rows index says the CRM "calculates the total amount ... based on this data". So with N
    the amount follows the rows (price already includes discount and tax); with Y it is left alone.
    """
    manual = owner.record.get("IS_MANUAL_OPPORTUNITY" if owner.is_deal else "isManualOpportunity")
    if _flag(manual):
        return
    total = rowcalc.cents(sum((r["price"] * r["quantity"] for r in rows), Decimal(0)))
    if owner.is_deal:
        owner.record["OPPORTUNITY"] = f"{total:.2f}"
    else:
        owner.record["opportunity"] = rowcalc.number(total)


def replace_rows(
    portal: Portal, owner: Owner, rows: list[dict[str, Any]], strict: bool
) -> list[dict[str, Any]]:
    """``set``: the owner's rows become exactly these (all validated before anything changes)."""
    built = [build_row(portal, owner, fields, strict) for fields in rows]
    for old in rows_of(portal, owner):
        del portal.rows[old["id"]]
    for row in built:
        portal.rows[row["id"]] = row
    recalculate(owner, built)
    return built


def add_row(portal: Portal, owner: Owner, fields: dict[str, Any]) -> dict[str, Any]:
    row = build_row(portal, owner, fields, strict=True)
    portal.rows[row["id"]] = row
    recalculate(owner, rows_of(portal, owner))
    return row


def update_row(portal: Portal, row: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    owner = owner_of(portal, row)
    if owner is None:
        raise B24Error("NOT_FOUND", "Item not found")
    changed = {**row, **{k: v for k, v in fields.items()}}
    if "productId" in fields and "productName" not in fields:
        changed["productName"] = ""  # a new product brings its own name from the catalog
    if "productId" in fields and "measureCode" not in fields:
        changed["measureCode"] = None
    _catalog_defaults(portal, changed, strict=True)
    rowcalc.derive(changed)
    row.update(changed)
    recalculate(owner, rows_of(portal, owner))
    return row


def delete_row(portal: Portal, row: dict[str, Any]) -> None:
    owner = owner_of(portal, row)
    if owner is None:
        raise B24Error("NOT_FOUND", "Item not found")
    del portal.rows[row["id"]]
    recalculate(owner, rows_of(portal, owner))


def drop_rows(portal: Portal, code: str, owner_id: int) -> None:
    """The owner was deleted: its rows go with it."""
    for row_id in [
        r["id"] for r in portal.rows.values() if r["ownerType"] == code and r["ownerId"] == owner_id
    ]:
        del portal.rows[row_id]
