"""crm.item.productrow.*: product rows of deals (D), smart invoices (SI) and smart processes (T{hex})."""

from __future__ import annotations

from typing import Any

from tests.emulator import listing, productrows, rowcalc
from tests.emulator.protocol import B24Error, CallContext, Page, method

READ_ONLY_TITLES = {
    "id": "ID",
    "priceAccount": "Price in account currency",
    "priceExclusive": "Discounted price excluding tax",
    "priceNetto": "PRICE_NETTO",
    "priceBrutto": "PRICE_BRUTTO",
    "type": "TYPE",
    "storeId": "STORE_ID",
}


def _required(params: dict[str, Any], *names: str) -> None:
    missing = [n for n in names if params.get(n) in (None, "", [], {})]
    if missing:
        raise B24Error("100", f"Required fields: {', '.join(missing)}")


def _writable(fields: Any, *, allow_owner: bool) -> dict[str, Any]:
    """The row fields sent; an unknown or read-only one is an error.

    crm-item-productrow-update.md documents INVALID_ARG_VALUE "Unknown field or the provided field is
    not available for update"; add and set say nothing, and get the same rule (stricter).
    """
    if not isinstance(fields, dict):
        raise B24Error("INVALID_ARG_VALUE", "fields must be an object")
    allowed = set(rowcalc.WRITABLE) | ({"ownerId", "ownerType"} if allow_owner else set())
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise B24Error("INVALID_ARG_VALUE", f"Unknown field or not available for update: {unknown[0]}")
    return rowcalc.clean({k: v for k, v in fields.items() if k not in ("ownerId", "ownerType")})


def _row(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    _required(params, "id")
    try:
        row = ctx.portal.rows.get(int(str(params["id"])))
    except ValueError as exc:
        raise B24Error("INVALID_ARG_VALUE", "Invalid value for field 'id'") from exc
    if row is None or productrows.owner_of(ctx.portal, row) is None:
        raise B24Error("NOT_FOUND", "Item not found")
    return row


@method("crm.item.productrow.add")  # api-reference/crm/universal/product-rows/crm-item-productrow-add.md
def productrow_add(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    _required(params, "fields")
    fields = params["fields"]
    _required(fields if isinstance(fields, dict) else {}, "ownerId", "ownerType")
    owner = productrows.resolve_owner(ctx.portal, fields["ownerType"], fields["ownerId"])
    row = productrows.add_row(ctx.portal, owner, _writable(fields, allow_owner=True))
    return {"productRow": rowcalc.camel_view(row)}


# api-reference/crm/universal/product-rows/crm-item-productrow-update.md
@method("crm.item.productrow.update")
def productrow_update(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    _required(params, "id", "fields")
    row = _row(ctx, params)
    changed = productrows.update_row(ctx.portal, row, _writable(params["fields"], allow_owner=False))
    return {"productRow": rowcalc.camel_view(changed)}


@method("crm.item.productrow.get")  # api-reference/crm/universal/product-rows/crm-item-productrow-get.md
def productrow_get(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"productRow": rowcalc.camel_view(_row(ctx, params))}


# api-reference/crm/universal/product-rows/crm-item-productrow-delete.md
@method("crm.item.productrow.delete")
def productrow_delete(ctx: CallContext, params: dict[str, Any]) -> None:
    productrows.delete_row(ctx.portal, _row(ctx, params))
    return None  # "The value is always null"


@method("crm.item.productrow.set")  # api-reference/crm/universal/product-rows/crm-item-productrow-set.md
def productrow_set(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    _required(params, "ownerId", "ownerType")
    rows = params.get("productRows")
    if rows is None:  # productRows is required; an empty list clears the rows
        raise B24Error("100", "Required fields: productRows")
    listed = list(rows.values()) if isinstance(rows, dict) else rows
    if not isinstance(listed, list):
        raise B24Error("INVALID_ARG_VALUE", "productRows must be an array")
    owner = productrows.resolve_owner(ctx.portal, params["ownerType"], params["ownerId"])
    cleaned = [_writable(r, allow_owner=False) for r in listed]
    saved = productrows.replace_rows(ctx.portal, owner, cleaned, strict=True)
    return {"productRows": [rowcalc.camel_view(r) for r in saved]}


@method("crm.item.productrow.list")  # api-reference/crm/universal/product-rows/crm-item-productrow-list.md
def productrow_list(ctx: CallContext, params: dict[str, Any]) -> Page:
    filter_ = params.get("filter")
    # The doc: "The following keys must be present: =ownerType, =ownerId" (the "=" forms, stricter).
    if not isinstance(filter_, dict) or "=ownerType" not in filter_ or "=ownerId" not in filter_:
        raise B24Error("100", "Required fields: filter[=ownerType], filter[=ownerId]")
    codes = filter_["=ownerType"] if isinstance(filter_["=ownerType"], list) else [filter_["=ownerType"]]
    ids = filter_["=ownerId"] if isinstance(filter_["=ownerId"], list) else [filter_["=ownerId"]]
    rows: list[dict[str, Any]] = []
    for code in codes:
        for owner_id in ids:
            try:
                owner = productrows.resolve_owner(ctx.portal, code, owner_id)
            except B24Error as err:
                if err.code != "OWNER_NOT_FOUND":
                    raise
                continue  # a missing owner simply has no rows
            rows += [rowcalc.camel_view(r) for r in productrows.rows_of(ctx.portal, owner)]
    order = params.get("order") or {"sort": "ASC", "id": "ASC"}
    view_params = {**params, "order": order, "select": None}
    return listing.page(rows, view_params, rowcalc.FIELD_TYPES, result_key="productRows")


# api-reference/crm/universal/product-rows/crm-item-productrow-get-available-for-payment.md
@method("crm.item.productrow.getAvailableForPayment")
def productrow_available(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    _required(params, "ownerId", "ownerType")
    owner = productrows.resolve_owner(ctx.portal, params["ownerType"], params["ownerId"])
    # Payments (crm.item.payment.*) are not emulated: nothing is billed yet, so every row is unpaid.
    return {"productRows": [rowcalc.camel_view(r) for r in productrows.rows_of(ctx.portal, owner)]}


def _describe(name: str, kind: str) -> dict[str, Any]:
    return {
        "type": {"taxIncluded": "char", "customized": "char"}.get(name, kind),
        "isRequired": name in ("ownerId", "ownerType", "productId"),
        "isReadOnly": name in READ_ONLY_TITLES,
        "isImmutable": name in ("ownerId", "ownerType"),
        "isMultiple": False,
        "isDynamic": False,
        "title": READ_ONLY_TITLES.get(name, name),
    }


# api-reference/crm/universal/product-rows/crm-item-productrow-fields.md
@method("crm.item.productrow.fields")
def productrow_fields(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    kinds = {**rowcalc.FIELD_TYPES, "storeId": "integer"}
    return {"fields": {name: _describe(name, kind) for name, kind in kinds.items() if name != "priceAccount"}}
