"""The trade catalog: catalog.catalog.list, catalog.section.*, catalog.product.get/list, catalog.measure.*.

Who may call: the docs mark these "administrator" (catalog.product.list: "permission to view the
product catalog"); api-reference/catalog/index.md "Access Permissions": only the administrator by
default, who may grant the permission to other employees. So: an admin, or a user the driver granted
catalog rights (``portal.people.catalog_rights``: "read" or "write"); anyone else gets the access
error code of each method's page.
"""

from __future__ import annotations

from typing import Any

from tests.emulator import listing
from tests.emulator.portal import Portal, now_iso
from tests.emulator.protocol import B24Error, CallContext, Page, method
from tests.emulator.state import OFFER_IBLOCK, PRODUCT_IBLOCK, SKU_PROPERTY

SKU_KEY = f"property{SKU_PROPERTY}"
CATALOG_TYPES = {
    "id": "integer",
    "iblockId": "integer",
    "iblockTypeId": "string",
    "lid": "string",
    "name": "string",
    "productIblockId": "integer",
    "skuPropertyId": "integer",
    "subscription": "string",
    "vatId": "integer",
}
SECTION_TYPES = {
    "id": "integer",
    "iblockId": "integer",
    "iblockSectionId": "integer",
    "name": "string",
    "xmlId": "string",
    "code": "string",
    "sort": "integer",
    "active": "boolean",
    "description": "string",
    "descriptionType": "string",
}
PRODUCT_TYPES = {
    "id": "integer",
    "iblockId": "integer",
    "name": "string",
    "active": "boolean",
    "available": "boolean",
    "code": "string",
    "xmlId": "string",
    "iblockSectionId": "integer",
    "measure": "integer",
    "sort": "integer",
    "type": "integer",
    "vatIncluded": "boolean",
    "createdBy": "integer",
    "modifiedBy": "integer",
    "dateCreate": "datetime",
    "timestampX": "datetime",
    SKU_KEY: "integer",
}
MEASURE_TYPES = {
    "id": "integer",
    "code": "integer",
    "measureTitle": "string",
    "symbol": "string",
    "symbolIntl": "string",
    "symbolLetterIntl": "string",
    "isDefault": "boolean",
}


class CatalogError(B24Error):
    """The catalog answers numeric error codes (``"error": 200040300010``) as its pages show."""

    def body(self) -> dict[str, Any]:
        return {"error": int(self.code), "error_description": self.description, **self.extra}


def require(ctx: CallContext, need: str, code: str) -> None:
    """Admin, or catalog rights granted by the admin ("read" < "write")."""
    if ctx.portal.users.get(ctx.user_id, {}).get("ADMIN"):
        return
    granted = ctx.portal.people.catalog_rights.get(ctx.user_id)
    if granted == "write" or (granted == "read" and need == "read"):
        return
    raise CatalogError(code, "Access Denied")


def _id(params: dict[str, Any]) -> int:
    if params.get("id") in (None, ""):
        raise CatalogError("100", "Parameter id not specified")
    try:
        return int(str(params["id"]))
    except ValueError as exc:
        raise CatalogError("0", "Invalid value of parameter id") from exc


def _filter(params: dict[str, Any], required: str) -> dict[str, Any]:
    filter_ = params.get("filter") or {}
    if not isinstance(filter_, dict) or not any(listing.split_key(k)[1] == required for k in filter_):
        raise CatalogError("0", f"Required fields: filter[{required}]")
    return filter_


# -- catalogs ----------------------------------------------------------------------------------------
@method("catalog.catalog.list")  # api-reference/catalog/catalog/catalog-catalog-list.md
def catalog_list(ctx: CallContext, params: dict[str, Any]) -> Page:
    require(ctx, "read", "200040300010")
    return listing.page(
        [dict(c) for c in ctx.portal.catalog.catalogs], params, CATALOG_TYPES, result_key="catalogs"
    )


# -- sections ----------------------------------------------------------------------------------------
def add_section(portal: Portal, name: str, parent: int | None = None, **extra: Any) -> dict[str, Any]:
    """A section of the product catalog; ``parent`` makes it a child (iblockSectionId)."""
    if parent is not None and parent not in portal.catalog.sections:
        raise CatalogError("0", f"Parent section {parent} does not exist")
    section = {
        "id": portal.seq.next("section", 13),
        "iblockId": PRODUCT_IBLOCK,
        "iblockSectionId": parent,
        "name": name,
        "xmlId": None,
        "code": None,
        "sort": 500,
        "active": "Y",
        "description": None,
        "descriptionType": "text",
        **extra,
    }
    portal.catalog.sections[section["id"]] = section
    return section


@method("catalog.section.list")  # api-reference/catalog/section/catalog-section-list.md
def section_list(ctx: CallContext, params: dict[str, Any]) -> Page:
    require(ctx, "read", "200040300030")
    filter_ = _filter(params, "iblockId")  # "The iblockId field is required"
    rows = [dict(s) for s in ctx.portal.catalog.sections.values()]
    return listing.page(rows, {**params, "filter": filter_}, SECTION_TYPES, result_key="sections")


@method("catalog.section.get")  # api-reference/catalog/section/catalog-section-get.md
def section_get(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    require(ctx, "read", "200040300040")
    section = ctx.portal.catalog.sections.get(_id(params))
    if section is None:
        raise CatalogError("200700300030", "Catalog section with this identifier does not exist")
    return {"section": dict(section)}


# -- products ----------------------------------------------------------------------------------------
def _product_record(product_id: int, name: str, measure_id: int) -> dict[str, Any]:
    now = now_iso()
    return {
        "id": product_id,
        "iblockId": PRODUCT_IBLOCK,
        "name": name,
        "active": "Y",
        "available": "Y",
        "bundle": "N",
        "canBuyZero": "Y",
        "code": None,
        "xmlId": None,
        "iblockSectionId": None,
        "measure": measure_id,
        "sort": 500,
        "type": 1,  # simple product (catalog data-types.md)
        "vatId": 1,
        "vatIncluded": "Y",
        "createdBy": 1,
        "modifiedBy": 1,
        "dateCreate": now,
        "timestampX": now,
    }


def add_product(
    portal: Portal,
    name: str,
    *,
    section: int | None = None,
    measure_code: int | None = None,
    parent: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A simple product, or with ``parent`` a variation (offers iblock, parent in property{sku})."""
    measure = (
        portal.catalog.measure_by_code(measure_code) if measure_code else portal.catalog.default_measure()
    )
    if measure is None:
        raise CatalogError("0", f"Unit of measure {measure_code} does not exist")
    if section is not None and section not in portal.catalog.sections:
        raise CatalogError("0", f"Section {section} does not exist")
    if parent is not None and parent not in portal.catalog.products:
        raise CatalogError("0", f"Product {parent} does not exist")
    product = _product_record(portal.seq.next("product", 1243), name, measure["id"])
    product.update(iblockSectionId=section, **extra)
    if parent is not None:  # a variation: offers iblock, no section of its own, type 4 = trade offer
        value_id = str(portal.seq.next("property_value", 9700))
        product.update(iblockId=OFFER_IBLOCK, iblockSectionId=None, type=4)
        product[SKU_KEY] = {"value": parent, "valueId": value_id}
        portal.catalog.products[parent]["type"] = 3  # a product with trade offers
    portal.catalog.products[product["id"]] = product
    return product


@method("catalog.product.get")  # api-reference/catalog/product/catalog-product-get.md
def product_get(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    require(ctx, "read", "200040300010")
    product = ctx.portal.catalog.products.get(_id(params))
    if product is None:
        raise CatalogError("0", "The product does not exist")
    return {"product": dict(product)}


def _flat(product: dict[str, Any]) -> dict[str, Any]:
    """The row the filter sees: property{sku} as its value (the doc filters properties by value)."""
    row = dict(product)
    if isinstance(row.get(SKU_KEY), dict):
        row[SKU_KEY] = row[SKU_KEY]["value"]
    return row


@method("catalog.product.list")  # api-reference/catalog/product/catalog-product-list.md
def product_list(ctx: CallContext, params: dict[str, Any]) -> Page:
    require(ctx, "read", "200040300010")
    select = params.get("select")
    if not isinstance(select, list) or not {"id", "iblockId"} <= set(select):
        raise CatalogError("0", "Required select fields: id, iblockId")  # "Required fields: id, iblockId"
    filter_ = _filter(params, "iblockId")
    by_id = ctx.portal.catalog.products
    rows = [_flat(p) for p in by_id.values()]
    found = listing.page(rows, {**params, "filter": filter_}, PRODUCT_TYPES, result_key="products")
    for row in found.result["products"]:
        if SKU_KEY in row:
            row[SKU_KEY] = by_id[row["id"]][SKU_KEY]
    return found


# -- measures ----------------------------------------------------------------------------------------
def add_measure(portal: Portal, fields: dict[str, Any]) -> dict[str, Any]:
    if fields.get("code") in (None, "") or not fields.get("measureTitle"):
        raise CatalogError("0", "Required fields: code, measureTitle")
    try:
        code = int(str(fields["code"]))
    except ValueError as exc:
        raise CatalogError("0", "code must be an integer") from exc
    if portal.catalog.measure_by_code(code) is not None:
        raise CatalogError("200600000000", "Measurement unit with this code already exists")
    is_default = str(fields.get("isDefault") or "N").upper()
    if is_default == "Y":
        raise CatalogError("200600000010", "A default measurement unit already exists")  # one is seeded
    measure: dict[str, Any] = {
        "id": max(portal.catalog.measures) + 1,
        "code": code,
        "measureTitle": str(fields["measureTitle"]),
        "symbol": fields.get("symbol"),
        "symbolIntl": fields.get("symbolIntl"),
        "symbolLetterIntl": fields.get("symbolLetterIntl"),
        "isDefault": "N",
    }
    portal.catalog.measures[measure["id"]] = measure
    return measure


@method("catalog.measure.list")  # api-reference/catalog/measure/catalog-measure-list.md
def measure_list(ctx: CallContext, params: dict[str, Any]) -> Page:
    require(ctx, "read", "200040300010")
    rows = [dict(m) for m in ctx.portal.catalog.measures.values()]
    return listing.page(rows, params, MEASURE_TYPES, result_key="measures")


@method("catalog.measure.add")  # api-reference/catalog/measure/catalog-measure-add.md
def measure_add(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    require(ctx, "write", "200040300020")
    fields = params.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise CatalogError("100", "Required parameter fields not provided")
    return {"measure": add_measure(ctx.portal, fields)}
